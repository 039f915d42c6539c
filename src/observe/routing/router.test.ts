import { describe, expect, it } from 'vitest';
import type { AlertGroupData } from '../../notify/types.js';
import { createAlertRouter } from './router.js';
import type { Silence } from './silences.js';
import type { AlertUpdate, RoutedNotification, RoutingConfig } from './types.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const S = 1_000;
const M = 60_000;
const H = 60 * M;

function firing(name: string, labels: Record<string, string> = {}, at = T0): AlertUpdate {
  const all = { alertname: name, environment: 'production', service: 'web', severity: 'page', ...labels };
  return {
    fingerprint: `${name}/${Object.entries(all).sort().join(',')}`,
    labels: all,
    annotations: { summary: `${name} is bad`, runbook: `https://runbooks.example/${name}` },
    state: 'firing',
    startsAt: new Date(at).toISOString(),
  };
}

const resolvedAt = (a: AlertUpdate, at: number): AlertUpdate => ({
  ...a,
  state: 'resolved',
  endsAt: new Date(at).toISOString(),
});

const baseConfig: RoutingConfig = {
  receivers: { ops: { kind: 'webhook', url: 'http://127.0.0.1/x' } },
  routes: [],
  defaultReceiver: 'ops',
};

/**
 * A fake clock driving the router the way the control plane does: one tick per second. Updates
 * scheduled at a time are ingested just before that second's tick.
 */
function harness(options: Partial<Parameters<typeof createAlertRouter>[0]> = {}) {
  const router = createAlertRouter({ config: baseConfig, ...options });
  let now = T0 - S;
  const sent: Array<RoutedNotification & { t: number }> = [];
  const schedule = new Map<number, AlertUpdate[]>();
  return {
    router,
    sent,
    at(offsetMs: number, ...updates: AlertUpdate[]) {
      schedule.set(T0 + offsetMs, [...(schedule.get(T0 + offsetMs) ?? []), ...updates]);
    },
    /** Ticks every second up to and including T0 + offsetMs. */
    runTo(offsetMs: number) {
      while (now < T0 + offsetMs) {
        now += S;
        const due = schedule.get(now);
        if (due !== undefined) router.ingest(due, now);
        for (const n of router.tick(now)) sent.push({ ...n, t: now - T0 });
      }
    },
    times: () => sent.map((n) => n.t),
  };
}

const dataOf = (n: RoutedNotification) => n.notification.data as AlertGroupData;

describe('grouping', () => {
  it('waits group_wait and batches two alerts of a group into one notification', () => {
    const h = harness();
    h.at(0, firing('HighErrorRate', { instance: 'web-1' }));
    h.at(10 * S, firing('HighErrorRate', { instance: 'web-2' }));
    h.runTo(29 * S);
    expect(h.sent).toEqual([]);
    h.runTo(2 * M);
    expect(h.times()).toEqual([30 * S]);
    const [n] = h.sent;
    expect(n!.receiver).toBe('ops');
    expect(n!.notification).toMatchObject({
      type: 'alert.firing',
      at: '2025-03-01T12:00:30.000Z',
      environment: 'production',
      service: 'web',
      summary: 'production: web — 2 alerts firing: HighErrorRate',
    });
    expect(n!.notification.id).toMatch(/^alert-[0-9a-f]{12}-[0-9a-z]+-1$/);
    const data = dataOf(n!);
    expect(data).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupKey: 'default/ops:{alertname="HighErrorRate",environment="production",service="web"}',
      groupLabels: { alertname: 'HighErrorRate', environment: 'production', service: 'web' },
      commonLabels: {
        alertname: 'HighErrorRate',
        environment: 'production',
        service: 'web',
        severity: 'page',
      },
    });
    expect(data.alerts.map((a) => a.labels.instance)).toEqual(['web-1', 'web-2']);
    expect(data.alerts[0]).toEqual({
      status: 'firing',
      labels: expect.objectContaining({ instance: 'web-1' }),
      annotations: { summary: 'HighErrorRate is bad', runbook: 'https://runbooks.example/HighErrorRate' },
      startsAt: '2025-03-01T12:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: expect.any(String),
      flapping: false,
    });
  });

  it('puts alerts of different groups in different notifications', () => {
    const h = harness();
    h.at(0, firing('HighErrorRate'), firing('HighErrorRate', { service: 'api' }), firing('HighLatency'));
    h.runTo(M);
    expect(h.sent).toHaveLength(3);
    expect(new Set(h.sent.map((n) => n.notification.id)).size).toBe(3);
    expect(h.sent.map((n) => dataOf(n).alerts.length)).toEqual([1, 1, 1]);
  });

  it('sends later changes at most every group_interval', () => {
    const h = harness();
    h.at(0, firing('HighErrorRate', { instance: 'web-1' }));
    h.at(M, firing('HighErrorRate', { instance: 'web-2' }));
    h.at(2 * M, firing('HighErrorRate', { instance: 'web-3' }));
    h.runTo(20 * M);
    // group_wait, then the next look 5 min later carries both newcomers; nothing changed since.
    expect(h.times()).toEqual([30 * S, 5 * M + 30 * S]);
    expect(dataOf(h.sent[1]!).alerts).toHaveLength(3);
    expect(h.sent[1]!.notification.id).toBe(h.sent[0]!.notification.id.replace(/-1$/, '-2'));
  });

  it('re-sends an unchanged firing group every repeat_interval', () => {
    const h = harness();
    h.at(0, firing('HighErrorRate'));
    h.runTo(9 * H);
    expect(h.times()).toEqual([30 * S, 4 * H + 30 * S, 8 * H + 30 * S]);
  });

  it('honours per-route timings', () => {
    const h = harness({
      config: {
        ...baseConfig,
        routes: [{ receiver: 'ops', groupWaitMs: 5 * S, groupIntervalMs: M, repeatIntervalMs: 10 * M }],
      },
    });
    h.at(0, firing('A'));
    h.at(2 * M + 10 * S, firing('A', { instance: 'x' }));
    h.runTo(16 * M);
    expect(h.times()).toEqual([5 * S, 3 * M + 5 * S, 13 * M + 5 * S]);
  });

  it('sends one resolved notification when every alert resolves, then drops the group', () => {
    const h = harness();
    const a = firing('HighErrorRate', { instance: 'web-1' });
    const b = firing('HighErrorRate', { instance: 'web-2' });
    h.at(0, a, b);
    h.at(M, resolvedAt(a, T0 + M));
    h.at(2 * M, resolvedAt(b, T0 + 2 * M));
    h.runTo(9 * M);
    expect(h.times()).toEqual([30 * S, 5 * M + 30 * S]);
    const done = h.sent[1]!;
    expect(done.notification.type).toBe('alert.resolved');
    expect(done.notification.summary).toBe('production: web — 2 alerts resolved: HighErrorRate');
    expect(dataOf(done).status).toBe('resolved');
    expect(dataOf(done).alerts.map((x) => [x.status, x.endsAt])).toEqual([
      ['resolved', '2025-03-01T12:01:00.000Z'],
      ['resolved', '2025-03-01T12:02:00.000Z'],
    ]);

    // The group is gone: firing again starts a new group, with a new group_wait and a new id.
    h.at(10 * M, a);
    h.runTo(30 * M);
    expect(h.times()).toEqual([30 * S, 5 * M + 30 * S, 10 * M + 30 * S]);
    expect(h.sent[2]!.notification.id).not.toBe(h.sent[0]!.notification.id);
    expect(h.sent[2]!.notification.id).toMatch(/-1$/);
  });

  it('tells about a resolved alert together with the ones still firing', () => {
    const h = harness();
    const a = firing('HighErrorRate', { instance: 'web-1' });
    h.at(0, a, firing('HighErrorRate', { instance: 'web-2' }));
    h.at(M, resolvedAt(a, T0 + M));
    h.runTo(11 * M);
    expect(h.times()).toEqual([30 * S, 5 * M + 30 * S]);
    const n = h.sent[1]!;
    expect(n.notification.type).toBe('alert.firing');
    expect(dataOf(n).alerts.map((x) => `${x.labels.instance}:${x.status}`)).toEqual([
      'web-2:firing',
      'web-1:resolved',
    ]);
    expect(n.notification.summary).toBe(
      'production: web — 1 firing (HighErrorRate), 1 resolved (HighErrorRate)',
    );
  });

  it('says nothing about an alert that fired and resolved within group_wait', () => {
    const h = harness();
    const a = firing('Blip');
    h.at(0, a);
    h.at(10 * S, resolvedAt(a, T0 + 10 * S));
    h.runTo(30 * M);
    expect(h.sent).toEqual([]);
    expect(h.router.alerts(T0 + 30 * M)).toEqual([]);
  });

  it('sends no resolved notification to a receiver with sendResolved false, and re-notifies a re-fire', () => {
    const h = harness({
      config: { ...baseConfig, receivers: { ops: { kind: 'slack', url: 'x', sendResolved: false } } },
    });
    const a = firing('HighErrorRate', { instance: 'web-1' });
    h.at(0, a, firing('HighErrorRate', { instance: 'web-2' }));
    h.at(M, resolvedAt(a, T0 + M));
    h.at(6 * M, a);
    h.runTo(12 * M);
    // 5:30 only had a resolution (not sent); 10:30 has web-1 firing again.
    expect(h.times()).toEqual([30 * S, 10 * M + 30 * S]);
    expect(dataOf(h.sent[1]!).alerts.every((x) => x.status === 'firing')).toBe(true);
  });

  it('ignores a resolved update for an alert it never saw firing', () => {
    const h = harness();
    h.at(0, resolvedAt(firing('Ghost'), T0));
    h.runTo(M);
    expect(h.sent).toEqual([]);
  });
});

describe('silences', () => {
  const silence = (over: Partial<Silence> = {}): Silence => ({
    id: 'sil-1',
    matchers: [{ label: 'service', op: '=', value: 'web' }],
    startsAt: new Date(T0 - M).toISOString(),
    endsAt: new Date(T0 + 10 * M).toISOString(),
    createdBy: 'ada',
    comment: 'deploying a fix',
    ...over,
  });

  it('hides a silenced alert, shows it as silenced, and notifies it once the silence expires', () => {
    const h = harness();
    h.router.setSilences([silence()]);
    h.at(0, firing('HighErrorRate'), firing('HighErrorRate', { service: 'api' }));
    h.runTo(9 * M);
    // Only the api alert got through.
    expect(h.sent.map((n) => n.notification.service)).toEqual(['api']);
    const views = h.router.alerts(T0 + 9 * M);
    expect(views.map((v) => [v.labels.service, v.silencedBy])).toEqual([
      ['api', []],
      ['web', ['sil-1']],
    ]);
    expect(views[1]!.receivers).toEqual(['ops']);

    h.runTo(20 * M);
    // Expired at 10:00; the web group's next look is at 10:30.
    expect(h.times()).toEqual([30 * S, 10 * M + 30 * S]);
    expect(h.sent[1]!.notification.service).toBe('web');
    expect(h.router.alerts(T0 + 20 * M).every((v) => v.silencedBy.length === 0)).toBe(true);
  });

  it('does not silence before startsAt', () => {
    const h = harness();
    h.router.setSilences([
      silence({ startsAt: new Date(T0 + H).toISOString(), endsAt: new Date(T0 + 2 * H).toISOString() }),
    ]);
    h.at(0, firing('HighErrorRate'));
    h.runTo(M);
    expect(h.sent).toHaveLength(1);
  });

  it('only hides the matching alerts of a group', () => {
    const h = harness();
    h.router.setSilences([silence({ matchers: [{ label: 'instance', op: '=~', value: 'web-[12]' }] })]);
    h.at(0, ...['web-1', 'web-2', 'web-3'].map((instance) => firing('HighErrorRate', { instance })));
    h.runTo(M);
    expect(h.sent).toHaveLength(1);
    expect(dataOf(h.sent[0]!).alerts.map((a) => a.labels.instance)).toEqual(['web-3']);
  });

  it('ignores a silence with an invalid matcher, and says which', () => {
    const h = harness();
    const ignored = h.router.setSilences([
      silence({ id: 'bad', matchers: [{ label: 'alertname', op: '=~', value: '(' }] }),
    ]);
    expect(ignored).toEqual(['bad']);
    h.at(0, firing('HighErrorRate'));
    expect(() => h.runTo(M)).not.toThrow();
    expect(h.sent).toHaveLength(1);
  });
});

describe('routes', () => {
  const config: RoutingConfig = {
    receivers: {
      ops: { kind: 'webhook', url: 'http://127.0.0.1/ops' },
      pager: { kind: 'webhook', url: 'http://127.0.0.1/pager' },
      payments: { kind: 'slack', url: 'http://127.0.0.1/payments' },
      audit: { kind: 'webhook', url: 'http://127.0.0.1/audit' },
    },
    routes: [
      { match: { environment: 'production' }, receiver: 'audit', continue: true, groupBy: ['environment'] },
      { match: { severity: 'page', environment: 'production' }, receiver: 'pager' },
      { match: { owner: 'payments' }, receiver: 'payments' },
    ],
    defaultReceiver: 'ops',
  };
  const ownerOf = (service: string | undefined) => (service === 'checkout' ? 'payments' : 'platform');

  it('routes by severity and owner; first match wins; continue goes on, down to the default', () => {
    const h = harness({ config, ownerOf });
    h.at(
      0,
      firing('Down', { severity: 'page' }),
      firing('Slow', { severity: 'ticket', service: 'checkout' }),
      firing('Slow', { severity: 'ticket', service: 'search' }),
      firing('Down', { environment: 'staging', service: 'checkout', severity: 'page' }),
    );
    h.runTo(M);
    const got = h.sent.map(
      (n) =>
        `${n.receiver}: ${dataOf(n)
          .alerts.map((a) => `${a.labels.alertname}/${a.labels.environment}/${a.labels.service}`)
          .join(' ')}`,
    );
    expect(got.sort()).toEqual([
      // The audit route groups by environment only: one notification for all production alerts.
      'audit: Down/production/web Slow/production/checkout Slow/production/search',
      'ops: Slow/production/search',
      'pager: Down/production/web',
      'payments: Down/staging/checkout',
      'payments: Slow/production/checkout',
    ]);
    const views = h.router.alerts(T0 + M);
    expect(views.find((v) => v.labels.service === 'search')?.receivers).toEqual(['audit', 'ops']);
    expect(views.find((v) => v.labels.alertname === 'Down' && v.labels.service === 'web')?.receivers).toEqual(
      ['audit', 'pager'],
    );
  });

  it('refuses a route to an unknown receiver', () => {
    expect(() => createAlertRouter({ config: { ...baseConfig, routes: [{ receiver: 'nope' }] } })).toThrow(
      /route 1 names receiver "nope", which is not configured/,
    );
  });
});

describe('flap damping', () => {
  /** fire at 0, then flip every 30 s from 1:00 to 6:00, ending resolved at 6:00. */
  function flapping(h: ReturnType<typeof harness>) {
    const a = firing('Flappy');
    h.at(0, a);
    let state: 'firing' | 'resolved' = 'firing';
    for (let t = M; t <= 6 * M; t += 30 * S) {
      state = state === 'firing' ? 'resolved' : 'firing';
      h.at(t, state === 'firing' ? a : resolvedAt(a, T0 + t));
    }
    expect(state).toBe('resolved');
  }

  it('holds a flapping alert as firing and flapping, then sends one notification once stable', () => {
    const h = harness();
    flapping(h);
    h.runTo(40 * M);
    // 0:30 firing; 5:30 says it flaps; stable from 6:00, settled at 11:00, told at the 15:30 look.
    expect(h.times()).toEqual([30 * S, 5 * M + 30 * S, 15 * M + 30 * S]);
    expect(h.sent.map((n) => n.notification.type)).toEqual([
      'alert.firing',
      'alert.firing',
      'alert.resolved',
    ]);
    expect(dataOf(h.sent[1]!).alerts[0]).toMatchObject({ status: 'firing', flapping: true });
    expect(h.sent[1]!.notification.summary).toBe('production: web — Flappy flapping: Flappy is bad');
    expect(dataOf(h.sent[2]!).alerts[0]).toMatchObject({
      status: 'resolved',
      flapping: false,
      endsAt: '2025-03-01T12:06:00.000Z',
    });
    expect(h.router.alerts(T0 + 40 * M)).toEqual([]);
  });

  it('shows it as flapping while it flaps', () => {
    const h = harness();
    flapping(h);
    h.runTo(3 * M);
    expect(h.router.alerts(T0 + 3 * M)[0]).toMatchObject({ flapping: true });
    h.runTo(11 * M);
    expect(h.router.alerts(T0 + 11 * M)[0]).toMatchObject({ flapping: false, state: 'resolved' });
  });

  it('turns what would be a notification every few minutes into three', () => {
    const a = firing('Flappy');
    // Up for a minute, down for a minute, for 36 minutes; resolved from 35:00 on.
    const feed = (h: ReturnType<typeof harness>) => {
      for (let t = 0; t < 36 * M; t += 2 * M) {
        h.at(t, a);
        h.at(t + M, resolvedAt(a, T0 + t + M));
      }
    };
    const undamped = harness({ flap: { threshold: 1_000 } });
    feed(undamped);
    undamped.runTo(60 * M);
    // Every group look that finds it down drops the group; the next firing starts a new one.
    expect(undamped.sent.length).toBeGreaterThanOrEqual(10);

    const damped = harness();
    feed(damped);
    damped.runTo(60 * M);
    // Firing; flapping (5th change at 4:00); resolved once stable from 35:00 for 5 min.
    expect(damped.times()).toEqual([30 * S, 5 * M + 30 * S, 40 * M + 30 * S]);
    expect(damped.sent.map((n) => n.notification.type)).toEqual([
      'alert.firing',
      'alert.firing',
      'alert.resolved',
    ]);
  });

  it('when it settles firing, says once that it is no longer flapping', () => {
    const h = harness();
    const a = firing('Flappy');
    h.at(0, a);
    for (const [i, t] of [M, 2 * M, 3 * M, 4 * M].entries()) h.at(t, i % 2 === 0 ? resolvedAt(a, T0 + t) : a);
    // The 5th change (firing at 4:00) makes it flap; it stays firing.
    h.runTo(30 * M);
    expect(h.times()).toEqual([30 * S, 5 * M + 30 * S, 10 * M + 30 * S]);
    expect(dataOf(h.sent[1]!).alerts[0]!.flapping).toBe(true);
    expect(dataOf(h.sent[2]!).alerts[0]).toMatchObject({ status: 'firing', flapping: false });
  });
});
