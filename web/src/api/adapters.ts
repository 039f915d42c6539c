/**
 * The one place that knows the API's JSON: every response goes through an adapter here and
 * comes out in the shapes of types.ts. Lenient on purpose (optional fields, ISO or epoch times,
 * a list under `items`, `rows` or bare), so a server that adds or renames a field degrades to
 * "no data" instead of a blank page.
 */
import { type AnalysisMeasurement, kindOf, type TimelineItem } from '../lib/timeline.js';
import type {
  AuditRow,
  EnvironmentRollout,
  Health,
  JobLogSlice,
  JobState,
  LogLine,
  MetricPoint,
  OverviewRow,
  Page,
  Principal,
  RolloutSummary,
  Run,
  RunJob,
  RunState,
  RunSummary,
  ServiceStatus,
  Session,
  StreamEvent,
} from './types.js';

type Json = Record<string, unknown>;

export function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Epoch ms from epoch ms, epoch seconds (< 1e11) or an ISO string. */
export function time(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string' && v !== '') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A list wherever the server put it: bare, or under one of `keys`. */
function list(v: unknown, keys: readonly string[]): unknown[] {
  if (Array.isArray(v)) return v;
  const o = obj(v);
  for (const k of keys) if (Array.isArray(o[k])) return o[k] as unknown[];
  return [];
}

function page<T>(v: unknown, keys: readonly string[], item: (x: unknown) => T | undefined): Page<T> {
  const items: T[] = [];
  for (const x of list(v, ['items', ...keys])) {
    const t = item(x);
    if (t !== undefined) items.push(t);
  }
  const next = obj(v).next;
  return { items, next: typeof next === 'string' && next !== '' ? next : null };
}

export function adaptPrincipal(v: unknown): Principal {
  const o = obj(v);
  const roles = strings(o.roles);
  const role = str(o.role);
  return {
    name: str(o.name) ?? str(o.id) ?? 'unknown',
    roles: roles.length > 0 ? roles : role !== null ? [role] : [],
  };
}

/** POST/GET /session: `{ principal, csrf }` (also accepts the principal's fields at the top). */
export function adaptSession(v: unknown, storedCsrf: string | null = null): Session {
  const o = obj(v);
  const principal = adaptPrincipal(o.principal ?? o);
  return { principal, csrf: str(o.csrf) ?? str(o.csrfToken) ?? storedCsrf };
}

/** Owners as names: a list, a string, or tandem.yaml's `{ team, oncall }`. */
export function adaptOwners(v: unknown): string[] {
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (Array.isArray(v)) return v.flatMap((x) => adaptOwners(x));
  const o = obj(v);
  const out: string[] = [];
  for (const key of ['team', 'name', 'email', 'oncall']) {
    const s = str(o[key]);
    if (s !== null && s !== '') out.push(s);
  }
  return out;
}

const HEALTH: readonly string[] = ['healthy', 'degraded', 'down', 'stopped', 'not-deployed', 'unknown'];

/** The server's health when it says one; else from replicas, alerts and incidents. */
export function healthOf(row: {
  ready: number | null;
  desired: number | null;
  firingAlerts: number;
  openIncidents: number;
  status?: unknown;
}): Health {
  if (typeof row.status === 'string' && HEALTH.includes(row.status)) return row.status as Health;
  if (row.ready === null || row.desired === null) return 'unknown';
  if (row.desired === 0) return 'stopped';
  if (row.ready === 0) return 'down';
  if (row.ready < row.desired || row.firingAlerts > 0 || row.openIncidents > 0) return 'degraded';
  return 'healthy';
}

const ACTIVE_STATES: readonly string[] = ['pending', 'awaiting-approval', 'progressing', 'paused'];

export function adaptRolloutSummary(v: unknown): RolloutSummary | null {
  if (v === null || v === undefined) return null;
  const o = obj(v);
  const state = str(o.state);
  if (state === null) return null;
  return {
    state,
    step: num(o.step),
    weight: num(o.weight),
    steps: num(o.steps),
    active: typeof o.active === 'boolean' ? o.active : ACTIVE_STATES.includes(state),
    strategy: str(o.strategy),
    release: str(o.release),
  };
}

interface EnvironmentInfo {
  protected: boolean;
  approval: string[] | null;
}

export function adaptOverviewRow(
  v: unknown,
  envs: ReadonlyMap<string, EnvironmentInfo> = new Map(),
): OverviewRow | undefined {
  const o = obj(v);
  const environment = str(o.environment) ?? str(o.env);
  const service = str(o.service) ?? str(o.name);
  if (environment === null || service === null) return undefined;
  const health = obj(o.health);
  const replicas = obj(o.replicas);
  const traffic = obj(o.traffic);
  const autoscale = obj(o.autoscale);
  const alerts = o.firingAlerts ?? obj(o.alerts).firing;
  const incidents = o.openIncidents ?? obj(o.incidents).open;
  const env = envs.get(environment);
  const row = {
    environment,
    service,
    release: str(o.release) || null,
    ready: num(o.ready ?? health.ready ?? replicas.ready),
    desired: num(o.desired ?? health.desired ?? replicas.desired ?? o.replicas),
    rps: num(o.rps ?? traffic.rps),
    errorRate: num(o.errorRate ?? traffic.errorRate),
    p95Ms: num(o.p95Ms ?? o.p95 ?? traffic.p95Ms),
    rollout: adaptRolloutSummary(o.rollout),
    owners: adaptOwners(o.owners),
    openIncidents: Array.isArray(incidents) ? incidents.length : (num(incidents) ?? 0),
    firingAlerts: Array.isArray(alerts) ? alerts.length : (num(alerts) ?? 0),
    autoscale:
      num(autoscale.min) !== null && num(autoscale.max) !== null
        ? { min: num(autoscale.min)!, max: num(autoscale.max)! }
        : null,
    protected: o.protected === true || env?.protected === true,
    approval: Array.isArray(o.approval) ? strings(o.approval) : (env?.approval ?? null),
  };
  return { ...row, health: healthOf({ ...row, status: health.status ?? o.health }) };
}

/**
 * GET /overview: `{ environments: [{ name, protected, approval }], services: [rows] }` (rows
 * may also come bare or under `items`/`rows`, with the environment facts on each row).
 */
export function adaptOverview(v: unknown): OverviewRow[] {
  const envs = new Map<string, EnvironmentInfo>();
  for (const e of list(obj(v).environments, [])) {
    const o = obj(e);
    const name = str(o.name);
    if (name !== null)
      envs.set(name, {
        protected: o.protected === true,
        approval: Array.isArray(o.approval) ? strings(o.approval) : null,
      });
  }
  const rows: OverviewRow[] = [];
  for (const x of list(v, ['items', 'rows', 'services'])) {
    const r = adaptOverviewRow(x, envs);
    if (r !== undefined) rows.push(r);
  }
  return rows;
}

export function adaptTimelineItem(v: unknown): TimelineItem | undefined {
  const o = obj(v);
  const id = str(o.id);
  const at = time(o.at);
  const type = str(o.type) ?? str(o.kind) ?? 'event';
  if (id === null || at === null) return undefined;
  const data = obj(o.data);
  const analysis = adaptMeasurements(data.analysis);
  return {
    id,
    at,
    kind: kindOf(o.kind, type),
    type,
    title: str(o.title) ?? str(o.summary) ?? type,
    environment: str(o.environment) ?? str(data.environment),
    service: str(o.service) ?? str(data.service),
    release: str(o.release) ?? str(data.release),
    data,
    analysis,
  };
}

/** Canary analysis measurements (`{ at, verdict, canary: { requests, errorRate, p95Ms }, reasons }`). */
export function adaptMeasurements(v: unknown): AnalysisMeasurement[] {
  const out: AnalysisMeasurement[] = [];
  for (const m of Array.isArray(v) ? v : []) {
    const o = obj(m);
    const at = time(o.at);
    const verdict = str(o.verdict);
    if (at === null || verdict === null) continue;
    const canary = obj(o.canary);
    out.push({
      at,
      verdict,
      requests: num(canary.requests),
      errorRate: num(canary.errorRate),
      p95Ms: num(canary.p95Ms),
      reasons: strings(o.reasons),
    });
  }
  return out;
}

export function adaptTimeline(v: unknown): Page<TimelineItem> {
  return page(v, ['events', 'timeline'], adaptTimelineItem);
}

const RUN_STATES: readonly string[] = ['running', 'passed', 'failed', 'cancelled', 'pending'];
const JOB_STATES: readonly string[] = [
  'pending',
  'running',
  'passed',
  'failed',
  'cached',
  'skipped',
  'cancelled',
];

export function adaptRunSummary(v: unknown): RunSummary | undefined {
  const o = obj(v);
  const id = str(o.id);
  if (id === null) return undefined;
  const status = str(o.status) ?? 'pending';
  const startedAt = time(o.startedAt);
  const finishedAt = time(o.finishedAt);
  return {
    id,
    status: (RUN_STATES.includes(status) ? status : 'pending') as RunState,
    branch: str(o.branch),
    commit: str(o.commit),
    startedAt,
    finishedAt,
    durationMs:
      num(o.durationMs) ?? (startedAt !== null && finishedAt !== null ? finishedAt - startedAt : null),
    trigger: str(o.trigger) ?? str(o.reason),
    release: str(o.release),
  };
}

export function adaptRuns(v: unknown): Page<RunSummary> {
  return page(v, ['runs'], adaptRunSummary);
}

export function adaptJob(v: unknown): RunJob | undefined {
  const o = obj(v);
  const name = str(o.name);
  if (name === null) return undefined;
  const status = str(o.status) ?? 'pending';
  const cached = o.cached === true && status === 'passed' ? 'cached' : status;
  return {
    name,
    needs: strings(o.needs),
    status: (JOB_STATES.includes(cached) ? cached : 'pending') as JobState,
    durationMs: num(o.durationMs),
    attempts: num(o.attempts) ?? 0,
    reason:
      str(o.reason) ??
      str(o.skippedReason) ??
      str(o.cachedReason) ??
      str(o.cacheReason) ??
      str(o.explain) ??
      null,
    cacheKey: str(o.cacheKey),
    startedAt: time(o.startedAt),
  };
}

/** GET /runs/:id: the run (at the top or under `run`) and its jobs in plan order. */
export function adaptRun(v: unknown): Run | undefined {
  const o = obj(v);
  const summary = adaptRunSummary(o.run ?? o);
  if (summary === undefined) return undefined;
  const jobs: RunJob[] = [];
  for (const j of list(o.jobs ?? obj(o.run).jobs, [])) {
    const job = adaptJob(j);
    if (job !== undefined) jobs.push(job);
  }
  return { ...summary, jobs };
}

export function adaptMetricPoint(v: unknown): MetricPoint | undefined {
  const o = obj(v);
  const at = time(o.at);
  if (at === null) return undefined;
  return {
    at,
    rps: num(o.rps),
    errorRate: num(o.errorRate),
    p50Ms: num(o.p50Ms),
    p95Ms: num(o.p95Ms),
    p99Ms: num(o.p99Ms),
    cpuCores: num(o.cpuCores),
    rssBytes: num(o.rssBytes),
    healthy: num(o.healthy),
    instances: num(o.instances),
  };
}

/** GET /metrics/query: points sorted by time. */
export function adaptMetrics(v: unknown): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const p of list(v, ['points'])) {
    const point = adaptMetricPoint(p);
    if (point !== undefined) out.push(point);
  }
  return out.sort((a, b) => a.at - b.at);
}

function adaptEnvironmentRollout(v: unknown, service: string): EnvironmentRollout | null {
  if (v === null || v === undefined) return null;
  const o = obj(v);
  const state = str(o.state);
  if (state === null) return null;
  const own = list(o.services, [])
    .map(obj)
    .find((s) => s.name === service);
  const analysis = own === undefined ? {} : obj(own.analysis);
  return {
    id: str(o.id),
    // Controls act on the environment's rollout, so its state (not one service's) decides.
    state,
    strategy: str(o.strategy),
    release: str(o.release),
    from: str(o.from),
    reason: str(o.reason),
    startedAt: time(o.startedAt),
    step: own === undefined ? null : num(own.step),
    weight: own === undefined ? null : num(own.weight),
    pausedReason: own === undefined ? null : str(own.pausedReason),
    analysis:
      own === undefined || own.analysis === undefined
        ? null
        : {
            failures: num(analysis.failures) ?? 0,
            inconclusive: num(analysis.inconclusive) ?? 0,
            measurements: num(analysis.measurements) ?? 0,
          },
  };
}

/** GET /status (the `tandem status --json` contract): one entry per service × environment. */
export function adaptStatus(v: unknown): ServiceStatus[] {
  const out: ServiceStatus[] = [];
  for (const e of list(v, ['environments'])) {
    const env = obj(e);
    const environment = str(env.name);
    if (environment === null) continue;
    for (const s of list(env.services, [])) {
      const svc = obj(s);
      const service = str(svc.name);
      if (service === null) continue;
      const replicas = obj(svc.replicas);
      out.push({
        environment,
        service,
        release: str(svc.release) || null,
        ready: num(replicas.ready) ?? 0,
        desired: num(replicas.desired) ?? 0,
        instances: list(svc.instances, []).map((i) => {
          const o = obj(i);
          return {
            id: str(o.id) ?? '?',
            release: str(o.release) ?? '',
            state: str(o.state) ?? 'unknown',
            healthy: o.healthy === true,
            inTraffic: o.inTraffic === true,
            restarts: num(o.restarts) ?? 0,
          };
        }),
        rollout: adaptEnvironmentRollout(env.rollout, service),
      });
    }
  }
  return out;
}

export function adaptAuditRow(v: unknown): AuditRow | undefined {
  const o = obj(v);
  const id = str(o.id);
  const at = time(o.at);
  if (id === null || at === null) return undefined;
  const target = o.target;
  return {
    id,
    at,
    principal: str(o.principal) ?? 'unknown',
    role: str(o.role),
    action: str(o.action) ?? '',
    target:
      typeof target === 'string'
        ? target
        : Object.entries(obj(target))
            .map(([k, val]) => `${k}=${String(val)}`)
            .join(' '),
    address: str(o.address),
    status: num(o.status),
    detail: str(o.detail),
  };
}

export function adaptAudit(v: unknown): Page<AuditRow> {
  return page(v, ['audit', 'entries'], adaptAuditRow);
}

/** A stored job log: text, `{ lines: [...] }` or `{ text }`. */
/** A slice of a job's log: `{ lines, offset, complete, truncated }`, or bare text (older servers). */
export function adaptJobLog(v: unknown): JobLogSlice {
  if (typeof v === 'string') {
    const lines = v === '' ? [] : v.replace(/\n$/, '').split('\n');
    return { lines, offset: null, complete: true, truncated: false };
  }
  const o = obj(v);
  const lines = Array.isArray(o.lines)
    ? o.lines.map((l) => (typeof l === 'string' ? l : (str(obj(l).text) ?? '')))
    : typeof o.text === 'string'
      ? adaptJobLog(o.text).lines
      : [];
  return { lines, offset: num(o.offset), complete: o.complete === true, truncated: o.truncated === true };
}

/**
 * A `logs` message of the stream: `{ instance, lines: [...], gap?, error? }` (several lines per
 * message), one `{ line }`, or bare text. A gap or an error becomes a line saying so.
 */
export function adaptLogLines(v: unknown, id: string | null = null): LogLine[] {
  const line = (text: string, o: Json = {}): LogLine => ({
    id: str(o.id) ?? id,
    at: time(o.at),
    runId: str(o.runId) ?? str(o.run),
    job: str(o.job),
    instance: str(o.instance),
    stream: str(o.stream),
    text,
  });
  if (typeof v === 'string') return [line(v)];
  const o = obj(v);
  const out: LogLine[] = [];
  if (o.gap === true) out.push(line('… (lines were missed here)', o));
  if (Array.isArray(o.lines)) for (const l of o.lines) if (typeof l === 'string') out.push(line(l, o));
  const single = str(o.line) ?? str(o.text) ?? str(o.message);
  if (single !== null) out.push(line(single, o));
  const error = str(o.error);
  if (error !== null) out.push(line(`(${error})`, o));
  return out;
}

/**
 * An `events` message of the stream: a stored event (`{ id, at, type, subjectKind, subjectId,
 * data }`) or a timeline entry. A pipeline event's subject is its run.
 */
export function adaptStreamEvent(v: unknown, id: string | null = null, fallbackType = 'event'): StreamEvent {
  const o = obj(v);
  const data = obj(o.data);
  const type = str(o.type) ?? fallbackType;
  const subjectKind = str(o.subjectKind);
  const subjectId = str(o.subjectId);
  const runId =
    str(o.runId) ??
    str(data.runId) ??
    (subjectKind === 'pipeline_run' || type.startsWith('pipeline.') ? subjectId : null);
  const eventId = str(o.id) ?? id;
  const at = time(o.at);
  const environment = str(o.environment) ?? str(data.environment);
  const service = str(o.service) ?? str(data.service) ?? (subjectKind === 'service' ? subjectId : null);
  const item: TimelineItem = adaptTimelineItem({
    ...o,
    id: eventId ?? `${type}@${at ?? 0}`,
    at: at ?? Date.now(),
    type,
    environment,
    service,
  }) ?? {
    id: eventId ?? type,
    at: at ?? Date.now(),
    kind: kindOf(o.kind, type),
    type,
    title: type,
    environment,
    service,
    release: null,
    data,
    analysis: [],
  };
  return { id: eventId, type, at, environment, service, runId, data, item };
}
