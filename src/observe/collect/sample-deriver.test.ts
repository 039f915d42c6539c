import { describe, expect, it } from 'vitest';
import type { AgentState, StatsResponse, UsageResponse } from '../../agent/protocol.js';
import { LATENCY_BUCKETS_MS, type ProxyStats, type TrafficStats } from '../../proxy/types.js';
import type { InstanceStatus } from '../../runtime/local/types.js';
import type { Sample } from '../metrics/types.js';
import { SampleDeriver } from './sample-deriver.js';

const NBUCKETS = LATENCY_BUCKETS_MS.length + 1;

function inst(id: string, patch: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    id,
    environment: 'production',
    service: 'web',
    revision: 'r1',
    state: 'running',
    healthy: true,
    pid: 100,
    port: 9000,
    restarts: 0,
    createdAt: 0,
    startedAt: 0,
    lastExit: null,
    logFile: `/tmp/${id}.log`,
    ...patch,
  };
}

function state(...instances: InstanceStatus[]): AgentState {
  return { pid: 1, startedAt: '2030-01-01T00:00:00.000Z', instances, listeners: [] };
}

/** Cumulative traffic: `fast` requests in the 1 ms bucket, `slow` ones in +Inf. */
function traffic(t: { fast?: number; slow?: number; r5xx?: number; failures?: number; inFlight?: number }) {
  const fast = t.fast ?? 0;
  const slow = t.slow ?? 0;
  const counts = new Array<number>(NBUCKETS).fill(0);
  counts[0] = fast;
  counts[NBUCKETS - 1] = slow;
  const stats: TrafficStats = {
    requests: fast + slow + (t.failures ?? 0),
    responses: { '2xx': fast + slow - (t.r5xx ?? 0), '3xx': 0, '4xx': 0, '5xx': t.r5xx ?? 0 },
    connectionFailures: t.failures ?? 0,
    inFlight: t.inFlight ?? 0,
    latency: { bucketsMs: LATENCY_BUCKETS_MS, counts, count: fast + slow, sumMs: fast + slow * 10_000 },
  };
  return stats;
}

function plane(total: TrafficStats, instances: Record<string, TrafficStats>): ProxyStats {
  const withRevision = Object.fromEntries(
    Object.entries(instances).map(([id, t]) => [id, { ...t, revision: 'r1' }]),
  );
  return { total, revisions: {}, instances: withRevision };
}

function latency(fast: number, slow: number): number[] {
  const l = new Array<number>(NBUCKETS).fill(0);
  l[0] = fast;
  l[NBUCKETS - 1] = slow;
  return l;
}

function find(samples: Sample[], instance: string, service = 'web'): Sample {
  const s = samples.find((x) => x.instance === instance && x.service === service);
  if (!s) throw new Error(`no sample for ${service}/${instance}`);
  return s;
}

const usage = (cpuSeconds: number, rssBytes = 50_000_000): UsageResponse[string] => ({
  cpuSeconds,
  rssBytes,
  processes: 1,
});

describe('SampleDeriver', () => {
  it('takes a baseline on its first tick: zero counts, real gauges, the nominal interval', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    const stats: StatsResponse = {
      'production.web': plane(traffic({ fast: 100, inFlight: 3 }), {
        a: traffic({ fast: 60, inFlight: 2 }),
        b: traffic({ fast: 40, inFlight: 1 }),
      }),
    };
    const samples = d.next(
      10_000,
      state(inst('a', { pid: 10 }), inst('b', { pid: 20, revision: 'r2', healthy: false })),
      stats,
      { a: usage(7, 1000), b: usage(3, 2000) },
    );

    expect(samples.map((s) => s.instance)).toEqual(['a', 'b', '']);
    expect(find(samples, 'a')).toEqual({
      environment: 'production',
      service: 'web',
      instance: 'a',
      at: 10_000,
      intervalMs: 5_000,
      revision: 'r1',
      requests: 0,
      errors: 0,
      latency: latency(0, 0),
      latencySumMs: 0,
      inflight: 2,
      cpuSeconds: null,
      rssBytes: 1000,
      healthy: 1,
      instances: 1,
    });
    expect(find(samples, '')).toMatchObject({
      revision: 'r1,r2',
      requests: 0,
      inflight: 3,
      cpuSeconds: null,
      rssBytes: 3000,
      healthy: 1,
      instances: 2,
    });
  });

  it('emits the increases since the previous tick, with errors = 5xx + connection failures', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    const a = inst('a', { pid: 10 });
    d.next(
      10_000,
      state(a),
      { 'production.web': plane(traffic({ fast: 10 }), { a: traffic({ fast: 10 }) }) },
      { a: usage(1) },
    );
    const samples = d.next(
      14_000,
      state(a),
      {
        // The listener also answered 4 requests with 503 while nothing was routable: only in its total.
        'production.web': plane(traffic({ fast: 25, slow: 2, r5xx: 5 }), {
          a: traffic({ fast: 21, slow: 2, r5xx: 1, failures: 3, inFlight: 4 }),
        }),
      },
      { a: usage(3.5, 80) },
    );

    expect(find(samples, 'a')).toMatchObject({
      at: 14_000,
      intervalMs: 4_000,
      requests: 16,
      errors: 4,
      latency: latency(11, 2),
      latencySumMs: 11 + 20_000,
      inflight: 4,
      cpuSeconds: 2.5,
      rssBytes: 80,
    });
    // The service's traffic is what its clients saw: the listener's total.
    expect(find(samples, '')).toMatchObject({
      intervalMs: 4_000,
      requests: 17,
      errors: 5,
      latency: latency(15, 2),
      cpuSeconds: 2.5,
      instances: 1,
    });
  });

  it('counts from 0 after a counter went down (a data plane reset)', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    const a = inst('a');
    d.next(0, state(a), { 'production.web': plane(traffic({ fast: 500 }), { a: traffic({ fast: 500 }) }) });
    const samples = d.next(5_000, state(a), {
      'production.web': plane(traffic({ fast: 7, r5xx: 1 }), { a: traffic({ fast: 7, r5xx: 1 }) }),
    });
    expect(find(samples, 'a')).toMatchObject({ requests: 7, errors: 1, latency: latency(7, 0) });
    expect(find(samples, '')).toMatchObject({ requests: 7, errors: 1 });
  });

  it('counts a new instance from 0 when it was created after the previous tick, else baselines it', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    const a = inst('a');
    d.next(10_000, state(a), { 'production.web': plane(traffic({}), { a: traffic({}) }) }, { a: usage(1) });

    const b = inst('b', { pid: 20, createdAt: 12_000, startedAt: 12_000 });
    // Seen now for the first time but created before the previous tick: no proof its counts are new.
    const old = inst('old', { pid: 30, createdAt: 9_000, startedAt: 9_000 });
    const samples = d.next(
      15_000,
      state(a, b, old),
      {
        'production.web': plane(traffic({ fast: 9 }), {
          a: traffic({ fast: 1 }),
          b: traffic({ fast: 3 }),
          old: traffic({ fast: 5 }),
        }),
      },
      { a: usage(1.5), b: usage(0.25), old: usage(40) },
    );
    expect(find(samples, 'b')).toMatchObject({ requests: 3, cpuSeconds: 0.25 });
    expect(find(samples, 'old')).toMatchObject({ requests: 0, cpuSeconds: null });
    expect(find(samples, '')).toMatchObject({ instances: 3, healthy: 3, cpuSeconds: 0.75 });
  });

  it('drops instances that are stopping or exited, keeps crash-looping ones', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    d.next(0, state(inst('a'), inst('b'), inst('c')), {});
    const samples = d.next(
      5_000,
      state(
        inst('a', { state: 'stopping' }),
        inst('b', { state: 'exited', healthy: false }),
        inst('c', { state: 'crashlooping', healthy: false, pid: null }),
      ),
      {},
    );
    expect(samples.map((s) => s.instance)).toEqual(['c', '']);
    expect(find(samples, '')).toMatchObject({ instances: 1, healthy: 0, revision: 'r1' });
  });

  it('gives workers (no listener) samples with zero traffic and their CPU', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    const w = inst('w', { service: 'jobs', pid: 50 });
    d.next(0, state(w), {}, { w: usage(10) });
    const samples = d.next(5_000, state(w), {}, { w: usage(12) });
    expect(samples.map((s) => `${s.service}/${s.instance}`)).toEqual(['jobs/w', 'jobs/']);
    for (const s of samples) {
      expect(s).toMatchObject({ requests: 0, errors: 0, latency: latency(0, 0), inflight: 0, cpuSeconds: 2 });
    }
  });

  it('keeps an aggregate for a listener whose instances are all gone, with its 503s', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    d.next(0, state(inst('a')), {
      'production.web': plane(traffic({ fast: 1 }), { a: traffic({ fast: 1 }) }),
    });
    const samples = d.next(5_000, state(), {
      'production.web': plane(traffic({ fast: 1, slow: 4, r5xx: 4 }), { a: traffic({ fast: 1 }) }),
    });
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({
      instance: '',
      revision: '',
      requests: 4,
      errors: 4,
      instances: 0,
      healthy: 0,
      cpuSeconds: null,
      rssBytes: null,
    });
  });

  it('restarts CPU counting with a new pid, and has no CPU delta across a tick without usage', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    d.next(0, state(inst('a', { pid: 10 })), {}, { a: usage(100) });
    const restarted = inst('a', { pid: 11, startedAt: 3_000, restarts: 1 });
    expect(find(d.next(5_000, state(restarted), {}, { a: usage(0.5) }), 'a').cpuSeconds).toBe(0.5);
    expect(find(d.next(10_000, state(restarted), {}, {}), 'a')).toMatchObject({
      cpuSeconds: null,
      rssBytes: null,
    });
    // Usage is back: a baseline again, then deltas.
    expect(find(d.next(15_000, state(restarted), {}, { a: usage(4) }), 'a').cpuSeconds).toBeNull();
    expect(find(d.next(20_000, state(restarted), {}, { a: usage(5) }), 'a').cpuSeconds).toBe(1);
  });

  it('forgets an instance that left: if its id came back, it would be a baseline again', () => {
    const d = new SampleDeriver({ nominalIntervalMs: 5_000 });
    const stats = (n: number): StatsResponse => ({
      'production.web': plane(traffic({ fast: n }), { a: traffic({ fast: n }) }),
    });
    d.next(0, state(inst('a')), stats(10));
    d.next(5_000, state(), stats(20));
    expect(find(d.next(10_000, state(inst('a')), stats(30)), 'a').requests).toBe(0);
    expect(find(d.next(15_000, state(inst('a')), stats(35)), 'a').requests).toBe(5);
  });
});
