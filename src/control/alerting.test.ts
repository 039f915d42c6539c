import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFromString } from '../config/parse.js';
import type { Notification } from '../notify/types.js';
import type { MetricsSource, WindowStats } from '../observe/metrics/types.js';
import { planObserve } from '../observe/plan.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { Alerting } from './alerting.js';

const CONFIG = `
project: shop
pipeline: { jobs: { build: { run: "true" } } }
services:
  web: { run: node server.js }
environments:
  production: { listen: 8080 }
observe: { interval: 1s }
alerts:
  - { name: web-down, when: "healthy < 1", window: 5s, for: 2s, severity: page, summary: no healthy web }
  - { name: web-errors, when: "error_rate > 5%", window: 5s, severity: ticket }
notify:
  webhook: [{ url: "http://127.0.0.1:9/hook" }]
  routes: [{ receiver: default, group_wait: 1s, group_interval: 2s }]
`;

function stats(over: Partial<WindowStats>): WindowStats {
  return {
    from: 0,
    to: 0,
    ticks: 5,
    upTicks: 5,
    coveredMs: 5000,
    requests: 100,
    errors: 0,
    latency: new Array(13).fill(0),
    latencySumMs: 0,
    cpuSeconds: null,
    inflightAvg: null,
    rssAvg: null,
    rssMax: null,
    healthyAvg: 2,
    healthyMin: 2,
    instancesAvg: 2,
    ...over,
  };
}

describe('Alerting (fake clock, fake metrics, real SQLite store)', () => {
  let store: Store;
  let now: number;
  let current: WindowStats;
  let sent: Array<{ receiver: string; n: Notification }>;
  let alerting: Alerting;

  const metrics: MetricsSource = {
    window: (_s, from, to) => ({ ...current, from, to }),
    series: () => ({ resolution: 'raw', points: [] }),
    app: () => undefined,
    subjects: () => [],
  };

  const make = () =>
    new Alerting({
      store,
      metrics,
      clock: { now: () => now },
      plan: planObserve(loadConfigFromString(CONFIG, 'tandem.yaml')),
      secrets: { get: () => undefined } as never,
      env: {},
      targets: async () => [{ environment: 'production', service: 'web' }],
      send: (receiver, n) => sent.push({ receiver, n }),
    });

  const at = async (seconds: number) => {
    now = 1_000_000 + seconds * 1000;
    await alerting.evaluate();
  };
  const types = () => sent.map((s) => s.n.type);

  beforeEach(async () => {
    store = await openStoreAt(':memory:');
    now = 1_000_000;
    current = stats({});
    sent = [];
    alerting = make();
  });
  afterEach(async () => {
    await alerting.stop();
    await store.close();
  });

  it('fires after `for`, opens one incident, notifies after group_wait, and resolves both', async () => {
    await at(0); // first sight: judged from the next tick on
    await at(1);
    current = stats({ healthyMin: 0, healthyAvg: 0, upTicks: 0 });
    await at(2); // pending
    expect(types()).toEqual([]);
    await at(4); // 2s pending → firing
    expect(types()).toEqual(['incident.opened']);
    const [incident] = await store.incidents.list({ state: 'open' });
    expect(incident).toMatchObject({ environment: 'production', service: 'web', title: 'no healthy web' });
    await at(5); // group_wait 1s has passed
    expect(types()).toEqual(['incident.opened', 'alert.firing']);
    const firing = sent[1]?.n;
    expect(firing?.data).toMatchObject({ status: 'firing', commonLabels: { alertname: 'web-down' } });
    current = stats({});
    await at(6);
    expect(types()).toContain('incident.resolved');
    await at(7); // the group's next look (group_interval 2s) tells the receiver it resolved
    expect(types()).toContain('alert.resolved');
    const resolved = await store.incidents.get(incident?.id as string);
    expect(resolved).toMatchObject({ state: 'resolved', resolvedBy: 'tandem' });
    const events = (await store.events.list({ subjectKind: 'alert' })).map((e) => e.type);
    expect(events).toEqual(['alert.firing', 'alert.resolved']);
  });

  it('treats missing data as its own state: notified as nodata, never an incident, never OK', async () => {
    await at(0);
    current = stats({ ticks: 0, upTicks: 0, requests: 0, healthyMin: null, healthyAvg: null });
    await at(2);
    await at(4);
    expect((await store.incidents.list({})).length).toBe(0);
    const nodata = sent.filter((s) => s.n.type === 'alert.firing');
    expect(nodata.length).toBeGreaterThan(0);
    expect(JSON.stringify(nodata[0]?.n.data)).toContain('"alertstate":"nodata"');
    const states = [...alerting.current().values()].map((a) => a.status);
    expect(states).toEqual(['nodata', 'nodata']);
  });

  it('keeps a silenced alert and its incident quiet, but still opens the incident', async () => {
    await store.silences.create({
      matchers: [{ label: 'service', op: '=', value: 'web' }],
      startsAt: new Date(now),
      endsAt: new Date(now + 3_600_000),
      createdBy: 'ops',
      comment: 'maintenance',
      at: new Date(now),
    });
    await at(0);
    current = stats({ healthyMin: 0, healthyAvg: 0 });
    await at(1);
    await at(4);
    await at(6);
    expect(types()).toEqual([]);
    expect((await store.incidents.list({ state: 'open' })).length).toBe(1);
  });

  it('continues after a restart without re-firing what was already firing', async () => {
    await at(0);
    current = stats({ healthyMin: 0, healthyAvg: 0 });
    await at(1);
    await at(4);
    const before = (await store.events.list({ subjectKind: 'alert' })).length;
    await alerting.stop();
    alerting = make();
    await at(5);
    await at(6);
    expect((await store.events.list({ subjectKind: 'alert' })).length).toBe(before);
    expect([...alerting.current().values()].some((a) => a.status === 'firing')).toBe(true);
  });
});
