import { describe, expect, it } from 'vitest';
import type { MetricsSource, Subject, WindowStats } from '../observe/metrics/types.js';
import { TrafficCache } from './overview-traffic.js';

const T = 1_700_000_000_000;

/** A metrics store with `n` service aggregates (and one instance), each with `requests` per window. */
function metrics(n: number, requests: () => number, calls: Subject[]): MetricsSource {
  const subjects: Subject[] = [
    ...Array.from({ length: n }, (_, i) => ({ environment: 'prod', service: `s${i}`, instance: '' })),
    { environment: 'prod', service: 's0', instance: 'prod-s0-1' },
  ];
  return {
    subjects: () => subjects,
    window: (s, from, to): WindowStats => {
      calls.push(s);
      return {
        from,
        to,
        ticks: 6,
        upTicks: 6,
        coveredMs: 60_000,
        requests: requests(),
        errors: 0,
        latency: [0, 10],
        latencySumMs: 10,
        cpuSeconds: null,
        inflightAvg: null,
        rssAvg: null,
        rssMax: null,
        healthyAvg: 1,
        healthyMin: 1,
        instancesAvg: 1,
      };
    },
    series: () => ({ resolution: 'raw', points: [] }),
    app: () => undefined,
  };
}

describe('TrafficCache', () => {
  it('waits for the first sweep, then answers from the last one and refreshes in the background', async () => {
    let now = T;
    let requests = 600;
    const calls: Subject[] = [];
    const cache = new TrafficCache({
      metrics: () => metrics(50, () => requests, calls),
      now: () => now,
      sliceMs: 0,
    });
    const first = await cache.read();
    expect(first.at).toBe(T);
    expect(first.byService.get('prod.s3')).toEqual({ rps: 10, errorRate: 0, p95Ms: expect.any(Number) });
    // Aggregates only, each read once.
    expect(calls).toHaveLength(50);

    now += 5000;
    expect(await cache.read()).toBe(first);
    expect(calls).toHaveLength(50);

    now += 15_000;
    requests = 1200;
    // Stale: answered from the last sweep while the next one runs.
    expect(await cache.read()).toBe(first);
    for (let i = 0; i < 1000 && cache.snapshot() === first; i++) await new Promise((r) => setImmediate(r));
    const second = cache.snapshot();
    expect(second.at).toBe(T + 20_000);
    expect(second.byService.get('prod.s3')?.rps).toBe(20);
    expect(calls).toHaveLength(100);
  });

  it('answers the first read without figures when the first sweep is slow', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: Subject[] = [];
    const cache = new TrafficCache({
      metrics: () => metrics(3, () => 60, calls),
      sliceMs: 0,
      firstWaitMs: 10,
      pause: () => held,
    });
    expect(await cache.read()).toEqual({ at: null, byService: new Map() });
    release();
    for (let i = 0; i < 100 && cache.snapshot().at === null; i++) await new Promise((r) => setImmediate(r));
    expect(cache.snapshot().byService.size).toBe(3);
    expect((await cache.read()).byService.size).toBe(3);
  });

  it('reads as no figures while the metrics store is not open, and tries again on the next read', async () => {
    let open = false;
    const calls: Subject[] = [];
    const cache = new TrafficCache({
      metrics: () => {
        if (!open) throw new Error('the metrics store is not open yet');
        return metrics(2, () => 60, calls);
      },
    });
    expect(await cache.read()).toEqual({ at: null, byService: new Map() });
    open = true;
    expect((await cache.read()).byService.size).toBe(2);
  });
});
