/**
 * The part of the data plane's cumulative TrafficStats a Sample needs as counters, and the
 * reset-aware difference of two snapshots of it.
 */
import { LATENCY_BUCKETS_MS, type TrafficStats } from '../../proxy/types.js';

export interface TrafficCounters {
  requests: number;
  /** 5xx responses plus upstream connection failures. */
  errors: number;
  /** Non-cumulative, one per LATENCY_BUCKETS_MS plus +Inf. */
  latency: number[];
  latencySumMs: number;
}

const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

export function zeroCounters(): TrafficCounters {
  return { requests: 0, errors: 0, latency: new Array<number>(BUCKETS).fill(0), latencySumMs: 0 };
}

export function countersOf(stats: TrafficStats | undefined): TrafficCounters {
  if (stats === undefined) return zeroCounters();
  const latency = new Array<number>(BUCKETS).fill(0);
  // Same layout as LATENCY_BUCKETS_MS by contract; extra buckets from an unexpected layout land in +Inf.
  stats.latency.counts.forEach((n, i) => {
    latency[Math.min(i, BUCKETS - 1)]! += n;
  });
  return {
    requests: stats.requests,
    errors: stats.responses['5xx'] + stats.connectionFailures,
    latency,
    latencySumMs: stats.latency.sumMs,
  };
}

/**
 * What happened between `before` and `now`. A counter below its earlier value means the data
 * plane restarted its counting (a listener recreated, an agent restarted): everything in `now`
 * then happened since, so it is counted from 0 rather than as a negative increase.
 */
export function counterDelta(before: TrafficCounters, now: TrafficCounters): TrafficCounters {
  const reset =
    now.requests < before.requests ||
    now.errors < before.errors ||
    now.latencySumMs < before.latencySumMs ||
    now.latency.some((n, i) => n < (before.latency[i] ?? 0));
  if (reset) return copyCounters(now);
  return {
    requests: now.requests - before.requests,
    errors: now.errors - before.errors,
    latency: now.latency.map((n, i) => n - (before.latency[i] ?? 0)),
    latencySumMs: now.latencySumMs - before.latencySumMs,
  };
}

export function addCounters(into: TrafficCounters, more: TrafficCounters): void {
  into.requests += more.requests;
  into.errors += more.errors;
  more.latency.forEach((n, i) => {
    into.latency[i] = (into.latency[i] ?? 0) + n;
  });
  into.latencySumMs += more.latencySumMs;
}

export function copyCounters(c: TrafficCounters): TrafficCounters {
  return { ...c, latency: [...c.latency] };
}
