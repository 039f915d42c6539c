/**
 * The data plane seam (DESIGN.md §2): what routes a service's HTTP traffic to the instances of
 * its revisions, with weights and draining. Strategies drive it through the Runtime; the builtin
 * implementation (node:http) lives in builtin/, others (HAProxy) later. Every implementation must
 * pass contract.ts.
 */

export interface UpstreamInstance {
  /** Unique across the whole table. */
  id: string;
  host: string;
  port: number;
}

export interface RevisionRoute {
  revision: string;
  /** Relative integer weight >= 0; a revision with weight 0 gets no traffic. */
  weight: number;
  instances: UpstreamInstance[];
}

/** The instances of one service behind one listener, grouped by revision. */
export interface RouteTable {
  revisions: RevisionRoute[];
  /**
   * Cookie stickiness: while more than one revision has weight > 0, a client whose `cookie` names one
   * of them stays on it; any other client gets a revision by weight and a Set-Cookie naming it.
   * Revision names must then be valid cookie values.
   */
  sticky?: { cookie: string };
}

/** Upper bounds (ms, inclusive) of the latency buckets; a last, implicit bucket is +Inf. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
]);

export interface LatencyHistogram {
  /** Same as LATENCY_BUCKETS_MS. */
  bucketsMs: readonly number[];
  /** Non-cumulative counts, one per bucket plus a last one for +Inf (length bucketsMs.length + 1). */
  counts: number[];
  count: number;
  sumMs: number;
}

export interface TrafficStats {
  /** Requests sent (or attempted) upstream; a retried request counts on both instances. */
  requests: number;
  responses: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Upstream connection failures (refused, reset before a response, ...). */
  connectionFailures: number;
  /** Requests and upgraded connections in flight now. */
  inFlight: number;
  /** Time from the request's arrival to the end of its response, for answered HTTP requests. */
  latency: LatencyHistogram;
}

export interface InstanceStats extends TrafficStats {
  revision: string;
}

export interface ProxyStats {
  /** Everything the listener answered, including 503s with no instance. */
  total: TrafficStats;
  /** Keyed by revision name; kept after the revision leaves the table. */
  revisions: Record<string, TrafficStats>;
  /** Keyed by instance id; kept after the instance leaves the table. */
  instances: Record<string, InstanceStats>;
}

export interface DrainResult {
  drained: boolean;
  /** Requests and upgraded connections still in flight when drain resolved. */
  inFlight: number;
}

export interface DataPlane {
  /**
   * Atomically replaces the route table. In-flight requests finish where they are; an instance
   * that left the table is released once nothing is in flight on it.
   */
  setRoutes(table: RouteTable): void;
  /**
   * The instance gets no new request from now on. Resolves when its in-flight requests and
   * upgraded connections have ended (`drained: true`), or at the timeout (`drained: false`).
   */
  drain(instanceId: string, timeoutMs: number): Promise<DrainResult>;
  stats(): ProxyStats;
  listen(port: number, host: string): Promise<{ port: number }>;
  close(): Promise<void>;
}
