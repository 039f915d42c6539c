import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AgentState, StatsResponse } from '../../agent/protocol.js';
import { LATENCY_BUCKETS_MS, type TrafficStats } from '../../proxy/types.js';
import type { InstanceStatus } from '../../runtime/local/types.js';
import type { StoredEvent } from '../../store/repositories/events.js';
import { type MetricFamily, parsePrometheusText } from '../prometheus/index.js';
import { TandemMetrics } from './index.js';

let nextId = 1;
function ev(type: string, subjectId: string, data: Record<string, unknown>): StoredEvent {
  return { id: nextId++, at: '2025-01-01T00:00:00.000Z', type, subjectKind: 'deployment', subjectId, data };
}

async function scrape(m: TandemMetrics): Promise<Map<string, MetricFamily>> {
  const { contentType, body } = await m.render();
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  const { families, errors } = parsePrometheusText(body);
  expect(errors).toEqual([]);
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
function value(
  families: Map<string, MetricFamily>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number | undefined {
  const f = families.get(family);
  const matches = (f?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1)
    throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

function traffic(over: {
  '2xx'?: number;
  '5xx'?: number;
  latency?: number[];
  sumMs?: number;
  inFlight?: number;
}): TrafficStats {
  const counts = over.latency ?? new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  return {
    requests: (over['2xx'] ?? 0) + (over['5xx'] ?? 0),
    responses: { '2xx': over['2xx'] ?? 0, '3xx': 0, '4xx': 0, '5xx': over['5xx'] ?? 0 },
    connectionFailures: 0,
    inFlight: over.inFlight ?? 0,
    latency: {
      bucketsMs: LATENCY_BUCKETS_MS,
      counts,
      count: counts.reduce((a, b) => a + b, 0),
      sumMs: over.sumMs ?? 0,
    },
  };
}

/** Non-cumulative counts with `n` in the bucket whose bound is `ms` (or +Inf when ms is undefined). */
function latency(entries: Array<[number | undefined, number]>): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const [ms, n] of entries) {
    const i = ms === undefined ? LATENCY_BUCKETS_MS.length : LATENCY_BUCKETS_MS.indexOf(ms);
    counts[i]! += n;
  }
  return counts;
}

function instance(over: Partial<InstanceStatus> & Pick<InstanceStatus, 'id'>): InstanceStatus {
  return {
    environment: 'production',
    service: 'web',
    revision: 'r1',
    state: 'running',
    healthy: true,
    pid: 100,
    port: 4000,
    restarts: 0,
    createdAt: 0,
    startedAt: 0,
    lastExit: null,
    logFile: '/tmp/x.log',
    ...over,
  };
}

describe('TandemMetrics: events', () => {
  it('counts rollout outcomes with the environment and strategy of their deployment', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    // start() appends this one before deployment.started.
    m.onEvent(ev('rollout.awaiting-approval', 'd1', { rollout: 'ro2', service: 'api', step: 0 }));
    m.onEvent(
      ev('deployment.started', 'd1', {
        environment: 'production',
        kind: 'deploy',
        release: 'r2',
        services: ['web', 'api'],
        strategy: 'canary',
      }),
    );
    let f = await scrape(m);
    expect(f.get('tandem_rollout_in_progress')?.samples.map((s) => s.labels.environment)).toEqual([
      'production',
      'production',
    ]);
    expect(value(f, 'tandem_rollout_in_progress', { environment: 'production', service: 'web' })).toBe(1);
    expect(value(f, 'tandem_rollout_in_progress', { environment: 'production', service: 'api' })).toBe(1);

    m.onEvent(ev('rollout.progressing', 'd1', { rollout: 'ro1', service: 'web', from: 'pending', step: 0 }));
    m.onEvent(ev('rollout.step', 'd1', { rollout: 'ro1', service: 'web', step: 1, weight: 50 }));
    m.onEvent(ev('rollout.promoted', 'd1', { rollout: 'ro1', service: 'web', from: 'progressing', step: 2 }));
    m.onEvent(ev('rollout.aborted', 'd1', { rollout: 'ro2', service: 'api', from: 'progressing', step: 0 }));
    f = await scrape(m);
    const promoted = { environment: 'production', service: 'web', strategy: 'canary', outcome: 'promoted' };
    expect(value(f, 'tandem_rollouts_total', promoted)).toBe(1);
    expect(value(f, 'tandem_rollouts_total', { service: 'api', outcome: 'aborted' })).toBe(1);
    expect(value(f, 'tandem_rollout_in_progress', { service: 'web' })).toBe(0);
    // Aborted means rolling back: still under way.
    expect(value(f, 'tandem_rollout_in_progress', { service: 'api' })).toBe(1);

    m.onEvent(ev('rollout.rolled-back', 'd1', { rollout: 'ro2', service: 'api', from: 'aborted', step: 0 }));
    m.onEvent(ev('deployment.failed', 'd1', { environment: 'production', reason: 'api rolled back' }));
    f = await scrape(m);
    expect(
      value(f, 'tandem_rollouts_total', { service: 'api', outcome: 'rolled-back', strategy: 'canary' }),
    ).toBe(1);
    expect(value(f, 'tandem_rollout_in_progress', { service: 'api' })).toBe(0);
    expect(
      value(f, 'tandem_deployments_total', { environment: 'production', kind: 'deploy', state: 'failed' }),
    ).toBe(1);
    expect(f.get('tandem_rollouts_total')?.samples).toHaveLength(3);
  });

  it('ends the rollouts of a superseded deployment and labels it from what it started with', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    m.onEvent(
      ev('deployment.started', 'd1', {
        environment: 'staging',
        kind: 'rollback',
        services: ['web'],
        strategy: 'rolling',
      }),
    );
    // The superseded event itself carries no environment.
    m.onEvent(ev('deployment.superseded', 'd1', { by: 'd2' }));
    m.onEvent(ev('deployment.superseded', 'never-seen', { by: 'd2' }));
    const f = await scrape(m);
    expect(value(f, 'tandem_rollout_in_progress', { environment: 'staging', service: 'web' })).toBe(0);
    expect(
      value(f, 'tandem_deployments_total', { environment: 'staging', kind: 'rollback', state: 'superseded' }),
    ).toBe(1);
    expect(
      value(f, 'tandem_deployments_total', { environment: 'unknown', kind: 'unknown', state: 'superseded' }),
    ).toBe(1);
  });

  it('labels rollouts of a deployment seeded with trackDeployment (started before a restart)', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    m.trackDeployment('d9', { environment: 'production', kind: 'deploy', strategy: 'blue-green' });
    m.onEvent(ev('rollout.promoted', 'd9', { rollout: 'r', service: 'web', from: 'progressing', step: 1 }));
    m.onEvent(ev('deployment.succeeded', 'd9', { environment: 'production' }));
    const f = await scrape(m);
    expect(
      value(f, 'tandem_rollouts_total', {
        environment: 'production',
        strategy: 'blue-green',
        outcome: 'promoted',
      }),
    ).toBe(1);
    expect(
      value(f, 'tandem_deployments_total', { environment: 'production', kind: 'deploy', state: 'succeeded' }),
    ).toBe(1);
  });

  it('forgets the oldest deployments beyond its bound', async () => {
    const m = new TandemMetrics({ defaultMetrics: false, maxTrackedDeployments: 2 });
    for (const id of ['a', 'b', 'c'])
      m.onEvent(ev('deployment.started', id, { environment: id, kind: 'deploy', services: [] }));
    m.onEvent(ev('rollout.promoted', 'a', { service: 'web' }));
    m.onEvent(ev('rollout.promoted', 'c', { service: 'web' }));
    const f = await scrape(m);
    expect(value(f, 'tandem_rollouts_total', { environment: 'unknown', outcome: 'promoted' })).toBe(1);
    expect(value(f, 'tandem_rollouts_total', { environment: 'c', outcome: 'promoted' })).toBe(1);
  });

  it('counts finished pipeline runs and observes their duration in seconds', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    m.onEvent(ev('pipeline.run.started', 'run1', { project: 'p', jobs: [] }));
    m.onEvent(ev('pipeline.run.finished', 'run1', { status: 'passed', durationMs: 12_000, jobs: [] }));
    m.onEvent(ev('pipeline.run.finished', 'run2', { status: 'failed', durationMs: 400, jobs: [] }));
    m.onEvent(ev('pipeline.job.finished', 'run2', { job: 'test', status: 'failed', durationMs: 300 }));
    const f = await scrape(m);
    expect(value(f, 'tandem_pipeline_runs_total', { status: 'passed' })).toBe(1);
    expect(value(f, 'tandem_pipeline_runs_total', { status: 'failed' })).toBe(1);
    expect(value(f, 'tandem_pipeline_runs_total', { status: 'cancelled' })).toBe(0);
    const h = 'tandem_pipeline_run_duration_seconds';
    expect(f.get(h)?.type).toBe('histogram');
    expect(value(f, h, { le: '1' }, `${h}_bucket`)).toBe(1);
    expect(value(f, h, { le: '5' }, `${h}_bucket`)).toBe(1);
    expect(value(f, h, { le: '15' }, `${h}_bucket`)).toBe(2);
    expect(value(f, h, { le: '+Inf' }, `${h}_bucket`)).toBe(2);
    expect(value(f, h, {}, `${h}_sum`)).toBeCloseTo(12.4);
    expect(value(f, h, {}, `${h}_count`)).toBe(2);
  });

  it('tracks open incidents from events and from setOpenIncidents', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    m.setOpenIncidents(['i1']);
    m.onEvent(ev('incident.opened', 'i2', {}));
    m.onEvent(ev('incident.opened', 'i2', {}));
    expect(value(await scrape(m), 'tandem_incidents_open')).toBe(2);
    m.onEvent(ev('incident.resolved', 'i1', {}));
    expect(value(await scrape(m), 'tandem_incidents_open')).toBe(1);
  });
});

describe('TandemMetrics: data-plane traffic', () => {
  const stats = (): StatsResponse => ({
    'production.web': {
      // 2 answered 503 with no instance: only in the total.
      total: traffic({
        '2xx': 7,
        '5xx': 3,
        latency: latency([
          [1, 2],
          [5, 4],
          [100, 3],
          [undefined, 1],
        ]),
        sumMs: 6400,
        inFlight: 2,
      }),
      revisions: {
        r1: traffic({
          '2xx': 5,
          '5xx': 1,
          latency: latency([
            [5, 3],
            [100, 2],
            [undefined, 1],
          ]),
          sumMs: 6200,
        }),
        r2: traffic({
          '2xx': 2,
          latency: latency([
            [5, 1],
            [100, 1],
          ]),
          sumMs: 150,
        }),
      },
      instances: {},
    },
    'staging.api': {
      total: traffic({ '2xx': 1, latency: latency([[2, 1]]), sumMs: 1.5 }),
      revisions: { 'r7.1': traffic({ '2xx': 1, latency: latency([[2, 1]]), sumMs: 1.5 }) },
      instances: {},
    },
  });

  it('exposes responses per code class and a latency histogram in seconds per revision', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    m.setTraffic(stats());
    const f = await scrape(m);
    const req = 'tandem_http_requests_total';
    const web = { environment: 'production', service: 'web' };
    expect(f.get(req)?.type).toBe('counter');
    expect(value(f, req, { ...web, revision: 'r1', code_class: '2xx' })).toBe(5);
    expect(value(f, req, { ...web, revision: 'r1', code_class: '5xx' })).toBe(1);
    expect(value(f, req, { ...web, revision: 'r2', code_class: '4xx' })).toBe(0);
    expect(value(f, req, { ...web, revision: 'none', code_class: '5xx' })).toBe(2);
    expect(value(f, req, { ...web, revision: 'none', code_class: '2xx' })).toBe(0);
    expect(
      value(f, req, { environment: 'staging', service: 'api', revision: 'r7.1', code_class: '2xx' }),
    ).toBe(1);
    // Summing over revisions gives the listener's total.
    const sum5xx = f
      .get(req)!
      .samples.filter((s) => s.labels.service === 'web' && s.labels.code_class === '5xx')
      .reduce((a, s) => a + s.value, 0);
    expect(sum5xx).toBe(3);

    const h = 'tandem_http_request_duration_seconds';
    const r1 = { ...web, revision: 'r1' };
    expect(f.get(h)?.type).toBe('histogram');
    const les = f
      .get(h)!
      .samples.filter((s) => s.name === `${h}_bucket` && s.labels.revision === 'r1')
      .map((s) => s.labels.le);
    expect(les).toEqual([...LATENCY_BUCKETS_MS.map((ms) => String(ms / 1000)), '+Inf']);
    expect(value(f, h, { ...r1, le: '0.002' }, `${h}_bucket`)).toBe(0);
    expect(value(f, h, { ...r1, le: '0.005' }, `${h}_bucket`)).toBe(3);
    expect(value(f, h, { ...r1, le: '0.1' }, `${h}_bucket`)).toBe(5);
    expect(value(f, h, { ...r1, le: '5' }, `${h}_bucket`)).toBe(5);
    expect(value(f, h, { ...r1, le: '+Inf' }, `${h}_bucket`)).toBe(6);
    expect(value(f, h, r1, `${h}_count`)).toBe(6);
    expect(value(f, h, r1, `${h}_sum`)).toBeCloseTo(6.2);
    // The no-revision remainder: total minus the revisions, bucket by bucket.
    expect(value(f, h, { ...web, revision: 'none', le: '0.001' }, `${h}_bucket`)).toBe(2);
    expect(value(f, h, { ...web, revision: 'none', le: '+Inf' }, `${h}_bucket`)).toBe(2);
    expect(value(f, h, { ...web, revision: 'none' }, `${h}_sum`)).toBeCloseTo(0.05);
    expect(value(f, 'tandem_http_requests_in_flight', web)).toBe(2);
  });

  it('keeps a revision only while the stats list it, and no series once the agent is unknown', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    m.setTraffic(stats());
    const next = stats();
    delete next['production.web']!.revisions.r1;
    next['production.web']!.total = traffic({
      '2xx': 2,
      latency: latency([
        [5, 1],
        [100, 1],
      ]),
      sumMs: 150,
    });
    m.setTraffic(next);
    let f = await scrape(m);
    const revisions = new Set(f.get('tandem_http_requests_total')!.samples.map((s) => s.labels.revision));
    expect(revisions).toEqual(new Set(['r2', 'r7.1']));
    m.setTraffic(undefined);
    f = await scrape(m);
    expect(f.get('tandem_http_requests_total')?.samples ?? []).toEqual([]);
    expect(f.get('tandem_http_request_duration_seconds')?.samples ?? []).toEqual([]);
  });
});

describe('TandemMetrics: instances, autoscaler, alerts', () => {
  it('counts instances per state (zeros included) and exposes usage only where measured', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    const state: Pick<AgentState, 'instances'> = {
      instances: [
        instance({ id: 'web-1' }),
        instance({ id: 'web-2', revision: 'r2', state: 'starting', healthy: false, restarts: 3 }),
        instance({ id: 'api-1', service: 'api', state: 'crashlooping', healthy: false }),
      ],
    };
    m.setInstances(
      state,
      { 'web-1': { cpuSeconds: 1.5, rssBytes: 50_000_000 }, 'web-2': { rssBytes: null }, 'api-1': null },
      [{ environment: 'staging', service: 'web' }],
    );
    const f = await scrape(m);
    const web = { environment: 'production', service: 'web' };
    expect(value(f, 'tandem_instances', { ...web, state: 'running' })).toBe(1);
    expect(value(f, 'tandem_instances', { ...web, state: 'starting' })).toBe(1);
    expect(value(f, 'tandem_instances', { ...web, state: 'crashlooping' })).toBe(0);
    expect(value(f, 'tandem_instances', { service: 'api', state: 'crashlooping' })).toBe(1);
    expect(value(f, 'tandem_instances', { environment: 'staging', service: 'web', state: 'running' })).toBe(
      0,
    );
    expect(f.get('tandem_instances')!.samples).toHaveLength(15);
    expect(value(f, 'tandem_instances_healthy', web)).toBe(1);
    const one = { ...web, revision: 'r1', instance: 'web-1' };
    expect(value(f, 'tandem_instance_cpu_seconds_total', one)).toBe(1.5);
    expect(value(f, 'tandem_instance_resident_memory_bytes', one)).toBe(50_000_000);
    // Unknown usage is no sample, never a zero.
    expect(f.get('tandem_instance_cpu_seconds_total')!.samples).toHaveLength(1);
    expect(f.get('tandem_instance_resident_memory_bytes')!.samples).toHaveLength(1);
    expect(value(f, 'tandem_instance_restarts_total', { instance: 'web-2', revision: 'r2' })).toBe(3);

    m.setInstances({ instances: [instance({ id: 'web-3' })] });
    const after = await scrape(m);
    expect(
      new Set(after.get('tandem_instance_restarts_total')!.samples.map((s) => s.labels.instance)),
    ).toEqual(new Set(['web-3']));
  });

  it('counts autoscaler decisions by direction and keeps the desired replicas', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    expect(m.recordAutoscale('production', 'web', { desired: 4, inputs: { current: 2 } })).toBe('up');
    expect(m.recordAutoscale('production', 'web', { desired: 4, inputs: { current: 4 } })).toBe('hold');
    expect(m.recordAutoscale('production', 'web', { from: 4, to: 4 })).toBe('hold');
    expect(m.recordAutoscale('production', 'web', { from: 4, to: 3 })).toBe('down');
    const f = await scrape(m);
    const web = { environment: 'production', service: 'web' };
    expect(value(f, 'tandem_autoscaler_decisions_total', { ...web, direction: 'up' })).toBe(1);
    expect(value(f, 'tandem_autoscaler_decisions_total', { ...web, direction: 'hold' })).toBe(2);
    expect(value(f, 'tandem_autoscaler_decisions_total', { ...web, direction: 'down' })).toBe(1);
    expect(value(f, 'tandem_autoscaler_desired_replicas', web)).toBe(3);
  });

  it('counts alerts per rule and state, replacing the previous set, escaping label values', async () => {
    const m = new TandemMetrics({ defaultMetrics: false });
    const odd = 'Latency "p95"\\slow\nagain';
    m.setAlerts([
      { alertname: 'HighErrors', severity: 'page', state: 'firing' },
      { alertname: 'HighErrors', severity: 'page', state: 'firing' },
      { alertname: 'HighErrors', severity: 'page', state: 'pending' },
      { alertname: odd, severity: 'ticket', state: 'nodata' },
      { alertname: 'Quiet', severity: 'ticket', state: 'inactive' },
    ]);
    let f = await scrape(m);
    expect(value(f, 'tandem_alerts', { alertname: 'HighErrors', severity: 'page', state: 'firing' })).toBe(2);
    expect(value(f, 'tandem_alerts', { alertname: 'HighErrors', state: 'pending' })).toBe(1);
    expect(value(f, 'tandem_alerts', { alertname: 'HighErrors', state: 'nodata' })).toBe(0);
    expect(value(f, 'tandem_alerts', { alertname: odd, state: 'nodata' })).toBe(1);
    expect(value(f, 'tandem_alerts', { alertname: 'Quiet', state: 'firing' })).toBe(0);
    expect(value(f, 'tandem_alerts', { state: 'inactive' })).toBeUndefined();
    m.setAlerts([]);
    f = await scrape(m);
    expect(f.get('tandem_alerts')?.samples ?? []).toEqual([]);
  });
});

describe('TandemMetrics: registry', () => {
  it("includes the control plane's process metrics, prefixed, in its own registry only", async () => {
    const a = new TandemMetrics();
    const b = new TandemMetrics();
    a.onEvent(ev('pipeline.run.finished', 'run', { status: 'passed', durationMs: 1 }));
    const fa = await scrape(a);
    const fb = await scrape(b);
    expect(value(fa, 'tandem_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(value(fa, 'tandem_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(fa.has('tandem_nodejs_eventloop_lag_seconds')).toBe(true);
    expect(value(fa, 'tandem_pipeline_runs_total', { status: 'passed' })).toBe(1);
    expect(value(fb, 'tandem_pipeline_runs_total', { status: 'passed' })).toBe(0);
    expect(globalRegistry.getSingleMetric('tandem_pipeline_runs_total')).toBeUndefined();
    for (const name of fa.keys()) expect(name).toMatch(/^tandem_/);
  });
});
