import { describe, expect, it } from 'vitest';
import { alertLabels, expandRules, unmatchedRules } from './expand.js';
import { fingerprintLabels, fnv1a64 } from './fingerprint.js';
import { compileRule } from './rule.js';

const targets = [
  { environment: 'staging', service: 'web' },
  { environment: 'staging', service: 'api' },
  { environment: 'production', service: 'web' },
  { environment: 'production', service: 'api' },
];

describe('compileRule', () => {
  it('parses the condition and fills the documented defaults', () => {
    const rule = compileRule({ name: 'web-errors', when: 'error_rate > 5%' });
    expect(rule).toEqual({
      name: 'web-errors',
      when: {
        text: 'error_rate > 5%',
        metric: { kind: 'builtin', name: 'error_rate' },
        op: '>',
        threshold: 0.05,
      },
      window: 60_000,
      for: 0,
      keepFiringFor: 0,
      severity: 'ticket',
      labels: {},
      nodata: 'nodata',
    });
  });

  it('keeps what is given and throws TANDEM_ALERT_CONDITION on a bad condition', () => {
    const rule = compileRule({
      name: 'slow',
      when: 'p95 > 300ms',
      service: 'web',
      environment: 'production',
      window: 300_000,
      for: 60_000,
      keepFiringFor: 120_000,
      severity: 'page',
      labels: { team: 'checkout' },
      runbook: 'https://runbooks.example/slow',
      summary: 'web is slow',
      nodata: 'ok',
    });
    expect(rule).toMatchObject({
      service: 'web',
      window: 300_000,
      for: 60_000,
      keepFiringFor: 120_000,
      nodata: 'ok',
    });
    expect(() => compileRule({ name: 'x', when: 'p95 > fast' })).toThrow(
      expect.objectContaining({ code: 'TANDEM_ALERT_CONDITION' }),
    );
  });
});

describe('expandRules', () => {
  it('expands a rule without service or environment to every target', () => {
    const rule = compileRule({ name: 'errors', when: 'error_rate > 5%' });
    const alerts = expandRules([rule], targets);
    expect(alerts.map((a) => `${a.environment}/${a.service}`)).toEqual([
      'staging/web',
      'staging/api',
      'production/web',
      'production/api',
    ]);
    expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(4);
    expect(alerts.every((a) => a.rule === rule)).toBe(true);
  });

  it('filters by service and environment, in rule order, counting duplicate targets once', () => {
    const rules = [
      compileRule({ name: 'web-only', when: 'rps > 1', service: 'web' }),
      compileRule({ name: 'prod-only', when: 'rps > 1', environment: 'production' }),
      compileRule({ name: 'prod-api', when: 'rps > 1', service: 'api', environment: 'production' }),
    ];
    const alerts = expandRules(rules, [...targets, { environment: 'staging', service: 'web' }]);
    expect(alerts.map((a) => `${a.rule.name}:${a.environment}/${a.service}`)).toEqual([
      'web-only:staging/web',
      'web-only:production/web',
      'prod-only:production/web',
      'prod-only:production/api',
      'prod-api:production/api',
    ]);
  });

  it('labels each alert with alertname, environment, service, severity and the rule labels', () => {
    const rule = compileRule({
      name: 'errors',
      when: 'error_rate > 5%',
      severity: 'page',
      labels: { team: 'checkout', service: 'spoofed' },
      summary: 'too many errors',
      runbook: 'https://runbooks.example/errors',
    });
    const [alert] = expandRules([rule], [{ environment: 'production', service: 'web' }]);
    expect(alert?.labels).toEqual({
      team: 'checkout',
      alertname: 'errors',
      environment: 'production',
      service: 'web',
      severity: 'page',
    });
    expect(alert?.annotations).toEqual({
      summary: 'too many errors',
      runbook: 'https://runbooks.example/errors',
    });
  });

  it('gives a fingerprint that is stable and independent of label order', () => {
    const a = compileRule({ name: 'errors', when: 'error_rate > 5%', labels: { a: '1', b: '2' } });
    const b = compileRule({ name: 'errors', when: 'error_rate > 10%', labels: { b: '2', a: '1' } });
    const target = { environment: 'production', service: 'web' };
    const [fa] = expandRules([a], [target]);
    const [fb] = expandRules([b], [target]);
    expect(fa?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // Same labels, same alert identity (the threshold is not part of it, as in Prometheus).
    expect(fa?.fingerprint).toBe(fb?.fingerprint);
    expect(fa?.fingerprint).toBe(fingerprintLabels(alertLabels(a, target)));
    const other = compileRule({ name: 'errors', when: 'error_rate > 5%', labels: { a: '1', b: '3' } });
    expect(expandRules([other], [target])[0]?.fingerprint).not.toBe(fa?.fingerprint);
  });

  it('lists rules that match no target', () => {
    const rules = [
      compileRule({ name: 'typo', when: 'rps > 1', service: 'wbe' }),
      compileRule({ name: 'ok', when: 'rps > 1', service: 'web' }),
    ];
    expect(unmatchedRules(rules, targets).map((r) => r.name)).toEqual(['typo']);
  });
});

describe('fingerprint', () => {
  it('is FNV-1a 64 (the published test vectors)', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(fnv1a64(bytes('')).toString(16)).toBe('cbf29ce484222325');
    expect(fnv1a64(bytes('a')).toString(16)).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(bytes('foobar')).toString(16)).toBe('85944171f73967e8');
  });

  it('separates names and values so that shifting characters between them changes it', () => {
    expect(fingerprintLabels({ ab: 'c' })).not.toBe(fingerprintLabels({ a: 'bc' }));
    expect(fingerprintLabels({})).toBe('cbf29ce484222325');
  });
});
