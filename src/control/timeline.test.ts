import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Measurement } from '../delivery/analysis/types.js';
import type { Rollout } from '../delivery/types.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { serviceTimeline, type TimelineItem } from './timeline.js';

const T = Date.parse('2025-03-01T10:00:00.000Z');
const at = (s: number) => new Date(T + s * 1000);

let store: Store;
let release: string;

beforeEach(async () => {
  store = await openStoreAt(':memory:');
  await seed();
});
afterEach(async () => {
  await store.close();
});

function measurement(s: number, verdict: Measurement['verdict']): Measurement {
  const window = { requests: 100, errorRate: 0, p50Ms: 5, p95Ms: 9, p99Ms: 12 };
  return { at: T + s * 1000, windowMs: 10_000, verdict, canary: window, stable: window, reasons: [] };
}

function canary(deployment: string, service: string, over: Partial<Rollout> = {}): Rollout {
  return {
    id: `${deployment}.${service}`,
    service,
    strategy: { name: 'canary', steps: [{ weight: 10 }, { weight: 50 }] },
    from: null,
    to: release,
    replicas: 2,
    state: 'pending',
    step: 0,
    startedAt: T,
    stepStartedAt: T,
    updatedAt: T,
    ...over,
  };
}

async function start(id: string, environment: string, services: string[], s: number): Promise<Rollout[]> {
  const rollouts = services.map((name) => canary(id, name, { startedAt: T + s * 1000 }));
  await store.deployments.start({
    id,
    environment,
    kind: 'deploy',
    release,
    fromRelease: null,
    rollouts,
    supersede: [],
    at: at(s),
  });
  return rollouts;
}

async function alert(environment: string, service: string, s: number): Promise<void> {
  await store.alertStates.saveAll(
    [],
    [
      {
        fingerprint: `${environment}.${service}.errors`,
        rule: 'errors',
        environment,
        service,
        from: 'pending',
        to: 'firing',
        at: at(s),
      },
    ],
    { at: at(s) },
  );
}

/**
 * One release going out: pushed and built (project-wide), deployed to staging and production as
 * a canary with analysis, an alert, an incident and an autoscaler decision — plus events of other
 * environments and services that must stay off production/web's timeline.
 */
async function seed(): Promise<void> {
  await store.runs.runStarted({
    id: 'run-1',
    project: 'shop',
    branch: 'main',
    commit: 'c0ffee1234',
    jobs: ['build'],
    startedAt: at(0),
  });
  await store.runs.runFinished('run-1', { status: 'passed', durationMs: 1500, jobs: [] }, at(2));
  const r = await store.releases.create(
    { project: 'shop', commit: 'c0ffee1234', ref: 'main', config: '{}', dir: (id) => `releases/${id}` },
    at(3),
  );
  release = r.id;
  await store.releases.markReady(release, 'run-1', at(4));

  await start('d-stg', 'staging', ['web'], 5);
  await alert('staging', 'web', 6);

  const [web, api] = await start('d-prod', 'production', ['web', 'api'], 10);
  if (web === undefined || api === undefined) throw new Error('unreachable');
  const progressing = {
    ...web,
    state: 'progressing' as const,
    analysis: {
      measurements: [measurement(15, 'pass')],
      failures: 0,
      inconclusive: 0,
      outcome: 'continue' as const,
    },
  };
  await store.deployments.saveRollout('d-prod', progressing, web, at(20));
  await store.deployments.saveRollout('d-prod', { ...api, state: 'progressing' }, api, at(20));
  const stepped: Rollout = {
    ...progressing,
    step: 1,
    analysis: {
      measurements: [measurement(15, 'pass'), measurement(30, 'pass'), measurement(40, 'inconclusive')],
      failures: 0,
      inconclusive: 1,
      outcome: 'continue',
    },
  };
  await store.deployments.saveRollout('d-prod', stepped, progressing, at(45));
  await alert('production', 'web', 50);
  await alert('production', 'api', 51);
  await store.incidents.open({
    environment: 'production',
    service: 'web',
    title: 'errors above 5%',
    severity: 'page',
    cause: { kind: 'alert', ref: 'production.web.errors' },
    releases: [release],
    at: at(52),
  });
  await store.deployments.saveRollout('d-prod', { ...stepped, state: 'promoted' }, stepped, at(60));
  await store.deployments.finish(
    'd-prod',
    'succeeded',
    null,
    [{ service: 'web', release, replicas: 2 }],
    at(61),
  );
  await store.deployments.scale('production', 'web', 3, at(70), {
    by: 'autoscaler',
    decision: { from: 2, to: 3, reason: 'rps 260/instance above target 200' },
  });
  // A production deployment of api only: not about web.
  await start('d-api', 'production', ['api'], 80);
}

async function all(environment: string, service: string, limit = 500): Promise<TimelineItem[]> {
  const items: TimelineItem[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await serviceTimeline(store, { environment, service, limit, cursor });
    items.push(...page.items);
    if (page.next === null) return items;
    cursor = page.next;
  }
  throw new Error('the timeline never ended');
}

describe('serviceTimeline', () => {
  it("merges the service's, its environment's and the project's events, newest first", async () => {
    const items = await all('production', 'web');
    expect(items.map((i) => i.id)).toEqual([...items.map((i) => i.id)].sort((a, b) => b - a));
    expect(items.map((i) => i.type)).toEqual([
      'service.scaled',
      'deployment.succeeded',
      'rollout.promoted',
      'incident.opened',
      'alert.firing',
      'rollout.step',
      'rollout.progressing',
      'deployment.started',
      'release.ready',
      'release.created',
      'pipeline.run.finished',
      'pipeline.run.started',
    ]);
    expect(items.map((i) => i.kind)).toEqual([
      'autoscale',
      'deployment',
      'rollout',
      'incident',
      'alert',
      'rollout',
      'rollout',
      'deployment',
      'release',
      'release',
      'pipeline',
      'pipeline',
    ]);
  });

  it('leaks nothing of other environments or services', async () => {
    const items = await all('production', 'web');
    for (const i of items) {
      expect(i.environment === 'production' || i.environment === null).toBe(true);
      expect(i.service === 'web' || i.service === null).toBe(true);
    }
    // The api-only deployment and api's alert are not web's.
    expect(items.some((i) => i.data.rollout === 'd-api.api' || i.title.includes('d-api'))).toBe(false);
    expect(items.filter((i) => i.type === 'alert.firing')).toHaveLength(1);
    const staging = await all('staging', 'web');
    expect(staging.map((i) => i.type)).toEqual([
      'alert.firing',
      'deployment.started',
      'release.ready',
      'release.created',
      'pipeline.run.finished',
      'pipeline.run.started',
    ]);
    expect(staging.every((i) => i.environment !== 'production')).toBe(true);
  });

  it('pages by cursor without gaps or repeats, whatever the page size', async () => {
    const whole = await all('production', 'web');
    for (const limit of [1, 2, 5]) {
      expect((await all('production', 'web', limit)).map((i) => i.id)).toEqual(whole.map((i) => i.id));
    }
    const first = await serviceTimeline(store, { environment: 'production', service: 'web', limit: 4 });
    expect(first.items).toHaveLength(4);
    expect(first.next).toBe(String(first.items[3]?.id));
    const last = await serviceTimeline(store, { environment: 'production', service: 'web', limit: 500 });
    expect(last.next).toBeNull();
  });

  it('says which release each item is about and attaches the analysis of each rollout step', async () => {
    const items = await all('production', 'web');
    const step = items.find((i) => i.type === 'rollout.step');
    expect(step?.release).toBe(release);
    expect(step?.title).toBe('web canary at 50% (step 2) · analysis: 1 passed, 1 inconclusive');
    // Measurements after the previous event of the rollout (20 s) up to this one (45 s).
    expect((step?.data.analysis as Measurement[] | undefined)?.map((m) => m.at)).toEqual([
      T + 30_000,
      T + 40_000,
    ]);
    const progressing = items.find((i) => i.type === 'rollout.progressing');
    expect((progressing?.data.analysis as Measurement[] | undefined)?.map((m) => m.at)).toEqual([T + 15_000]);
    expect(items.find((i) => i.type === 'deployment.succeeded')?.release).toBe(release);
    expect(items.find((i) => i.type === 'release.ready')?.release).toBe(release);
    expect(items.find((i) => i.type === 'service.scaled')?.title).toBe(
      'scaled to 3 by autoscaler: rps 260/instance above target 200',
    );
    expect(items.find((i) => i.type === 'pipeline.run.finished')?.title).toBe(
      'pipeline run run-1 passed in 1.5 s',
    );
  });

  it('refuses a cursor it did not give out', async () => {
    await expect(
      serviceTimeline(store, { environment: 'production', service: 'web', cursor: 'abc' }),
    ).rejects.toMatchObject({ status: 400, code: 'TANDEM_BAD_CURSOR' });
  });
});
