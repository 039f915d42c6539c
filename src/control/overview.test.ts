import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentState } from '../agent/protocol.js';
import { loadConfigFromString } from '../config/parse.js';
import { planEnvironments } from '../delivery/environment-plan.js';
import type { Rollout } from '../delivery/types.js';
import type { MetricsSource, Subject, WindowStats } from '../observe/metrics/types.js';
import { planObserve } from '../observe/plan.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { buildOverview, OverviewModel, type OverviewService, type OverviewSource } from './overview.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');

const CONFIG = (extra = 0) => `project: shop
owners: { team: platform }
pipeline:
  jobs:
    build: { run: "true" }
services:
  web:
    run: node web.js
    replicas: 2
    autoscale: { min: 2, max: 6, target: { rps: 200 } }
    owners: { team: payments }
  api:
    run: node api.js
  worker:
    run: node worker.js
${Array.from({ length: extra }, (_, i) => `  extra${i}:\n    run: node x.js\n`).join('')}
environments:
  staging:
    listen: { web: 18081 }
  production:
    listen: { web: 18080 }
    strategy: canary
    steps:
      - { weight: 20 }
      - { weight: 50 }
`;

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

function instance(environment: string, service: string, n: number, state: string, healthy: boolean) {
  return {
    id: `${environment}-${service}-${n}`,
    environment,
    service,
    state,
    healthy,
  } as AgentState['instances'][number];
}

/** Metrics with data for the aggregates of production/web and staging/web (and an instance). */
function fakeMetrics(calls: Subject[]): MetricsSource {
  const stats = (s: Subject): WindowStats => ({
    from: NOW - 60_000,
    to: NOW,
    ticks: 6,
    upTicks: 6,
    coveredMs: 60_000,
    requests: s.environment === 'production' ? 600 : 60,
    errors: s.environment === 'production' ? 6 : 0,
    latency: [0, 0, 0, 50, 500, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    latencySumMs: 1000,
    cpuSeconds: null,
    inflightAvg: null,
    rssAvg: null,
    rssMax: null,
    healthyAvg: 2,
    healthyMin: 2,
    instancesAvg: 2,
  });
  return {
    subjects: () => [
      { environment: 'production', service: 'web', instance: '' },
      { environment: 'production', service: 'web', instance: 'production-web-1' },
      { environment: 'staging', service: 'web', instance: '' },
    ],
    window: (s) => {
      calls.push(s);
      return stats(s);
    },
    series: () => ({ resolution: 'raw', points: [] }),
    app: () => undefined,
  };
}

function source(config: string, opts: { metrics?: MetricsSource; state?: AgentState } = {}): OverviewSource {
  const loaded = loadConfigFromString(config, '/tmp/tandem.yaml');
  const plans = planEnvironments(loaded, { env: {}, secrets: undefined });
  const observe = planObserve(loaded);
  return {
    environments: () => plans,
    observeConfig: () => observe,
    metrics: () => {
      if (opts.metrics === undefined) throw new Error('the metrics store is not open yet');
      return opts.metrics;
    },
    agentState: async () => (opts.state === undefined ? undefined : { state: opts.state }),
  };
}

function rollout(deployment: string, service: string, over: Partial<Rollout> = {}): Rollout {
  return {
    id: `${deployment}.${service}`,
    service,
    strategy: { name: 'canary', steps: [{ weight: 20 }, { weight: 50 }] },
    from: null,
    to: 'r2-bbb',
    replicas: 2,
    state: 'pending',
    step: 0,
    startedAt: NOW,
    stepStartedAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

async function deploy(
  id: string,
  environment: string,
  release: string,
  services: string[],
  minutesAgo: number,
) {
  const rollouts = services.map((s) => rollout(id, s, { to: release }));
  await store.deployments.start({
    id,
    environment,
    kind: 'deploy',
    release,
    fromRelease: null,
    rollouts,
    supersede: [],
    at: new Date(NOW - minutesAgo * 60_000),
  });
  return rollouts;
}

async function seed(extra: string[] = []): Promise<void> {
  const at = new Date(NOW - 50 * 60_000);
  for (const s of await deploy('d-stg', 'staging', 'r1-aaa', ['web', 'api', ...extra], 50)) {
    await store.deployments.saveRollout('d-stg', { ...s, state: 'promoted' }, s, at);
  }
  await store.deployments.finish(
    'd-stg',
    'succeeded',
    null,
    [
      { service: 'web', release: 'r1-aaa', replicas: 2 },
      { service: 'api', release: 'r1-aaa', replicas: 1 },
      ...extra.map((service) => ({ service, release: 'r1-aaa', replicas: 1 })),
    ],
    at,
  );
  await deploy('d-prod1', 'production', 'r1-aaa', ['web', 'api', 'worker'], 40);
  await store.deployments.finish(
    'd-prod1',
    'succeeded',
    null,
    [
      { service: 'web', release: 'r1-aaa', replicas: 2 },
      { service: 'api', release: 'r1-aaa.1', replicas: 1 },
      { service: 'worker', release: 'r1-aaa', replicas: 1 },
    ],
    new Date(NOW - 40 * 60_000),
  );
  const [web] = await deploy('d-prod2', 'production', 'r2-bbb', ['web', 'api'], 5);
  if (web !== undefined) {
    await store.deployments.saveRollout(
      'd-prod2',
      { ...web, state: 'progressing', step: 1 },
      web,
      new Date(NOW - 60_000),
    );
  }
  await store.incidents.open({
    environment: 'production',
    service: 'web',
    title: 'errors',
    severity: 'page',
    cause: { kind: 'alert', ref: 'fp-1' },
    releases: ['r2-bbb'],
  });
  const alert = (fingerprint: string, environment: string, service: string, state: string) => ({
    fingerprint,
    rule: 'errors',
    environment,
    service,
    state,
    record: {},
  });
  await store.alertStates.saveAll([
    alert('fp-1', 'production', 'web', 'firing'),
    alert('fp-2', 'production', 'web', 'firing'),
    alert('fp-3', 'production', 'api', 'pending'),
    alert('fp-4', 'staging', 'api', 'firing'),
  ]);
}

const row = (rows: OverviewService[], environment: string, service: string) => {
  const r = rows.find((x) => x.environment === environment && x.service === service);
  if (r === undefined) throw new Error(`no row ${environment}/${service}`);
  return r;
};

describe('buildOverview', () => {
  it('shows every service × environment with its release, health, traffic, rollout, owners, incidents and alerts', async () => {
    await seed();
    const calls: Subject[] = [];
    const state: AgentState = {
      pid: 1,
      startedAt: '',
      listeners: [],
      instances: [
        instance('production', 'web', 1, 'running', true),
        instance('production', 'web', 2, 'running', true),
        instance('production', 'web', 3, 'starting', false),
        instance('production', 'api', 1, 'running', false),
        instance('staging', 'web', 1, 'running', true),
      ],
    };
    const overview = await buildOverview(store, source(CONFIG(), { metrics: fakeMetrics(calls), state }), {
      now: NOW,
    });
    expect(overview.services.map((s) => `${s.environment}/${s.service}`)).toEqual([
      'staging/web',
      'staging/api',
      'staging/worker',
      'production/web',
      'production/api',
      'production/worker',
    ]);
    const web = row(overview.services, 'production', 'web');
    expect(web).toMatchObject({
      release: 'r1-aaa',
      revision: 'r1-aaa',
      health: { status: 'healthy', ready: 2, desired: 2 },
      replicas: 2,
      traffic: { rps: 10, errorRate: 0.01 },
      rollout: { state: 'progressing', step: 1, weight: 50, steps: 2, active: true },
      owners: { team: 'payments' },
      incidents: { open: 1 },
      alerts: { firing: 2 },
      autoscale: { min: 2, max: 6 },
    });
    expect(web.traffic.p95Ms).toBeGreaterThan(0);
    expect(row(overview.services, 'production', 'api')).toMatchObject({
      release: 'r1-aaa',
      revision: 'r1-aaa.1',
      health: { status: 'down', ready: 0, desired: 1 },
      traffic: { rps: null, errorRate: null, p95Ms: null },
      rollout: { state: 'pending', step: 0, weight: null, steps: 2, active: true },
      owners: { team: 'platform' },
      incidents: { open: 0 },
      alerts: { firing: 0 },
      autoscale: null,
    });
    // Not part of the latest deployment: no rollout.
    expect(row(overview.services, 'production', 'worker').rollout).toBeNull();
    expect(row(overview.services, 'staging', 'worker').health.status).toBe('not-deployed');
    expect(row(overview.services, 'staging', 'api').alerts.firing).toBe(1);
    expect(row(overview.services, 'staging', 'web').rollout).toEqual({
      state: 'promoted',
      step: null,
      weight: null,
      steps: null,
      active: false,
    });
    expect(overview.environments).toEqual([
      expect.objectContaining({
        name: 'staging',
        deployment: expect.objectContaining({ id: 'd-stg', state: 'succeeded', rolloutState: 'promoted' }),
      }),
      expect.objectContaining({
        name: 'production',
        strategy: 'canary',
        deployment: expect.objectContaining({
          id: 'd-prod2',
          release: 'r2-bbb',
          rolloutState: 'progressing',
        }),
      }),
    ]);
    // Metric windows only for the service aggregates that reported data.
    expect(calls).toEqual([
      { environment: 'production', service: 'web', instance: '' },
      { environment: 'staging', service: 'web', instance: '' },
    ]);
  });

  it('filters by environment, and answers without metrics or an agent read', async () => {
    await seed();
    const overview = await buildOverview(store, source(CONFIG()), { environment: 'staging', now: NOW });
    expect(overview.environments.map((e) => e.name)).toEqual(['staging']);
    expect(overview.services.every((s) => s.environment === 'staging')).toBe(true);
    expect(row(overview.services, 'staging', 'web')).toMatchObject({
      health: { status: 'unknown', ready: null, desired: 2 },
      traffic: { rps: null, errorRate: null, p95Ms: null },
    });
    expect(row(overview.services, 'staging', 'api').alerts.firing).toBe(1);
  });

  it('reads the store a fixed number of times per environment, however many services there are', async () => {
    const queries = async (extra: number) => {
      const names = Array.from({ length: extra }, (_, i) => `extra${i}`);
      await store.close();
      store = await openStoreAt(':memory:');
      await seed(names);
      const counted = countingStore();
      const overview = await buildOverview(counted.store, source(CONFIG(extra)), { now: NOW });
      expect(overview.services).toHaveLength(2 * (3 + extra));
      return counted.count();
    };
    const few = await queries(0);
    // The last event id, then per environment: states, latest deployment, rollouts, incidents, alerts.
    expect(few).toBeLessThanOrEqual(1 + 2 * 6);
    expect(await queries(40)).toBe(few);
  });
});

/** The store, counting the queries made through it. */
function countingStore(): { store: Store; count(): number; reset(): void } {
  let count = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return {
    store: { ...store, db: store.db.withPlugin(counter) },
    count: () => count,
    reset: () => {
      count = 0;
    },
  };
}

describe('OverviewModel', () => {
  it('reads an environment again only when an event names it, or its rollout may have moved', async () => {
    await seed();
    let now = NOW;
    const counted = countingStore();
    const src = source(CONFIG());
    const model = new OverviewModel(counted.store, src, { now: () => now });
    const first = await model.get();
    expect(row(first.services, 'production', 'api').incidents.open).toBe(0);

    // Nothing changed: one look at the events, no part read again.
    counted.reset();
    expect(await model.get()).toEqual(first);
    expect(counted.count()).toBe(1);

    // An incident in production: production is read again, staging is not.
    await store.incidents.open({
      environment: 'production',
      service: 'api',
      title: 'down',
      severity: 'page',
      cause: { kind: 'alert', ref: 'fp-9' },
      releases: [],
    });
    counted.reset();
    const second = await model.get();
    expect(row(second.services, 'production', 'api').incidents.open).toBe(1);
    // The events since, then production's open incidents: nothing else.
    expect(counted.count()).toBe(2);

    // A rollout record can move without an event: a part with a deployment in progress is read
    // again after 2 s; one without, not before 30 s.
    await store.db
      .updateTable('rollouts')
      .set({
        record: JSON.stringify(rollout('d-prod2', 'web', { state: 'progressing', step: 0 })),
        updated_at: new Date(NOW + 500).toISOString(),
      })
      .where('id', '=', 'd-prod2.web')
      .execute();
    now += 1000;
    expect(row((await model.get()).services, 'production', 'web').rollout?.weight).toBe(50);
    now += 1500;
    counted.reset();
    expect(row((await model.get()).services, 'production', 'web').rollout?.weight).toBe(20);
    // The events since, then production's latest deployment and its rollouts (one record read again).
    expect(counted.count()).toBe(4);

    // Each request joins in the health of the latest agent read.
    const withHealth = new OverviewModel(
      store,
      {
        ...src,
        agentState: async () => ({
          state: {
            pid: 1,
            startedAt: '',
            listeners: [],
            instances: [instance('staging', 'api', 1, 'running', true)],
          },
          at: 1,
        }),
      },
      { now: () => now },
    );
    expect(row((await withHealth.get({ environment: 'staging' })).services, 'staging', 'api').health).toEqual(
      { status: 'healthy', ready: 1, desired: 1 },
    );
  });

  it('reads everything again when the config changed', async () => {
    await seed();
    const counted = countingStore();
    let plans = source(CONFIG());
    const model = new OverviewModel(counted.store, { ...plans, environments: () => plans.environments() });
    await model.get();
    plans = source(CONFIG(1));
    counted.reset();
    const after = await model.get();
    expect(after.services.some((s) => s.service === 'extra0')).toBe(true);
    expect(counted.count()).toBeGreaterThan(2 * 4);
  });
});
