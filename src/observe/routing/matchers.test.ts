import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { allMatch, formatMatcher, matcherMatches, parseMatcher } from './matchers.js';

describe('parseMatcher', () => {
  it('reads the four operators', () => {
    expect(parseMatcher('service=web')).toEqual({ label: 'service', op: '=', value: 'web' });
    expect(parseMatcher('severity!=info')).toEqual({ label: 'severity', op: '!=', value: 'info' });
    expect(parseMatcher('alertname=~web-.*')).toEqual({ label: 'alertname', op: '=~', value: 'web-.*' });
    expect(parseMatcher('instance!~web-[0-9]+')).toEqual({
      label: 'instance',
      op: '!~',
      value: 'web-[0-9]+',
    });
  });

  it('takes spaces around the operator, quoted values and empty values', () => {
    expect(parseMatcher(' service = web ')).toEqual({ label: 'service', op: '=', value: 'web' });
    expect(parseMatcher('summary="a = \\"b\\""')).toEqual({ label: 'summary', op: '=', value: 'a = "b"' });
    expect(parseMatcher('team=')).toEqual({ label: 'team', op: '=', value: '' });
    // Only the first operator counts; the rest is value.
    expect(parseMatcher('path=/a=b')).toEqual({ label: 'path', op: '=', value: '/a=b' });
  });

  it('round-trips through formatMatcher', () => {
    for (const text of ['service=web', 'severity!=info', 'alertname=~web-.*', 'summary="x \\" y"']) {
      const m = parseMatcher(text);
      expect(parseMatcher(formatMatcher(m))).toEqual(m);
    }
  });

  it('refuses what is not a matcher, with a clear TandemError', () => {
    for (const bad of ['service', '=web', '9lives=x', 'ser vice=web']) {
      let err: unknown;
      try {
        parseMatcher(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(TandemError);
      expect((err as TandemError).code).toBe('TANDEM_MATCHER_INVALID');
      expect((err as TandemError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(/label=value/);
    }
  });

  it('refuses an invalid regular expression and says so', () => {
    let err: unknown;
    try {
      parseMatcher('alertname=~web-(');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TandemError);
    expect((err as TandemError).code).toBe('TANDEM_MATCHER_INVALID');
    expect((err as Error).message).toMatch(/regular expression in alertname=~web-\( is invalid/);
    expect((err as Error).message).toMatch(/anchored/);
  });
});

describe('matcherMatches', () => {
  const labels = { alertname: 'web-latency', service: 'web', severity: 'page' };

  it('anchors regular expressions at both ends', () => {
    expect(matcherMatches(parseMatcher('alertname=~web-.*'), labels)).toBe(true);
    expect(matcherMatches(parseMatcher('alertname=~latency'), labels)).toBe(false);
    expect(matcherMatches(parseMatcher('alertname=~web|api'), { alertname: 'api' })).toBe(true);
    expect(matcherMatches(parseMatcher('alertname=~web|api'), { alertname: 'web-x' })).toBe(false);
    expect(matcherMatches(parseMatcher('alertname!~web-.*'), labels)).toBe(false);
  });

  it('reads a missing label as empty', () => {
    expect(matcherMatches(parseMatcher('team='), labels)).toBe(true);
    expect(matcherMatches(parseMatcher('team!=x'), labels)).toBe(true);
    expect(matcherMatches(parseMatcher('team=x'), labels)).toBe(false);
    expect(matcherMatches(parseMatcher('team=~.*'), labels)).toBe(true);
  });

  it('needs every matcher, and at least one', () => {
    expect(allMatch([parseMatcher('service=web'), parseMatcher('severity!=info')], labels)).toBe(true);
    expect(allMatch([parseMatcher('service=web'), parseMatcher('severity=info')], labels)).toBe(false);
    expect(allMatch([], labels)).toBe(false);
  });
});
