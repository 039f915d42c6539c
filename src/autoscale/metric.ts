/**
 * The per-instance metric the HPA formula takes, read from a service's aggregate window. Demand is
 * spread over every instance the service should have (`current`), ready or not, as the HPA counts
 * not-yet-ready pods at 0% on scale-up: dividing by the healthy ones only would make a service
 * whose new instances are still starting look ever hotter and overshoot. Pure.
 */
import type { WindowStats } from '../observe/metrics/types.js';
import type { Target } from './types.js';

/** undefined when the window has no data (never read as zero). */
export function metricOf(
  target: Target,
  window: WindowStats | undefined,
  current: number,
  quantileMs: (latency: readonly number[], q: number) => number | undefined,
): number | undefined {
  if (window === undefined || window.ticks === 0 || window.coveredMs <= 0) return undefined;
  // Nothing healthy to measure (a service that is down): hold rather than scale on a guess.
  if ((window.healthyAvg ?? 0) <= 0) return undefined;
  const per = Math.max(1, current);
  const seconds = window.coveredMs / 1000;
  switch (target.kind) {
    case 'rps':
      return window.requests / seconds / per;
    case 'cpu':
      return window.cpuSeconds === null ? undefined : window.cpuSeconds / seconds / per;
    case 'inflight':
      return window.inflightAvg === null ? undefined : window.inflightAvg / per;
    case 'p95':
      // A latency target is service-wide: no requests is no data, not a fast service.
      return window.requests === 0 ? undefined : quantileMs(window.latency, 0.95);
  }
}
