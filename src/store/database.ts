import type { ColumnType, Generated } from 'kysely';
import type { AttemptStatus, JobStatus, RunStatus } from '../pipeline/types.js';

/**
 * Table types of the store, as Kysely sees them (snake_case, as in SQL). Times are ISO-8601
 * text (UTC, `Date.toISOString()`); durations are integer milliseconds.
 */
export interface Database {
  events: EventsTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_jobs: PipelineJobsTable;
  job_attempts: JobAttemptsTable;
  secrets: SecretsTable;
  releases: ReleasesTable;
  deployments: DeploymentsTable;
  rollouts: RolloutsTable;
  service_state: ServiceStateTable;
  incidents: IncidentsTable;
  silences: SilencesTable;
  alert_states: AlertStatesTable;
  tokens: TokensTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
}

/** A column that is written once, at insert, and never updated. */
type AppendOnly<T> = ColumnType<T, T, never>;

/** Append-only: triggers reject UPDATE and DELETE, and the types have no updatable column. */
export interface EventsTable {
  id: ColumnType<number, never, never>;
  at: AppendOnly<string>;
  /** Dotted name, e.g. `pipeline.run.started`. */
  type: AppendOnly<string>;
  /** What the event is about, e.g. `pipeline_run` / `<run id>`. */
  subject_kind: AppendOnly<string>;
  subject_id: AppendOnly<string>;
  /** JSON object. */
  data: AppendOnly<string>;
  /** The environment the event is about (migration 0007); null: none (a pipeline run, a release). */
  environment: AppendOnly<string | null>;
  /** The service the event is about (migration 0007); null: none, or the whole environment. */
  service: AppendOnly<string | null>;
}

export type StoredRunStatus = 'running' | RunStatus;
export type StoredJobStatus = 'pending' | 'running' | JobStatus;
export type StoredAttemptStatus = 'running' | AttemptStatus;

export interface PipelineRunsTable {
  id: string;
  project: string;
  branch: string | null;
  commit: string | null;
  status: StoredRunStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface PipelineJobsTable {
  run_id: string;
  name: string;
  /** Order of the job in the plan (topological). */
  position: number;
  status: StoredJobStatus;
  cache_key: string | null;
  attempts: Generated<number>;
  duration_ms: number | null;
  reason: string | null;
  /** The job's masked log, relative to the project root. */
  log_path: string | null;
  finished_at: string | null;
}

export interface JobAttemptsTable {
  run_id: string;
  job: string;
  attempt: number;
  status: StoredAttemptStatus;
  exit_code: number | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface SecretsTable {
  name: string;
  /** AES-256-GCM envelope written by src/secrets/crypto.ts; never the value. */
  ciphertext: string;
  created_at: string;
  updated_at: string;
}

export type ReleaseStatus = 'building' | 'ready' | 'failed';

/** An immutable release: a commit, the outputs of its green pipeline run, and the config it runs with. */
export interface ReleasesTable {
  /** `r<seq>-<short commit>`, e.g. `r3-4f2a9c1`. */
  id: string;
  seq: number;
  project: string;
  commit: string;
  /** The ref the user asked for (HEAD, a branch, a tag), for display. */
  ref: string | null;
  /** The green pipeline run whose outputs the release holds. */
  run_id: string | null;
  /** The release's directory, relative to the project's .tandem directory. */
  dir: string;
  /** JSON: `{ services, environments }` of tandem.yaml at the time of the release (uninterpolated). */
  config: string;
  status: ReleaseStatus;
  reason: string | null;
  created_at: string;
  finished_at: string | null;
}

export type DeploymentKind = 'deploy' | 'rollback' | 'restart' | 'scale';
export type DeploymentState = 'progressing' | 'succeeded' | 'failed' | 'superseded';

export interface DeploymentsTable {
  id: string;
  environment: string;
  kind: DeploymentKind;
  release: string;
  from_release: string | null;
  state: DeploymentState;
  reason: string | null;
  started_at: string;
  finished_at: string | null;
}

/** One service's rollout within a deployment; `record` is the JSON of src/delivery/types.ts Rollout. */
export interface RolloutsTable {
  id: string;
  deployment_id: string;
  environment: string;
  service: string;
  state: string;
  record: string;
  updated_at: string;
}

/** What a service in an environment should run now (the last promoted release) and how many instances. */
export interface ServiceStateTable {
  environment: string;
  service: string;
  release: string;
  replicas: number;
  updated_at: string;
}

export type IncidentState = 'open' | 'resolved';
export type IncidentCauseKind = 'alert' | 'rollback';

/**
 * An incident (issue 5): opened by a firing page-severity alert or an automatic rollback, at most
 * one open per environment and service (a partial unique index), resolved once.
 */
export interface IncidentsTable {
  /** `inc-<seq>`, e.g. `inc-12`. */
  id: string;
  seq: number;
  environment: string;
  service: string;
  title: string;
  severity: string;
  state: IncidentState;
  opened_at: string;
  resolved_at: string | null;
  /** A principal, or `tandem` when its alerts cleared. */
  resolved_by: string | null;
  cause_kind: IncidentCauseKind;
  /** The alert fingerprint or the deployment id that opened it. */
  cause_ref: string;
  /** JSON array of release ids linked to the incident. */
  releases: string;
  /** JSON array of the fingerprints of the alerts attached to it. */
  alerts: string;
  resolution: string | null;
}

/** A silence: notifications of alerts matching every matcher are muted in [starts_at, ends_at). */
export interface SilencesTable {
  /** `sil-<8 hex>`. */
  id: string;
  /** JSON array of `{ label, op: '=' | '!=' | '=~', value }`. */
  matchers: string;
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
  created_at: string;
  /** Set when expired by hand (`tandem silence expire`) before ends_at. */
  expired_at: string | null;
  expired_by: string | null;
}

/** The current state of each alert instance, so a control-plane restart neither re-notifies nor loses timers. */
export interface AlertStatesTable {
  fingerprint: string;
  rule: string;
  environment: string;
  service: string;
  state: string;
  /** JSON of the evaluator's record (pending-since, last notified, flap history…). */
  record: string;
  updated_at: string;
}

/** An API token (issue 6). Only the sha256 of the plaintext is stored; it is shown once, at creation. */
export interface TokensTable {
  /** `tok-<8 hex>`. */
  id: string;
  /** Unique among active tokens (a partial unique index). */
  name: string;
  /** viewer | developer | operator | admin. */
  role: string;
  /** sha256 of the plaintext, hex. */
  hash: string;
  /** What a person sees to recognise it, e.g. `tdm_a1B2…`. */
  prefix: string;
  created_at: string;
  created_by: string;
  /** Updated at most once a minute, so busy clients do not write on every request. */
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

/** A dashboard session, made by logging in with a token; ends when its token is revoked. */
export interface SessionsTable {
  /** sha256 of the cookie value, hex: a database leak does not hand out live sessions. */
  id_hash: string;
  token_id: string;
  /** The session's CSRF token, sent back by the dashboard in X-CSRF-Token. */
  csrf: string;
  /** The client address that logged in. */
  address: string;
  created_at: string;
  /** Touched at most once a minute; the session ends after 12 h without a request. */
  last_seen_at: string;
  /** The absolute end (7 days after login). */
  expires_at: string;
}

/** One mutating API call (allowed or denied). Never holds tokens, cookies or secrets. */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  /** null when the caller was not authenticated (e.g. a failed login). */
  principal_id: string | null;
  principal_name: string | null;
  role: string | null;
  /** e.g. `POST /api/v1/environments/:env/promote`. */
  action: string;
  /** JSON object: the route's params. */
  target: string;
  address: string;
  /** The HTTP status answered. */
  status: number;
  detail: string | null;
}
