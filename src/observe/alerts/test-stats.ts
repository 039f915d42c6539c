/** WindowStats for tests: a healthy minute of one instance unless overridden. */
import { LATENCY_BUCKETS_MS } from '../../proxy/types.js';
import type { WindowStats } from '../metrics/types.js';

/** Latency counts with `n` requests in the bucket whose upper bound is `boundMs` (Infinity: +Inf). */
export function latencyCounts(entries: ReadonlyArray<[boundMs: number, n: number]>): number[] {
  const counts = LATENCY_BUCKETS_MS.map(() => 0).concat(0);
  for (const [bound, n] of entries) {
    const i =
      bound === Number.POSITIVE_INFINITY ? LATENCY_BUCKETS_MS.length : LATENCY_BUCKETS_MS.indexOf(bound);
    if (i < 0) throw new Error(`no bucket bound ${bound}`);
    counts[i] = (counts[i] ?? 0) + n;
  }
  return counts;
}

export function windowStats(overrides: Partial<WindowStats> = {}): WindowStats {
  return {
    from: 0,
    to: 60_000,
    ticks: 12,
    upTicks: 12,
    coveredMs: 60_000,
    requests: 600,
    errors: 6,
    latency: latencyCounts([
      [50, 500],
      [100, 100],
    ]),
    latencySumMs: 30_000,
    cpuSeconds: 30,
    inflightAvg: 4,
    rssAvg: 200e6,
    rssMax: 210e6,
    healthyAvg: 1,
    healthyMin: 1,
    instancesAvg: 1,
    ...overrides,
  };
}
