/**
 * `tandem top`'s model: what GET /v1/top answers and renderTop() draws. Plain JSON (numbers,
 * strings, null), so the CLI can print it with --json as is. A measured value is `null` when the
 * window has no data for it: missing data is never shown as 0.
 */

export interface TopInstance {
  id: string;
  revision: string;
  /** The supervisor's state: starting, running, stopping, exited, crashlooping. */
  state: string;
  /** Passing its health check now. */
  healthy: boolean;
  /** Requests per second through the data plane over the window. */
  rps: number | null;
  /** Errors (5xx and connection failures) per request, in percent (0..100); null without requests. */
  errorPct: number | null;
  /** 95th percentile latency (ms) from the data plane's histogram; null without requests. */
  p95Ms: number | null;
  /** CPU in percent of one core (200 = two cores busy). */
  cpuPct: number | null;
  /** Resident memory (bytes), the window's average. */
  rssBytes: number | null;
  /** Restarts after unplanned exits since the instance was created. */
  restarts: number;
  /** Since its current process started (ms); null once exited. */
  uptimeMs: number | null;
}

export interface TopAutoscale {
  min: number;
  max: number;
  /** The latest decision's reason, e.g. "scale up: rps 180/100 per instance". */
  lastDecision: string | null;
}

export interface TopService {
  name: string;
  replicas: {
    /** Instances in state `running`. */
    running: number;
    /** Running and passing their health check. */
    healthy: number;
    /** What the control plane wants; null when it has no target (not deployed). */
    desired: number | null;
  };
  /** The service's aggregate over its instances, over the same window. */
  rps: number | null;
  errorPct: number | null;
  p95Ms: number | null;
  cpuPct: number | null;
  rssBytes: number | null;
  /** null when the service does not autoscale. */
  autoscale: TopAutoscale | null;
  /** By id. */
  instances: TopInstance[];
}

export interface TopEnvironment {
  name: string;
  /** By name. */
  services: TopService[];
}

/** The answer of GET /v1/top (optionally `?environment=NAME`). */
export interface TopSnapshot {
  /** When it was built, ms since the epoch. */
  at: number;
  /** The window the rates and quantiles cover (ms); null when no window was read. */
  windowMs: number | null;
  /** By name. */
  environments: TopEnvironment[];
}
