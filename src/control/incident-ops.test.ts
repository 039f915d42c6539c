import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../../test/helpers/failure.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { Actor } from './control-plane.js';
import { IncidentOps } from './incident-ops.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
const admin: Actor = { principal: 'ada', roles: ['admin'] };
const operator: Actor = { principal: 'oz', roles: ['operator'] };
const viewer: Actor = { principal: 'vic', roles: ['viewer'] };

let store: Store;
let now: number;
let ops: IncidentOps;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
  now = T0;
  ops = new IncidentOps({ store, clock: { now: () => now } });
});
afterEach(async () => {
  await store.close();
});

const openIncident = (service = 'web', at = new Date(T0 - HOUR)) =>
  store.incidents.open({
    environment: 'production',
    service,
    title: `${service}-errors: error_rate 31% > 5%`,
    severity: 'page',
    cause: { kind: 'alert', ref: `fp-${service}` },
    releases: [],
    at,
  });

describe('incidents', () => {
  it('lists with filters, shows the detail with releases, suspects, alerts and timeline', async () => {
    const release = await store.releases.create(
      { project: 'demo', commit: 'a'.repeat(40), ref: 'main', config: '{}', dir: (id) => `releases/${id}` },
      new Date(T0 - 2 * HOUR),
    );
    await store.incidents.open({
      environment: 'production',
      service: 'web',
      title: 'web-errors',
      severity: 'page',
      cause: { kind: 'alert', ref: 'fp-web' },
      releases: [release.id, 'r9-deadbee'],
      suspects: [release.id],
      at: new Date(T0 - HOUR),
    });
    await store.alertStates.saveAll([
      {
        fingerprint: 'fp-web',
        rule: 'web-errors',
        environment: 'production',
        service: 'web',
        state: 'firing',
        record: {},
      },
    ]);
    await openIncident('api');
    await ops.resolveIncident('inc-2', admin, 'restarted');

    expect((await ops.incidents()).map((i) => i.id)).toEqual(['inc-2', 'inc-1']);
    expect((await ops.incidents({ state: 'open' })).map((i) => i.id)).toEqual(['inc-1']);
    expect((await ops.incidents({ service: 'api' })).map((i) => i.id)).toEqual(['inc-2']);
    expect(await ops.incidents({ environment: 'staging' })).toEqual([]);
    expect((await ops.incidents({ limit: 1 })).length).toBe(1);

    const detail = await ops.incident('1');
    expect(detail.incident.id).toBe('inc-1');
    expect(detail.releases).toEqual([
      {
        id: release.id,
        suspect: true,
        commit: 'a'.repeat(40),
        ref: 'main',
        status: 'building',
        createdAt: new Date(T0 - 2 * HOUR).toISOString(),
      },
      { id: 'r9-deadbee', suspect: false, commit: null, ref: null, status: null, createdAt: null },
    ]);
    expect(detail.alerts).toEqual([{ fingerprint: 'fp-web', rule: 'web-errors', state: 'firing' }]);
    expect(detail.timeline.map((e) => e.type)).toEqual(['incident.opened']);
    expect((await ops.incident('inc-2')).timeline.map((e) => e.type)).toEqual([
      'incident.opened',
      'incident.resolved',
    ]);
  });

  it('refuses a bad state or limit, and names an unknown incident with a suggestion', async () => {
    await openIncident();
    const state = await failure(ops.incidents({ state: 'closed' as 'open' }));
    expect([state.code, state.exitCode]).toEqual(['TANDEM_BAD_INCIDENT_STATE', 2]);
    const limit = await failure(ops.incidents({ limit: 0 }));
    expect([limit.code, limit.exitCode]).toEqual(['TANDEM_BAD_LIMIT', 2]);
    const missing = await failure(ops.incident('inc-11'));
    expect(missing.code).toBe('TANDEM_INCIDENT_NOT_FOUND');
    expect(missing.message).toContain('did you mean inc-1?');
  });

  it('resolves once with the actor and note at the clock time; a second resolve is refused', async () => {
    await openIncident();
    const resolved = await ops.resolveIncident('#1', operator, '  rolled back by hand  ');
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedBy: 'oz',
      resolution: 'rolled back by hand',
      resolvedAt: new Date(T0).toISOString(),
    });
    const again = await failure(ops.resolveIncident('inc-1', admin));
    expect(again.code).toBe('TANDEM_INCIDENT_RESOLVED');
    expect(again.message).toContain('already resolved');
    const unknown = await failure(ops.resolveIncident('inc-7', admin));
    expect(unknown.code).toBe('TANDEM_INCIDENT_NOT_FOUND');
  });

  it('refuses a principal without the operator or admin role, and changes nothing', async () => {
    await openIncident();
    const err = await failure(ops.resolveIncident('inc-1', viewer));
    expect([err.code, err.exitCode]).toEqual(['TANDEM_FORBIDDEN', 2]);
    expect(err.message).toBe('only an operator may resolve incidents (you: vic, roles viewer)');
    expect((await store.incidents.get('inc-1'))?.state).toBe('open');
  });
});

describe('silences', () => {
  it('lasts 1h by default, is listed while active, then only with all', async () => {
    const s = await ops.createSilence(
      { matchers: ['service=web', 'alertname=~web-.*'], comment: 'db migration' },
      admin,
    );
    expect(s).toMatchObject({
      id: expect.stringMatching(/^sil-[0-9a-f]{8}$/),
      matchers: [
        { label: 'service', op: '=', value: 'web' },
        { label: 'alertname', op: '=~', value: 'web-.*' },
      ],
      startsAt: new Date(T0).toISOString(),
      endsAt: new Date(T0 + HOUR).toISOString(),
      createdBy: 'ada',
      comment: 'db migration',
      state: 'active',
    });
    expect((await ops.silences()).map((x) => x.id)).toEqual([s.id]);
    now = T0 + HOUR;
    expect(await ops.silences()).toEqual([]);
    expect((await ops.silences({ all: true })).map((x) => [x.id, x.state])).toEqual([[s.id, 'expired']]);
  });

  it('takes a duration or an until, up to 30 days', async () => {
    const twoHours = await ops.createSilence(
      { matchers: ['service=web'], duration: 2 * HOUR, comment: 'x' },
      admin,
    );
    expect(twoHours.endsAt).toBe(new Date(T0 + 2 * HOUR).toISOString());
    const until = await ops.createSilence(
      { matchers: ['service=web'], until: '2025-01-31T12:00:00Z', comment: 'x' },
      operator,
    );
    expect(until.endsAt).toBe('2025-01-31T12:00:00.000Z');

    const cases: Array<[Parameters<IncidentOps['createSilence']>[0], RegExp]> = [
      [{ matchers: ['service=web'], duration: 30 * 24 * HOUR + 1, comment: 'x' }, /at most 30 days/],
      [{ matchers: ['service=web'], duration: 0, comment: 'x' }, /must be positive/],
      [{ matchers: ['service=web'], until: '2025-02-01T12:00:01Z', comment: 'x' }, /too far away/],
      [{ matchers: ['service=web'], until: '2024-12-31T00:00:00Z', comment: 'x' }, /in the past/],
      [{ matchers: ['service=web'], until: 'tomorrow', comment: 'x' }, /not an ISO-8601 time/],
      [
        { matchers: ['service=web'], duration: HOUR, until: '2025-01-02T00:00:00Z', comment: 'x' },
        /not both/,
      ],
      [{ matchers: ['service=web'], comment: '   ' }, /--comment/],
      [{ matchers: [], comment: 'x' }, /at least one matcher/],
    ];
    for (const [req, message] of cases) {
      const err = await failure(ops.createSilence(req, admin));
      expect([err.code, err.exitCode], String(message)).toEqual(['TANDEM_SILENCE_INVALID', 2]);
      expect(err.message).toMatch(message);
    }
    expect((await ops.silences()).length).toBe(2);
  });

  it('refuses bad matchers with exit 2', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['web', 'TANDEM_MATCHER_INVALID', /is not a matcher/],
      ['alertname=~web-(', 'TANDEM_MATCHER_INVALID', /regular expression/],
      ['1abc=x', 'TANDEM_MATCHER_INVALID', /is not a matcher/],
      ['service!~web', 'TANDEM_SILENCE_INVALID', /not !~/],
      // Matches an alert with no labels at all, so it would mute everything.
      ['team=', 'TANDEM_SILENCE_INVALID', /every alert/],
    ];
    for (const [matcher, code, message] of cases) {
      const err = await failure(ops.createSilence({ matchers: [matcher], comment: 'x' }, admin));
      expect([err.code, err.exitCode], matcher).toEqual([code, 2]);
      expect(err.message).toMatch(message);
    }
    expect(await ops.silences({ all: true })).toEqual([]);
  });

  it('expires a silence once; writes need the operator role', async () => {
    const forbidden = await failure(ops.createSilence({ matchers: ['service=web'], comment: 'x' }, viewer));
    expect([forbidden.code, forbidden.exitCode]).toEqual(['TANDEM_FORBIDDEN', 2]);
    expect(forbidden.message).toBe('only an operator may create silences (you: vic, roles viewer)');

    const s = await ops.createSilence({ matchers: ['service=web'], comment: 'x' }, admin);
    const noRole = await failure(ops.expireSilence(s.id, { principal: 'nobody', roles: [] }));
    expect(noRole.message).toBe('only an operator may expire silences (you: nobody, roles none)');

    now = T0 + 60_000;
    const expired = await ops.expireSilence(s.id, operator);
    expect(expired).toMatchObject({
      state: 'expired',
      expiredBy: 'oz',
      expiredAt: new Date(now).toISOString(),
    });
    expect(await ops.silences()).toEqual([]);
    expect((await failure(ops.expireSilence(s.id, operator))).code).toBe('TANDEM_SILENCE_EXPIRED');
    expect((await failure(ops.expireSilence('sil-00000000', operator))).code).toBe(
      'TANDEM_SILENCE_NOT_FOUND',
    );
  });
});

describe('alerts', () => {
  it('lists alert states newest first, each marked with the active silence covering it', async () => {
    await store.alertStates.saveAll([
      {
        // The record shape the brief assumes: labels, value, since (ISO).
        fingerprint: 'fp-a',
        rule: 'web-errors',
        environment: 'production',
        service: 'web',
        state: 'firing',
        record: {
          labels: { alertname: 'web-errors', environment: 'production', service: 'web', severity: 'page' },
          value: 0.31,
          since: new Date(T0 - 60_000).toISOString(),
        },
      },
      {
        // The evaluator's AlertState nested under `state` (ms since epoch), labels without severity.
        fingerprint: 'fp-b',
        rule: 'api-latency',
        environment: 'production',
        service: 'api',
        state: 'pending',
        record: { state: { status: 'pending', since: T0 - 30_000, lastValue: 812 } },
      },
      {
        fingerprint: 'fp-c',
        rule: 'web-down',
        environment: 'staging',
        service: 'web',
        state: 'nodata',
        record: { labels: { severity: 'ticket' }, since: T0 - HOUR },
      },
    ]);
    const silence = await ops.createSilence(
      { matchers: ['environment=production', 'alertname=~web-.*'], comment: 'known' },
      admin,
    );
    // Expired silences cover nothing.
    const gone = await ops.createSilence({ matchers: ['service=api'], comment: 'old' }, admin);
    await ops.expireSilence(gone.id, admin);

    const alerts = await ops.alerts();
    expect(alerts.map((a) => [a.fingerprint, a.state, a.severity, a.value, a.since, a.silenced])).toEqual([
      ['fp-b', 'pending', null, 812, new Date(T0 - 30_000).toISOString(), null],
      ['fp-a', 'firing', 'page', 0.31, new Date(T0 - 60_000).toISOString(), silence.id],
      ['fp-c', 'nodata', 'ticket', null, new Date(T0 - HOUR).toISOString(), null],
    ]);
    expect(alerts[2]?.labels).toEqual({
      alertname: 'web-down',
      environment: 'staging',
      service: 'web',
      severity: 'ticket',
    });

    now = T0 + 2 * HOUR; // the silence ended
    expect((await ops.alerts()).every((a) => a.silenced === null)).toBe(true);
  });
});
