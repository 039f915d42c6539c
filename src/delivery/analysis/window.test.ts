import { describe, expect, it } from 'vitest';
import type { TrafficStats } from '../../proxy/types.js';
import { LATENCY_BUCKETS_MS } from '../../proxy/types.js';
import { FakeRevisionTraffic } from './fake-traffic.js';
import { countersOf, percentile, windowStats } from './window.js';

function trafficStats(): TrafficStats {
  const counts = LATENCY_BUCKETS_MS.map(() => 0).concat(0);
  counts[4] = 7; // (10, 25] ms
  return {
    requests: 10,
    responses: { '2xx': 5, '3xx': 1, '4xx': 1, '5xx': 2 },
    connectionFailures: 1,
    inFlight: 3,
    latency: { bucketsMs: LATENCY_BUCKETS_MS, counts, count: 7, sumMs: 140 },
  };
}

describe('countersOf', () => {
  it('keeps requests, 5xx, connection failures and latency', () => {
    const counters = countersOf(trafficStats());
    expect(counters).toEqual({
      requests: 10,
      errors5xx: 2,
      connectionFailures: 1,
      latency: trafficStats().latency,
    });
  });

  it('is a snapshot: later traffic on the live stats does not change it', () => {
    const live = trafficStats();
    const counters = countersOf(live);
    live.latency.counts[4] = 99;
    expect(counters.latency.counts[4]).toBe(7);
  });
});

describe('windowStats', () => {
  it('takes everything counted so far as the first window', () => {
    const canary = new FakeRevisionTraffic().answer(90, 20).answer(10, 20, '5xx');
    expect(windowStats(undefined, canary.counters())).toMatchObject({ requests: 100, errorRate: 0.1 });
  });

  it('counts only what happened between the two snapshots', () => {
    const canary = new FakeRevisionTraffic().answer(98, 20).answer(2, 20, '5xx');
    const before = canary.counters();
    canary.answer(186, 20).answer(10, 20, '5xx').failToConnect(4);
    expect(windowStats(before, canary.counters())).toMatchObject({ requests: 200, errorRate: 14 / 200 });
  });

  it('takes latency percentiles from the window, not from the whole history', () => {
    const canary = new FakeRevisionTraffic().answer(1000, 3);
    const before = canary.counters();
    canary.answer(100, 200);
    // All 100 in (100, 250]: the median is half-way through the bucket.
    expect(windowStats(before, canary.counters()).p50Ms).toBeCloseTo(175);
  });

  it('treats `before` as zero when the requests counter went down (data plane restarted)', () => {
    const canary = new FakeRevisionTraffic().answer(1000, 20);
    const before = canary.counters();
    canary.restart().answer(36, 20).answer(4, 20, '5xx');
    expect(windowStats(before, canary.counters())).toMatchObject({ requests: 40, errorRate: 0.1 });
  });

  it('treats `before` as zero when only a latency bucket went down', () => {
    const canary = new FakeRevisionTraffic().answer(100, 3);
    const before = canary.counters();
    // More requests than before overall, but the 5 ms bucket shrank: a restart, then slow traffic.
    canary.restart().answer(150, 300);
    const window = windowStats(before, canary.counters());
    expect(window.requests).toBe(150);
    expect(window.p50Ms).toBeCloseTo(250 + 250 * 0.5);
  });

  it('reports a zero error rate and no percentiles for a window without requests', () => {
    const canary = new FakeRevisionTraffic().answer(10, 20);
    const before = canary.counters();
    expect(windowStats(before, canary.counters())).toEqual({
      requests: 0,
      errorRate: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
    });
  });

  it('counts failed connections as errors, and has no latency when no request was answered', () => {
    const canary = new FakeRevisionTraffic().failToConnect(60);
    expect(windowStats(undefined, canary.counters())).toEqual({
      requests: 60,
      errorRate: 1,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
    });
  });
});

describe('percentiles (linear interpolation inside the bucket)', () => {
  it('spreads the observations of a bucket evenly between its bounds', () => {
    // 50 in (10, 25], 40 in (25, 50], 10 in (50, 100].
    const w = windowStats(
      undefined,
      new FakeRevisionTraffic().answer(50, 20).answer(40, 30).answer(10, 80).counters(),
    );
    expect(w.p50Ms).toBeCloseTo(25); // rank 50: the end of the first bucket
    expect(w.p95Ms).toBeCloseTo(75); // rank 95: 5 of 10 into (50, 100]
    expect(w.p99Ms).toBeCloseTo(95); // rank 99: 9 of 10 into (50, 100]
  });

  it('interpolates across a wide bucket', () => {
    // 20 in [0, 1], 80 in (100, 250].
    const w = windowStats(undefined, new FakeRevisionTraffic().answer(20, 0.5).answer(80, 200).counters());
    expect(w.p50Ms).toBeCloseTo(100 + (150 * 30) / 80); // 156.25
    expect(w.p95Ms).toBeCloseTo(100 + (150 * 75) / 80); // 240.625
    expect(w.p99Ms).toBeCloseTo(100 + (150 * 79) / 80); // 248.125
  });

  it('starts the first bucket at 0 ms', () => {
    const w = windowStats(undefined, new FakeRevisionTraffic().answer(10, 0.5).counters());
    expect(w.p50Ms).toBeCloseTo(0.5);
    expect(w.p99Ms).toBeCloseTo(0.99);
  });

  it('reports the last finite bound (5000 ms) for a percentile in the +Inf bucket', () => {
    const w = windowStats(undefined, new FakeRevisionTraffic().answer(90, 20).answer(10, 9000).counters());
    expect(w.p50Ms).toBeCloseTo(10 + (15 * 50) / 90);
    expect(w.p95Ms).toBe(5000);
    expect(w.p99Ms).toBe(5000);
  });

  it('is null for an empty histogram', () => {
    expect(percentile(new FakeRevisionTraffic().counters().latency, 0.5)).toBeNull();
  });
});
