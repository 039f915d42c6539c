/**
 * From two cumulative snapshots of one revision's counters to the stats of the window between
 * them. The data plane only ever counts up, so a window is a subtraction, and no per-request
 * state is kept anywhere.
 */
import type { LatencyHistogram, TrafficStats } from '../../proxy/types.js';
import type { RevisionCounters, WindowStats } from './types.js';

/** A snapshot of the counters analysis needs; copied, so later traffic does not change it. */
export function countersOf(stats: TrafficStats): RevisionCounters {
  return {
    requests: stats.requests,
    errors5xx: stats.responses['5xx'],
    connectionFailures: stats.connectionFailures,
    latency: {
      bucketsMs: stats.latency.bucketsMs,
      counts: [...stats.latency.counts],
      count: stats.latency.count,
      sumMs: stats.latency.sumMs,
    },
  };
}

/**
 * The stats of the window from `before` to `after`. With no `before` (first window) or when any
 * counter went down (the data plane restarted and began again from zero), the window is
 * `after` alone: everything counted since the restart. A restart followed by more traffic than
 * before in every counter cannot be told apart and undercounts that one window.
 */
export function windowStats(before: RevisionCounters | undefined, after: RevisionCounters): WindowStats {
  const delta = before === undefined || wentDown(before, after) ? after : subtract(after, before);
  const failed = delta.errors5xx + delta.connectionFailures;
  return {
    requests: delta.requests,
    // Capped: a retried request counts once per attempt in `requests`, so this stays <= 1 in
    // practice; the cap only guards against counters read at slightly different moments.
    errorRate: delta.requests > 0 ? Math.min(1, failed / delta.requests) : 0,
    p50Ms: delta.requests > 0 ? percentile(delta.latency, 0.5) : null,
    p95Ms: delta.requests > 0 ? percentile(delta.latency, 0.95) : null,
    p99Ms: delta.requests > 0 ? percentile(delta.latency, 0.99) : null,
  };
}

/**
 * The q-quantile (0 < q <= 1) of a histogram, interpolated linearly inside the bucket where it
 * falls (the first bucket starts at 0 ms), as Prometheus' histogram_quantile does. A quantile
 * that falls in the +Inf bucket reports the last finite bound (5000 ms): a lower bound of the
 * truth, still enough to fail any `max` gate below it. Null when the histogram is empty (e.g.
 * every request of the window failed to connect, so none has a latency).
 */
export function percentile(histogram: LatencyHistogram, q: number): number | null {
  const total = histogram.counts.reduce((sum, n) => sum + n, 0);
  if (total <= 0) return null;
  const rank = q * total;
  const bounds = histogram.bucketsMs;
  let below = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const inBucket = histogram.counts[i] ?? 0;
    if (inBucket > 0 && below + inBucket >= rank) {
      const upper = bounds[i];
      if (upper === undefined) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      return lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1] ?? null;
}

function wentDown(before: RevisionCounters, after: RevisionCounters): boolean {
  if (
    after.requests < before.requests ||
    after.errors5xx < before.errors5xx ||
    after.connectionFailures < before.connectionFailures ||
    after.latency.count < before.latency.count ||
    after.latency.sumMs < before.latency.sumMs
  )
    return true;
  // Different bucket layouts cannot be subtracted: treat as a restart too.
  if (!sameBuckets(before.latency, after.latency)) return true;
  return after.latency.counts.some((n, i) => n < (before.latency.counts[i] ?? 0));
}

function sameBuckets(a: LatencyHistogram, b: LatencyHistogram): boolean {
  return (
    a.counts.length === b.counts.length &&
    a.bucketsMs.length === b.bucketsMs.length &&
    a.bucketsMs.every((bound, i) => bound === b.bucketsMs[i])
  );
}

function subtract(after: RevisionCounters, before: RevisionCounters): RevisionCounters {
  return {
    requests: after.requests - before.requests,
    errors5xx: after.errors5xx - before.errors5xx,
    connectionFailures: after.connectionFailures - before.connectionFailures,
    latency: {
      bucketsMs: after.latency.bucketsMs,
      counts: after.latency.counts.map((n, i) => n - (before.latency.counts[i] ?? 0)),
      count: after.latency.count - before.latency.count,
      sumMs: after.latency.sumMs - before.latency.sumMs,
    },
  };
}
