/**
 * The built-in metrics model (issue 5), shared by the collector (writes), the store (keeps and
 * rolls up) and the readers (alerts, SLOs, autoscaler, `tandem top`, the API). Pure types.
 *
 * A *subject* is one instance of a service in an environment, or the service's aggregate over
 * its instances (`instance: ''`), written by the collector at each tick so that service-wide
 * queries (dashboards, alerts, uptime) never have to sum instances at read time.
 */

/** Which instance; `instance: ''` names the service's aggregate. */
export interface Subject {
  environment: string;
  service: string;
  instance: string;
}

/**
 * One collection tick of one subject. Counters are increases over the tick's interval (the
 * collector turns the data plane's cumulative counters into deltas, reset-aware); gauges are the
 * value at the tick.
 */
export interface Sample extends Subject {
  /** End of the interval, ms since epoch. */
  at: number;
  /** Length of the interval the counters cover (ms). */
  intervalMs: number;
  /** The instance's revision; for the aggregate, the revisions joined with "," (serving ones). */
  revision: string;
  /** Requests answered or attempted through the data plane. */
  requests: number;
  /** 5xx responses plus upstream connection failures. */
  errors: number;
  /** Non-cumulative counts per LATENCY_BUCKETS_MS (src/proxy/types.ts) plus a last +Inf bucket. */
  latency: number[];
  latencySumMs: number;
  /** In-flight requests at the tick. */
  inflight: number;
  /** CPU time (user + system, seconds) the instance's processes used in the interval; null when unknown. */
  cpuSeconds: number | null;
  /** Resident memory (bytes) at the tick; null when unknown. The aggregate sums its instances. */
  rssBytes: number | null;
  /** Instances passing their health check (0 or 1 for an instance). */
  healthy: number;
  /** Instances that exist (starting or running; 1 for an instance). */
  instances: number;
}

/** An application metric scraped from an instance's `metrics.path` (Prometheus text format). */
export interface AppPoint {
  name: string;
  labels: Record<string, string>;
  /** Counters (and histogram/summary `_bucket`/`_sum`/`_count`) are cumulative as exposed. */
  kind: 'counter' | 'gauge';
  value: number;
}

export interface AppSample extends Subject {
  at: number;
  points: AppPoint[];
}

/** Everything known about one subject over a window [from, to). `ticks === 0` means no data. */
export interface WindowStats {
  from: number;
  to: number;
  /** Collection ticks in the window (raw samples, or the ticks a rollup row summarises). */
  ticks: number;
  /** Ticks at which at least one instance was healthy (uptime = upTicks / ticks). */
  upTicks: number;
  /** Sum of the ticks' intervals: the time the counters cover (ms). */
  coveredMs: number;
  requests: number;
  errors: number;
  latency: number[];
  latencySumMs: number;
  cpuSeconds: number | null;
  inflightAvg: number | null;
  rssAvg: number | null;
  rssMax: number | null;
  healthyAvg: number | null;
  healthyMin: number | null;
  instancesAvg: number | null;
  /** The subject's revision at the window's latest tick (Sample.revision), when known. */
  revision?: string;
}

/** The resolution a read was served from (raw samples, 1-minute or 1-hour rollups). */
export type Resolution = 'raw' | '1m' | '1h';

export interface Retention {
  /** Raw samples (default 1 h). */
  rawMs: number;
  /** 1-minute rollups (default 7 days). */
  minuteMs: number;
  /** 1-hour rollups (default 90 days). */
  hourMs: number;
}

export const DEFAULT_RETENTION: Retention = Object.freeze({
  rawMs: 60 * 60_000,
  minuteMs: 7 * 24 * 60 * 60_000,
  hourMs: 90 * 24 * 60 * 60_000,
});

/** The reads everything else needs; the builtin store implements it, a Prometheus source later. */
export interface MetricsSource {
  /** Sums/averages over [from, to), read from the finest resolution that still covers `from`. */
  window(subject: Subject, from: number, to: number): WindowStats;
  /** Consecutive windows of `stepMs` over [from, to) (charts, `tandem top`). */
  series(
    subject: Subject,
    from: number,
    to: number,
    stepMs: number,
  ): { resolution: Resolution; points: WindowStats[] };
  /**
   * An application metric over [from, to): for counters the increase (reset-aware) summed over
   * the matching series, for gauges the average of the latest values; undefined when no sample.
   */
  app(
    subject: Subject,
    name: string,
    labels: Record<string, string>,
    from: number,
    to: number,
  ): { kind: 'counter' | 'gauge'; value: number; samples: number } | undefined;
  /** The subjects with data since `since` (instances and aggregates). */
  subjects(since: number): Subject[];
}

export interface MetricsStore extends MetricsSource {
  write(samples: readonly Sample[], app?: readonly AppSample[]): void;
  /** Rolls raw samples up into 1 m and 1 h rows and drops what is past retention. Idempotent. */
  compact(now: number): void;
  /** Bytes on disk (database + WAL) and row counts per resolution, for `tandem status` and benches. */
  size(): { bytes: number; rows: Record<Resolution | 'app', number> };
  close(): void;
}
