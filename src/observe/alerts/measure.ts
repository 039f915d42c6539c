/**
 * The value of a condition's metric over one window of one subject, or no data.
 *
 * "No data" (undefined) is decided per metric, never by reading an absent number as zero:
 * - any metric: the window has no collection tick (`ticks === 0`);
 * - error_rate: no request in the window (0 errors of 0 requests is not a 0% error rate);
 * - p50..p99: no request with a latency (all failed to connect, or none came);
 * - cpu, rss: not measured (null), or no instance existed;
 * - inflight, healthy: not measured (null);
 * - rps is 0 when ticks saw no request: the data plane counted, and counted nothing;
 * - rate()/value(): no sample of that series, or a rate() of a gauge / value() of a counter.
 *
 * Service-wide meanings: rps and inflight are totals over the instances; cpu (cores) and rss
 * (bytes) are per instance (the aggregate divided by the average instance count); healthy is
 * the minimum over the window; up is the share of ticks with at least one healthy instance.
 */
import type { WindowStats } from '../metrics/types.js';
import { cpuCores, errorRatio, quantileMs, requestRate, uptimeRatio } from '../metrics/window-math.js';
import type { Comparison, Condition } from './types.js';

/** What the metrics source says about an application metric over the same window. */
export type AppReader = (
  name: string,
  labels: Record<string, string>,
) => { kind: 'counter' | 'gauge'; value: number; samples: number } | undefined;

export type Measured = { value: number } | { value: undefined; reason: string };

const QUANTILE = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

/** The measurement, or undefined for no data (see measureWithReason for why). */
export function measure(condition: Condition, stats: WindowStats, app?: AppReader): number | undefined {
  return measureWithReason(condition, stats, app).value;
}

/** The measurement, or why there is none (for `nodata` notifications and `tandem status`). */
export function measureWithReason(condition: Condition, stats: WindowStats, app?: AppReader): Measured {
  const metric = condition.metric;
  if (metric.kind === 'app') {
    const found = app?.(metric.name, metric.labels);
    if (found === undefined || found.samples === 0) return none(`no samples of ${metric.name}`);
    if (metric.fn === 'rate') {
      if (found.kind !== 'counter') return none(`${metric.name} is a gauge: use value(${metric.name})`);
      const seconds = (stats.to - stats.from) / 1000;
      return seconds > 0 ? { value: found.value / seconds } : none('the window is empty');
    }
    if (found.kind !== 'gauge') return none(`${metric.name} is a counter: use rate(${metric.name})`);
    return { value: found.value };
  }

  if (stats.ticks === 0) return none('no metrics were collected in the window');
  switch (metric.name) {
    case 'error_rate':
      return ifDefined(errorRatio(stats), 'no requests in the window');
    case 'rps':
      return ifDefined(requestRate(stats), 'the window covers no time');
    case 'p50':
    case 'p90':
    case 'p95':
    case 'p99':
      return ifDefined(
        quantileMs(stats.latency, QUANTILE[metric.name]),
        'no request with a latency in the window',
      );
    case 'cpu': {
      const cores = cpuCores(stats);
      if (cores === undefined) return none('CPU was not measured');
      if (!stats.instancesAvg) return none('no instance ran in the window');
      return { value: cores / stats.instancesAvg };
    }
    case 'rss':
      if (stats.rssAvg === null) return none('memory was not measured');
      if (!stats.instancesAvg) return none('no instance ran in the window');
      return { value: stats.rssAvg / stats.instancesAvg };
    case 'inflight':
      return ifDefined(stats.inflightAvg ?? undefined, 'in-flight requests were not measured');
    case 'healthy':
      return ifDefined(stats.healthyMin ?? undefined, 'health was not measured');
    case 'up':
      return ifDefined(uptimeRatio(stats), 'no metrics were collected in the window');
  }
}

/** Whether a (defined) measurement meets the comparison. */
export function compare(comparison: Comparison, value: number): boolean {
  const { op, threshold } = comparison;
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

function ifDefined(value: number | undefined, reason: string): Measured {
  return value === undefined ? none(reason) : { value };
}

function none(reason: string): Measured {
  return { value: undefined, reason };
}
