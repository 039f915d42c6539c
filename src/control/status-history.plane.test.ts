/**
 * The control plane's status and history with the operations parts (issue 5): a real store, the
 * fake agent and a fake metrics source, so the reads behind `tandem status` and `tandem history`
 * are checked end to end without processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { MetricsStore, WindowStats } from '../observe/metrics/types.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { ControlPlane } from './control-plane.js';
import { FakeAgent } from './fake-agent.js';
import { snapshotOf } from './release-config.js';

const CONFIG = `project: shop
pipeline:
  jobs:
    build: { run: "true" }
services:
  web:
    run: node server.js
    health: { path: /healthz }
    autoscale: { min: 2, max: 6, target: { rps: 200 } }
    slo: { availability: 99.9% }
  worker:
    run: node worker.js
    replicas: 1
environments:
  production:
    listen: { web: 18181 }
    strategy: rolling
`;

/** 1000 requests, 0 errors, 99 of 100 ticks healthy, over any window; `worker` has no data. */
function fakeMetrics(): MetricsStore {
  const window = (subject: { service: string }, from: number, to: number): WindowStats => {
    const data = subject.service === 'web';
    return {
      from,
      to,
      ticks: data ? 100 : 0,
      upTicks: data ? 99 : 0,
      coveredMs: data ? 100_000 : 0,
      requests: data ? 1000 : 0,
      errors: 0,
      latency: [],
      latencySumMs: 0,
      cpuSeconds: null,
      inflightAvg: null,
      rssAvg: null,
      rssMax: null,
      healthyAvg: data ? 2 : null,
      healthyMin: data ? 0 : null,
      instancesAvg: data ? 2 : null,
    };
  };
  return {
    window,
    series: () => ({ resolution: 'raw', points: [] }),
    app: () => undefined,
    subjects: () => [],
    write: () => {},
    compact: () => {},
    size: () => ({ bytes: 0, rows: { raw: 0, '1m': 0, '1h': 0, app: 0 } }),
    close: () => {},
  };
}

let dir: string;
let store: Store;
let agent: FakeAgent;
let now: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-status-history-'));
  store = await openStoreAt(':memory:');
  agent = new FakeAgent();
  now = Date.UTC(2025, 0, 1, 9, 0, 0);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function deployed(metrics?: MetricsStore): Promise<{ cp: ControlPlane; deploymentId: string }> {
  writeFileSync(path.join(dir, 'tandem.yaml'), CONFIG);
  const loaded = await loadConfig({ cwd: dir });
  const cp = new ControlPlane({
    loaded,
    store,
    agent,
    env: { PATH: '/usr/bin', TANDEM_MASTER_KEY: 'a'.repeat(64) },
    clock: { now: () => now },
    ...(metrics !== undefined ? { metrics } : {}),
  });
  const r = await store.releases.create({
    project: 'shop',
    commit: 'a'.repeat(40),
    ref: 'HEAD',
    config: snapshotOf(loaded.config),
    dir: (id) => `releases/${id}/src`,
  });
  await store.releases.markReady(r.id, 'run-1');
  const { deployment } = await cp.deploy({ environment: 'production', release: r.id });
  for (let i = 0; i < 40; i++) {
    await cp.reconcileNow();
    agent.settle();
    now += 1000;
    if ((await cp.deployment(deployment.id))?.deployment.state !== 'progressing') break;
  }
  expect((await cp.deployment(deployment.id))?.state).toBe('promoted');
  return { cp, deploymentId: deployment.id };
}

const decision = {
  from: 2,
  to: 4,
  recommendation: 4,
  metric: 412,
  target: { kind: 'rps', value: 200 },
  ratio: 2.06,
  limitedBy: null,
  reason: 'rps 412/instance vs target 200: ratio 2.06 → 5; scale-up policy allows 4',
  policy: {},
};

describe('control plane status and history (operations parts)', () => {
  it('status shows the autoscaler’s recorded decision, the SLO budget and the uptime per service', async () => {
    const { cp } = await deployed(fakeMetrics());
    await store.deployments.scale('production', 'web', 4, new Date(now), { by: 'autoscaler', decision });
    const status = await cp.status();
    const [web, worker] = status.environments[0]?.services ?? [];
    expect(web?.autoscale).toEqual({
      min: 2,
      max: 6,
      target: { kind: 'rps', value: 200 },
      desired: 4,
      lastDecision: {
        at: new Date(now).toISOString(),
        from: 2,
        to: 4,
        reason: decision.reason,
        limitedBy: null,
        metric: 412,
        ratio: 2.06,
      },
    });
    expect(web?.alerts).toEqual({ firing: 0, pending: 0, nodata: 0, names: [] });
    expect(web?.slo).toEqual([{ objective: 'availability', target: 0.999, windowDays: 30, remaining: 1 }]);
    expect(web?.uptime).toEqual({ '1d': 0.99, '30d': 0.99, '90d': 0.99 });
    expect(worker?.autoscale).toBeNull();
    expect(worker?.slo).toEqual([]);
    expect(worker?.uptime).toEqual({ '1d': null, '30d': null, '90d': null });
  });

  it('status answers before the metrics store is open: objectives listed, budget and uptime unknown', async () => {
    const { cp } = await deployed();
    const web = (await cp.status()).environments[0]?.services[0];
    expect(web?.slo).toEqual([{ objective: 'availability', target: 0.999, windowDays: 30, remaining: null }]);
    expect(web?.uptime).toEqual({ '1d': null, '30d': null, '90d': null });
    expect(web?.autoscale?.lastDecision).toBeNull();
  });

  it('history events: autoscaler changes and incidents of the environment, not an operator’s scale', async () => {
    const { cp } = await deployed(fakeMetrics());
    const t = (min: number) => new Date(now + min * 60_000);
    await store.deployments.scale('production', 'web', 4, t(1), { by: 'autoscaler', decision });
    await store.deployments.scale('production', 'web', 5, t(2), { by: 'ada' });
    const { incident } = await store.incidents.open({
      environment: 'production',
      service: 'web',
      title: 'web-down',
      severity: 'page',
      cause: { kind: 'alert', ref: 'fp' },
      releases: [],
      at: t(3),
    });
    await store.incidents.resolve(incident.id, 'tandem', null, t(7));
    await store.incidents.open({
      environment: 'staging',
      service: 'web',
      title: 'elsewhere',
      severity: 'page',
      cause: { kind: 'alert', ref: 'fp2' },
      releases: [],
      at: t(4),
    });
    const events = await cp.historyEvents('production');
    expect(events.map((e) => e.summary)).toEqual([
      `incident ${incident.id} resolved by tandem after 4m: web-down`,
      `incident ${incident.id} opened on web (page): web-down`,
      `autoscaled web 2 → 4: ${decision.reason}`,
    ]);
    // The deployments themselves are unchanged.
    expect((await cp.history('production')).map((d) => d.state)).toEqual(['promoted']);
    await expect(cp.historyEvents('prod')).rejects.toThrow(/unknown environment|did you mean/);
  });
});
