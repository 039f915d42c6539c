/**
 * Parsed Prometheus families → the store's AppPoints: every sample becomes one point named as
 * exposed (`x_bucket{le}`, `x_sum`, `x_count`, `x{quantile}`), typed by what the store must do
 * with it over time: take increases (counter) or read the value (gauge).
 */

import type { AppPoint } from '../metrics/types.js';
import type { MetricFamily } from '../prometheus/index.js';

export interface Flattened {
  points: AppPoint[];
  /** Series past `maxSeries`, not kept. */
  dropped: number;
  /** Series exposed twice (same name and labels): the first is kept. */
  duplicates: number;
}

/**
 * Counters, and histograms' and summaries' `_bucket`/`_sum`/`_count`, are cumulative: 'counter'.
 * Gauges, untyped metrics and summary quantiles (a value as of now, not a running total): 'gauge'.
 * NaN and ±Inf are left out (a summary quantile with no observation is NaN; no store can sum it).
 */
export function flattenFamilies(families: readonly MetricFamily[], maxSeries: number): Flattened {
  const points: AppPoint[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  let duplicates = 0;
  for (const family of families) {
    for (const sample of family.samples) {
      if (!Number.isFinite(sample.value)) continue;
      const key = seriesKey(sample.name, sample.labels);
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      if (points.length >= maxSeries) {
        dropped++;
        continue;
      }
      seen.add(key);
      points.push({
        name: sample.name,
        labels: { ...sample.labels },
        kind: kindOf(family, sample.name),
        value: sample.value,
      });
    }
  }
  return { points, dropped, duplicates };
}

function kindOf(family: MetricFamily, sampleName: string): AppPoint['kind'] {
  switch (family.type) {
    case 'counter':
    case 'histogram':
      return 'counter';
    case 'summary':
      // The quantiles are the family's own name; _sum and _count are running totals.
      return sampleName === family.name ? 'gauge' : 'counter';
    default:
      return 'gauge';
  }
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return JSON.stringify([name, sorted]);
}
