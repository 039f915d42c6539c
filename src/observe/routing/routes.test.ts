import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { DEFAULT_TIMING, groupOf, routeAlert, validateRoutingConfig } from './routes.js';
import type { RoutingConfig } from './types.js';

const config: RoutingConfig = {
  receivers: {
    ops: { kind: 'webhook', url: 'x' },
    pager: { kind: 'webhook', url: 'y', sendResolved: false },
    team: { kind: 'slack', url: 'z' },
  },
  routes: [
    { match: { severity: ['page', 'critical'] }, receiver: 'pager', groupWaitMs: 10_000 },
    { match: { owner: 'payments', labels: { tier: 'db' } }, receiver: 'team', groupBy: ['...'] },
  ],
  defaultReceiver: 'ops',
  repeatIntervalMs: 3_600_000,
};
const ownerOf = (service: string | undefined) => (service === 'checkout' ? 'payments' : undefined);

describe('routeAlert', () => {
  it('takes the first match, with its settings over the defaults', () => {
    const [d, ...rest] = routeAlert(config, { severity: 'critical', service: 'web' }, ownerOf);
    expect(rest).toEqual([]);
    expect(d).toEqual({
      route: 0,
      receiver: 'pager',
      groupBy: ['alertname', 'environment', 'service'],
      groupWaitMs: 10_000,
      groupIntervalMs: DEFAULT_TIMING.groupIntervalMs,
      repeatIntervalMs: 3_600_000,
      sendResolved: false,
    });
  });

  it("matches the owner from ownerOf(service), or the alert's owner label", () => {
    expect(routeAlert(config, { service: 'checkout', tier: 'db' }, ownerOf).map((d) => d.receiver)).toEqual([
      'team',
    ]);
    expect(routeAlert(config, { service: 'checkout', tier: 'web' }, ownerOf).map((d) => d.receiver)).toEqual([
      'ops',
    ]);
    expect(
      routeAlert(config, { service: 'search', owner: 'payments', tier: 'db' }, ownerOf).map(
        (d) => d.receiver,
      ),
    ).toEqual(['team']);
    expect(routeAlert(config, { service: 'checkout', tier: 'db' }).map((d) => d.receiver)).toEqual(['ops']);
  });

  it('sends what no route matched to the default receiver with the default settings', () => {
    expect(routeAlert(config, { severity: 'ticket' })).toEqual([
      {
        route: -1,
        receiver: 'ops',
        groupBy: ['alertname', 'environment', 'service'],
        ...DEFAULT_TIMING,
        repeatIntervalMs: 3_600_000,
        sendResolved: true,
      },
    ]);
  });

  it('goes on after a continue route, down to the default', () => {
    const c: RoutingConfig = {
      ...config,
      routes: [{ match: { severity: 'page' }, receiver: 'pager', continue: true }, ...config.routes],
    };
    expect(routeAlert(c, { severity: 'page' }).map((d) => d.receiver)).toEqual(['pager', 'pager']);
    expect(routeAlert(c, { severity: 'ticket' }).map((d) => d.receiver)).toEqual(['ops']);
    const onlyContinue: RoutingConfig = { ...config, routes: [{ receiver: 'team', continue: true }] };
    expect(routeAlert(onlyContinue, {}).map((d) => d.receiver)).toEqual(['team', 'ops']);
  });

  it('does not match a missing label', () => {
    expect(routeAlert(config, { service: 'web' }).map((d) => d.receiver)).toEqual(['ops']);
  });
});

describe('groupOf', () => {
  it('groups by the route’s labels, in a stable key', () => {
    const [d] = routeAlert(config, { alertname: 'Down', service: 'web', severity: 'page', instance: 'a' });
    const g = groupOf(d!, { severity: 'page', service: 'web', instance: 'a', alertname: 'Down' });
    expect(g).toEqual({
      key: 'route0/pager:{alertname="Down",service="web"}',
      labels: { alertname: 'Down', service: 'web' },
    });
  });

  it("groups by every label with '...'", () => {
    const [d] = routeAlert(config, { service: 'checkout', tier: 'db' }, ownerOf);
    expect(groupOf(d!, { tier: 'db', service: 'checkout' }).key).toBe(
      'route1/team:{service="checkout",tier="db"}',
    );
  });
});

describe('validateRoutingConfig', () => {
  const problem = (c: RoutingConfig) => {
    try {
      validateRoutingConfig(c);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(TandemError);
      expect((err as TandemError).code).toBe('TANDEM_ALERT_ROUTING_INVALID');
      return (err as Error).message;
    }
  };

  it('accepts a good config', () => {
    expect(problem(config)).toBeUndefined();
  });

  it('names the mistake', () => {
    expect(problem({ ...config, defaultReceiver: 'nobody' })).toBe(
      'the default route names receiver "nobody", which is not configured; receivers: ops, pager, team',
    );
    expect(problem({ ...config, routes: [{ receiver: 'ops', groupIntervalMs: 0 }] })).toMatch(
      /route 1: groupIntervalMs must be a duration above 0/,
    );
    expect(problem({ ...config, groupBy: ['service name'] })).toMatch(
      /groupBy "service name" is not a label/,
    );
    expect(
      problem({ ...config, receivers: { ...config.receivers, pd: { kind: 'pagerduty' as 'webhook' } } }),
    ).toMatch(/receiver "pd" has kind "pagerduty"; use webhook or slack/);
  });
});
