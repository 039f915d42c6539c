/**
 * What the dashboard works with, after adapters.ts has normalised the API's JSON. The pages only
 * see these shapes, so a change in the server's exact fields touches one module.
 */
import type { QueryPoint } from '../../../src/control/observe-queries.js';
import type { TimelineItem } from '../lib/timeline.js';

export type { TimelineItem };

export interface Principal {
  name: string;
  roles: string[];
}

export interface Session {
  principal: Principal;
  /** Sent as X-CSRF-Token on every POST; null when the server did not give one (auth off). */
  csrf: string | null;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor of the next page; null at the end. */
  next: string | null;
}

export interface RolloutSummary {
  state: string;
  /** 0-based (the status contract's); null outside a progressing canary. */
  step: number | null;
  weight: number | null;
  /** Canary: how many steps. */
  steps: number | null;
  /** True while the deployment progresses (derived from the state when the server does not say). */
  active: boolean;
  strategy: string | null;
  release: string | null;
}

export type Health = 'healthy' | 'degraded' | 'down' | 'stopped' | 'not-deployed' | 'unknown';

export interface OverviewRow {
  environment: string;
  service: string;
  release: string | null;
  ready: number | null;
  desired: number | null;
  rps: number | null;
  errorRate: number | null;
  p95Ms: number | null;
  rollout: RolloutSummary | null;
  owners: string[];
  openIncidents: number;
  firingAlerts: number;
  autoscale: { min: number; max: number } | null;
  /** Protected environments need an operator to steer. */
  protected: boolean;
  /** The roles that may approve a held rollout (tandem.yaml `approval:`); null when unknown. */
  approval: string[] | null;
  health: Health;
}

export type JobState = 'pending' | 'running' | 'passed' | 'failed' | 'cached' | 'skipped' | 'cancelled';
export type RunState = 'running' | 'passed' | 'failed' | 'cancelled' | 'pending';

export interface RunSummary {
  id: string;
  status: RunState;
  branch: string | null;
  commit: string | null;
  /** Epoch ms. */
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  /** Why it ran (push, release, manual…), when the server says. */
  trigger: string | null;
  /** The release it built, when it built one. */
  release: string | null;
}

export interface RunJob {
  name: string;
  needs: string[];
  status: JobState;
  durationMs: number | null;
  attempts: number;
  /** Why it was skipped, failed or cancelled, or why the cache missed or hit. */
  reason: string | null;
  cacheKey: string | null;
  /** Epoch ms; for the elapsed time of a running job. */
  startedAt: number | null;
}

export interface Run extends RunSummary {
  jobs: RunJob[];
}

/** One chart point: the server's own type (`at` is epoch ms, the end of the window). */
export type MetricPoint = QueryPoint;

export interface EnvironmentRollout {
  id: string | null;
  state: string;
  strategy: string | null;
  release: string | null;
  from: string | null;
  reason: string | null;
  startedAt: number | null;
  step: number | null;
  weight: number | null;
  pausedReason: string | null;
  analysis: { failures: number; inconclusive: number; measurements: number } | null;
}

export interface InstanceRow {
  id: string;
  release: string;
  state: string;
  healthy: boolean;
  inTraffic: boolean;
  restarts: number;
}

/** One service in one environment, from GET /status. */
export interface ServiceStatus {
  environment: string;
  service: string;
  release: string | null;
  ready: number;
  desired: number;
  instances: InstanceRow[];
  rollout: EnvironmentRollout | null;
}

export interface AuditRow {
  id: string;
  at: number;
  principal: string;
  role: string | null;
  action: string;
  target: string;
  address: string | null;
  status: number | null;
  detail: string | null;
}

/** A slice of a pipeline job's log. */
export interface JobLogSlice {
  lines: string[];
  /** The byte offset to read on from (the `offset` of a joblog stream); null from older servers. */
  offset: number | null;
  /** The job has ended and this reaches the end of its log. */
  complete: boolean;
  /** Earlier lines were left out (only the tail was read). */
  truncated: boolean;
}

/** A log line from the stream (an instance's log). */
export interface LogLine {
  id: string | null;
  at: number | null;
  runId: string | null;
  job: string | null;
  instance: string | null;
  stream: string | null;
  text: string;
}

/** An event from the stream, as the pages need it. */
export interface StreamEvent {
  id: string | null;
  type: string;
  at: number | null;
  environment: string | null;
  service: string | null;
  runId: string | null;
  data: Record<string, unknown>;
  /** As a timeline entry (when it belongs to a service's timeline). */
  item: TimelineItem;
}
