/**
 * Pure arithmetic over WindowStats and the data plane's latency histogram (non-cumulative counts
 * per LATENCY_BUCKETS_MS plus a last +Inf bucket). "No data" is always `undefined`, never 0.
 */
import { LATENCY_BUCKETS_MS } from '../../proxy/types.js';
import type { WindowStats } from './types.js';

/** Latency counts: one per bucket bound plus +Inf. */
export const LATENCY_COUNTS = LATENCY_BUCKETS_MS.length + 1;

/** A window with no data: ticks 0, zero counters, null averages. */
export function emptyWindow(from: number, to: number): WindowStats {
  return {
    from,
    to,
    ticks: 0,
    upTicks: 0,
    coveredMs: 0,
    requests: 0,
    errors: 0,
    latency: new Array<number>(LATENCY_COUNTS).fill(0),
    latencySumMs: 0,
    cpuSeconds: null,
    inflightAvg: null,
    rssAvg: null,
    rssMax: null,
    healthyAvg: null,
    healthyMin: null,
    instancesAvg: null,
  };
}

const plus = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : a + b);
const pick = (a: number | null, b: number | null, f: (x: number, y: number) => number): number | null =>
  a === null ? b : b === null ? a : f(a, b);

/**
 * Joins windows of one subject that follow each other in time (e.g. `series()` points) into one
 * over [min from, max to). Counters add; averages are weighted by ticks (for rssAvg that is an
 * approximation when some ticks had no RSS reading).
 */
export function mergeWindows(windows: readonly WindowStats[]): WindowStats | undefined {
  if (windows.length === 0) return undefined;
  const from = Math.min(...windows.map((w) => w.from));
  const to = Math.max(...windows.map((w) => w.to));
  const out = emptyWindow(from, to);
  const weighted = { inflight: 0, rss: 0, rssTicks: 0, healthy: 0, instances: 0 };
  let latestTo = Number.NEGATIVE_INFINITY;
  for (const w of windows) {
    if (w.ticks === 0) continue;
    out.ticks += w.ticks;
    out.upTicks += w.upTicks;
    out.coveredMs += w.coveredMs;
    out.requests += w.requests;
    out.errors += w.errors;
    for (let i = 0; i < out.latency.length; i++) out.latency[i]! += w.latency[i] ?? 0;
    out.latencySumMs += w.latencySumMs;
    out.cpuSeconds = plus(out.cpuSeconds, w.cpuSeconds);
    out.rssMax = pick(out.rssMax, w.rssMax, Math.max);
    out.healthyMin = pick(out.healthyMin, w.healthyMin, Math.min);
    weighted.inflight += (w.inflightAvg ?? 0) * w.ticks;
    weighted.healthy += (w.healthyAvg ?? 0) * w.ticks;
    weighted.instances += (w.instancesAvg ?? 0) * w.ticks;
    if (w.rssAvg !== null) {
      weighted.rss += w.rssAvg * w.ticks;
      weighted.rssTicks += w.ticks;
    }
    if (w.revision !== undefined && w.to >= latestTo) {
      out.revision = w.revision;
      latestTo = w.to;
    }
  }
  if (out.ticks > 0) {
    out.inflightAvg = weighted.inflight / out.ticks;
    out.healthyAvg = weighted.healthy / out.ticks;
    out.instancesAvg = weighted.instances / out.ticks;
    out.rssAvg = weighted.rssTicks > 0 ? weighted.rss / weighted.rssTicks : null;
  }
  return out;
}

/** Requests that have a latency (all buckets, +Inf included). */
export function latencyCount(latency: readonly number[]): number {
  let total = 0;
  for (const n of latency) total += n;
  return total;
}

/**
 * The q-quantile (0..1) in ms, like Prometheus' histogram_quantile: linear interpolation inside
 * the bucket holding the rank, the first bucket starting at 0 ms; a rank in the +Inf bucket reports
 * the last finite bound (a lower bound of the truth). undefined for an empty histogram or q NaN.
 */
export function quantileMs(
  latency: readonly number[],
  q: number,
  bounds: readonly number[] = LATENCY_BUCKETS_MS,
): number | undefined {
  const total = latencyCount(latency);
  if (!(total > 0) || Number.isNaN(q)) return undefined;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let below = 0;
  for (let i = 0; i < latency.length; i++) {
    const inBucket = latency[i] ?? 0;
    if (inBucket > 0 && below + inBucket >= rank) {
      const upper = bounds[i];
      if (upper === undefined) return bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      return lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1];
}

/**
 * The share (0..1) of requests slower than `thresholdMs` (latency SLOs: the "bad" events).
 * Inside the bucket holding the threshold the part above it counts pro rata, as quantileMs
 * interpolates; the +Inf bucket cannot be split, so all of it counts as slower (pessimistic).
 * undefined for an empty histogram.
 */
export function shareSlowerThan(
  latency: readonly number[],
  thresholdMs: number,
  bounds: readonly number[] = LATENCY_BUCKETS_MS,
): number | undefined {
  const total = latencyCount(latency);
  if (!(total > 0)) return undefined;
  let slower = 0;
  for (let i = 0; i < latency.length; i++) {
    const inBucket = latency[i] ?? 0;
    if (inBucket === 0) continue;
    const lower = i === 0 ? 0 : (bounds[i - 1] ?? Number.POSITIVE_INFINITY);
    const upper = bounds[i] ?? Number.POSITIVE_INFINITY;
    if (lower >= thresholdMs) slower += inBucket;
    else if (upper > thresholdMs) {
      slower +=
        upper === Number.POSITIVE_INFINITY ? inBucket : (inBucket * (upper - thresholdMs)) / (upper - lower);
    }
  }
  return slower / total;
}

/** Mean latency (ms) of the requests with a latency; undefined when there are none. */
export function meanLatencyMs(w: WindowStats): number | undefined {
  const n = latencyCount(w.latency);
  return n > 0 ? w.latencySumMs / n : undefined;
}

/**
 * Requests per second over the time the ticks covered (gaps are not counted as idle time);
 * undefined when the window has no data. 0 when ticks saw no request.
 */
export function requestRate(w: WindowStats): number | undefined {
  return w.ticks > 0 && w.coveredMs > 0 ? w.requests / (w.coveredMs / 1000) : undefined;
}

/**
 * Errors per request (0..1, capped: retries count once per attempt, so errors can briefly exceed
 * requests); undefined without requests: 0 errors of 0 requests is not a 0% error rate.
 */
export function errorRatio(w: WindowStats): number | undefined {
  return w.requests > 0 ? Math.min(1, w.errors / w.requests) : undefined;
}

/** Share of ticks with at least one healthy instance (uptime); undefined without data. */
export function uptimeRatio(w: WindowStats): number | undefined {
  return w.ticks > 0 ? w.upTicks / w.ticks : undefined;
}

/** CPU in cores (CPU seconds per covered second), over the subject's instances together. */
export function cpuCores(w: WindowStats): number | undefined {
  return w.cpuSeconds !== null && w.coveredMs > 0 ? w.cpuSeconds / (w.coveredMs / 1000) : undefined;
}

/** The increase of a cumulative counter from `prev` to `next`; a drop is a reset (restart from 0). */
export function counterIncrease(prev: number, next: number): number {
  return next >= prev ? next - prev : next;
}
