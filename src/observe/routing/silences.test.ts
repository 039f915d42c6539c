import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { parseMatchers } from './matchers.js';
import { activeSilences, matches, type Silence, silencedBy, validateSilence } from './silences.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const silence = (over: Partial<Silence> = {}): Silence => ({
  id: 's1',
  matchers: parseMatchers(['service=web', 'severity!=info']),
  startsAt: iso(T0),
  endsAt: iso(T0 + 3_600_000),
  createdBy: 'ada',
  comment: 'migrating the database',
  ...over,
});

describe('silences', () => {
  it('match alerts by their labels', () => {
    expect(matches(silence(), { service: 'web', severity: 'page' })).toBe(true);
    expect(matches(silence(), { service: 'web', severity: 'info' })).toBe(false);
    expect(matches(silence(), { service: 'api', severity: 'page' })).toBe(false);
  });

  it('are active from startsAt until endsAt, then expire by themselves', () => {
    const list = [silence(), silence({ id: 's2', startsAt: iso(T0 + 600_000) })];
    expect(activeSilences(list, T0 - 1).map((s) => s.id)).toEqual([]);
    expect(activeSilences(list, T0).map((s) => s.id)).toEqual(['s1']);
    expect(activeSilences(list, T0 + 600_000).map((s) => s.id)).toEqual(['s1', 's2']);
    expect(activeSilences(list, T0 + 3_600_000 - 1).map((s) => s.id)).toEqual(['s1', 's2']);
    expect(activeSilences(list, T0 + 3_600_000)).toEqual([]);
    expect(activeSilences([silence({ endsAt: 'whenever' })], T0)).toEqual([]);
  });

  it('name the silences hiding an alert', () => {
    const list = [silence(), silence({ id: 's2', matchers: parseMatchers(['alertname=~High.*']) })];
    expect(silencedBy(list, { alertname: 'HighLatency', service: 'web', severity: 'page' })).toEqual([
      's1',
      's2',
    ]);
    expect(silencedBy(list, { alertname: 'Down', service: 'api' })).toEqual([]);
  });
});

describe('validateSilence', () => {
  const reason = (s: Silence) => {
    try {
      validateSilence(s);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(TandemError);
      return `${(err as TandemError).code}: ${(err as Error).message}`;
    }
  };

  it('accepts a normal silence', () => {
    expect(reason(silence())).toBeUndefined();
  });

  it('refuses no matchers, a silence of everything, a bad regex, and bad times', () => {
    expect(reason(silence({ matchers: [] }))).toMatch(/TANDEM_SILENCE_INVALID: .*at least one matcher/);
    expect(reason(silence({ matchers: parseMatchers(['service!=x', 'alertname=~.*']) }))).toMatch(
      /would match every alert/,
    );
    expect(reason(silence({ matchers: [{ label: 'alertname', op: '=~', value: '[' }] }))).toMatch(
      /TANDEM_MATCHER_INVALID: .*regular expression/,
    );
    expect(reason(silence({ endsAt: iso(T0 - 1) }))).toMatch(/ends .* before it starts/);
    expect(reason(silence({ startsAt: 'soon' }))).toMatch(/ISO-8601/);
  });
});
