/**
 * The share of bad requests of an objective over one window, from the metrics store's stats.
 *
 * No data (undefined) only when the window has no collection tick: the collector or the store
 * is not working, and the alert should say so. A window whose ticks saw no request has burnt
 * no budget and reads 0: unlike the error_rate metric of alert rules (where 0 of 0 is no data),
 * the error budget is counted in bad events, and there were none. Otherwise every quiet night
 * of a low-traffic service would be a `nodata` notification.
 *
 * Availability: errors (5xx and failed connections) ÷ requests. Latency: the share of requests
 * with a latency slower than the threshold, from the histogram with linear interpolation inside
 * the bucket holding the threshold (failed connections have no latency; availability counts them).
 */

import type { WindowStats } from '../metrics/types.js';
import { latencyCount, shareSlowerThan } from '../metrics/window-math.js';
import type { SloObjective } from './types.js';

export function badRatio(objective: SloObjective, stats: WindowStats): number | undefined {
  if (stats.ticks === 0) return undefined;
  if (objective.kind === 'availability') {
    return stats.requests === 0 ? 0 : Math.min(1, stats.errors / stats.requests);
  }
  if (latencyCount(stats.latency) === 0) return 0;
  return shareSlowerThan(stats.latency, objective.thresholdMs ?? Number.POSITIVE_INFINITY);
}

/**
 * The `ratioOf` evaluateBurn() takes, reading windows that end at `now`; `windowOf` is
 * typically `(from, to) => source.window(subject, from, to)`.
 */
export function ratioReader(
  objective: SloObjective,
  windowOf: (from: number, to: number) => WindowStats,
  now: number,
): (windowMs: number) => number | undefined {
  return (windowMs) => badRatio(objective, windowOf(now - windowMs, now));
}
