/**
 * A metric family whose samples are computed when Prometheus scrapes, from the latest snapshot the
 * control plane holds (the data plane's cumulative counters, the agent's instances). prom-client's
 * own Counter/Histogram can only be incremented or observed, which would count every request
 * twice; a registry accepts any object with `name` and `get()`, so this one hands it ready values.
 */
import type { Metric } from 'prom-client';

export type FamilyType = 'counter' | 'gauge' | 'histogram';

export interface FamilySample {
  labels: Record<string, string>;
  value: number;
  /** Appended to the family name: `_bucket`, `_sum`, `_count` for a histogram. */
  suffix?: string;
}

interface PromValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

export class SnapshotFamily {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    private readonly collect: () => FamilySample[],
  ) {}

  /** What prom-client's Registry reads. */
  async get(): Promise<{
    name: string;
    help: string;
    type: FamilyType;
    aggregator: string;
    values: PromValue[];
  }> {
    const values = this.collect().map((s) =>
      s.suffix === undefined
        ? { labels: s.labels, value: s.value }
        : { labels: s.labels, value: s.value, metricName: `${this.name}${s.suffix}` },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The registry's resetMetrics() calls this; a snapshot has nothing of its own to reset. */
  reset(): void {}

  /** The registry is typed for prom-client's own classes; it only uses name, type and get(). */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}

/**
 * The samples of a histogram from non-cumulative bucket counts (one per bound, plus +Inf last),
 * as cumulative `_bucket{le}` samples, `_sum` and `_count`.
 */
export function histogramSamples(
  labels: Record<string, string>,
  boundsSeconds: readonly number[],
  counts: readonly number[],
  sumSeconds: number,
): FamilySample[] {
  const out: FamilySample[] = [];
  let cumulative = 0;
  for (let i = 0; i <= boundsSeconds.length; i++) {
    cumulative += counts[i] ?? 0;
    const le = i < boundsSeconds.length ? String(boundsSeconds[i]) : '+Inf';
    out.push({ labels: { ...labels, le }, value: cumulative, suffix: '_bucket' });
  }
  out.push({ labels, value: sumSeconds, suffix: '_sum' });
  out.push({ labels, value: cumulative, suffix: '_count' });
  return out;
}
