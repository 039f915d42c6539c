/**
 * The one typed client of the Tandem API, shared by the CLI (src/cli/control-client.ts) and the
 * dashboard: global fetch only, no node-only imports. Every failure throws an ApiProblem.
 */
import type { z } from 'zod';
import type { ControlPlane, DeploymentView } from '../control/control-plane.js';
import type { HistoryEvent } from '../control/history-events.js';
import type { AlertRow, IncidentDetail, SilenceView } from '../control/incident-ops.js';
import type { metricsQuery, uptime } from '../control/observe-queries.js';
import type { Overview } from '../control/overview.js';
import type { RerunResult, RunDetail, RunPage } from '../control/runs-view.js';
import type { Status } from '../control/status.js';
import type { TimelinePage } from '../control/timeline.js';
import { TandemError } from '../errors.js';
import type { TopSnapshot } from '../observe/top/types.js';
import type { sessionSchema } from '../server/routes/access-routes.js';
import type {
  abortBody,
  deployBody,
  promoteBody,
  restartBody,
  rollbackBody,
} from '../server/routes/delivery-routes.js';
import type { JobLogAnswer } from '../server/routes/insight-routes.js';
import type { resolveBody, silenceBody } from '../server/routes/observe-routes.js';
import type { secretInfoSchema } from '../server/routes/secret-routes.js';
import type { AuditEntry } from '../store/repositories/audit.js';
import type { Incident } from '../store/repositories/incidents.js';
import type { Token } from '../store/repositories/tokens.js';
import { ApiProblem, problemFromAnswer } from './problem.js';
import { type StreamQuery, streamPath } from './stream-url.js';

export const API_PREFIX = '/api/v1';

export interface ApiClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:7070`; `''` for the page's own origin. */
  baseUrl: string;
  /** An API token, sent as `Authorization: Bearer`. */
  token?: string;
  /** The session's CSRF token, sent as `X-CSRF-Token` with every mutation (the dashboard). */
  csrfToken?: () => string | undefined;
  /** `same-origin` in the browser, so the session cookie goes along. */
  credentials?: 'omit' | 'same-origin' | 'include';
  /** Called on every 401 with the path asked (the dashboard goes back to its login form). */
  onUnauthorized?: (path: string, problem: ApiProblem) => void;
  fetch?: typeof fetch;
}

export type DeployRequest = z.input<typeof deployBody>;
export type RollbackRequest = z.input<typeof rollbackBody>;
export type RestartRequest = z.input<typeof restartBody>;
export type PromoteRequest = z.input<typeof promoteBody>;
export type AbortRequest = z.input<typeof abortBody>;
export type ResolveRequest = z.input<typeof resolveBody>;
export type SilenceRequest = z.input<typeof silenceBody>;
export type Session = z.output<typeof sessionSchema>;
export type CreatedToken = Token & { token: string };
/** A secret's name and last update (ISO-8601): the API never answers a value. */
export type SecretInfo = z.output<typeof secretInfoSchema>;
export type { AuditEntry, Overview, RerunResult, RunDetail, RunPage, StreamQuery, TimelinePage, Token };

export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}
export interface Page<T> {
  items: T[];
  next: string | null;
}
/** A slice of a pipeline job's masked log (GET /runs/:id/jobs/:job/log). */
export type JobLog = JobLogAnswer;
export interface Health {
  ok: boolean;
  project: string;
  pid: number;
  config: string;
}
export interface History {
  deployments: DeploymentView[];
  /** Autoscaler changes and incidents: on the first page only (absent from servers before issue 5). */
  events?: HistoryEvent[];
  next?: string | null;
}
export type LogInstance = Awaited<ReturnType<ControlPlane['instances']>>[number];
export interface IncidentFilter extends PageRequest {
  state?: 'open' | 'resolved';
  environment?: string;
  service?: string;
}
export interface MetricsQuery {
  environment: string;
  service: string;
  instance?: string;
  /** ISO time or a duration ago (`1h`). */
  from?: string;
  to?: string;
  step?: string;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface ApiClient {
  readonly baseUrl: string;
  /** Any API route: `path` is relative to `/api/v1` (e.g. `/tokens`). */
  request<T>(method: string, path: string, opts?: { body?: unknown; query?: Query }): Promise<T>;
  /** Any path of the server, as is (the legacy `/v1/...` ones, `/metrics`). */
  requestPath<T>(method: string, path: string, body?: unknown): Promise<T>;

  health(): Promise<Health>;
  status(): Promise<Status>;
  history(environment: string, page?: PageRequest): Promise<History>;
  deployment(id: string): Promise<DeploymentView>;
  deploy(request: DeployRequest): Promise<DeploymentView>;
  promote(environment: string, request?: PromoteRequest): Promise<DeploymentView>;
  abort(environment: string, request?: AbortRequest): Promise<DeploymentView>;
  pause(environment: string): Promise<DeploymentView>;
  resume(environment: string): Promise<DeploymentView>;
  approve(environment: string): Promise<DeploymentView>;
  rollback(environment: string, request?: RollbackRequest): Promise<DeploymentView>;
  restart(environment: string, request?: RestartRequest): Promise<DeploymentView>;
  scale(environment: string, service: string, replicas: number): Promise<{ desired: number }>;
  instances(service: string, opts?: { environment?: string }): Promise<{ instances: LogInstance[] }>;
  apply(): Promise<{ file: string; changes: string[] }>;
  shutdown(): Promise<{ stopping: true }>;
  top(environment?: string): Promise<TopSnapshot>;
  metricsQuery(query: MetricsQuery): Promise<ReturnType<typeof metricsQuery>>;
  uptime(environment: string, service: string): Promise<ReturnType<typeof uptime>>;
  alerts(): Promise<{ alerts: AlertRow[] }>;
  incidents(filter?: IncidentFilter): Promise<{ incidents: Incident[]; next?: string | null }>;
  incident(id: string): Promise<IncidentDetail>;
  resolveIncident(id: string, request?: ResolveRequest): Promise<Incident>;
  silences(opts?: { all?: boolean }): Promise<{ silences: SilenceView[] }>;
  createSilence(request: SilenceRequest): Promise<SilenceView>;
  expireSilence(id: string): Promise<SilenceView>;
  openapi(): Promise<Record<string, unknown>>;

  /** Who is calling, with the session's CSRF token when it is a cookie session. */
  session(): Promise<Session>;
  /** Logs in with a token: the answer sets the session cookie (the dashboard). */
  login(token: string): Promise<Session>;
  logout(): Promise<{ loggedOut: boolean }>;
  overview(opts?: { environment?: string }): Promise<Overview>;
  timeline(service: string, query: { environment: string } & PageRequest): Promise<TimelinePage>;
  runs(page?: PageRequest): Promise<RunPage>;
  run(id: string): Promise<RunDetail>;
  rerun(id: string): Promise<RerunResult>;
  /** Runs the pipeline of a ref (HEAD by default) by building a release of its commit. */
  startRun(ref?: string): Promise<RerunResult>;
  /** The tail of a job's log, or what follows `offset`. */
  jobLog(runId: string, job: string, opts?: { offset?: number; limit?: number }): Promise<JobLog>;
  tokens(opts?: PageRequest & { all?: boolean }): Promise<Page<Token>>;
  createToken(request: { name: string; role: string }): Promise<CreatedToken>;
  revokeToken(idOrName: string): Promise<Token>;
  audit(opts?: PageRequest & { principal?: string; action?: string }): Promise<Page<AuditEntry>>;
  /** Secret names (admin); values are write-only. */
  secrets(): Promise<{ items: SecretInfo[] }>;
  setSecret(name: string, value: string): Promise<SecretInfo & { created: boolean }>;
  removeSecret(name: string): Promise<{ name: string; removed: boolean }>;
  /** The URL of the live stream (Server-Sent Events) for an EventSource. */
  streamUrl(query: StreamQuery): string;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const enc = encodeURIComponent;

export function createApiClient(opts: ApiClientOptions): ApiClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const doFetch: typeof fetch = opts.fetch ?? ((input, init) => fetch(input, init));

  async function requestPath<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const csrf = SAFE.has(method) ? undefined : opts.csrfToken?.();
    if (csrf !== undefined) headers['x-csrf-token'] = csrf;
    let res: Response;
    try {
      res = await doFetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      // The caller's fetch may already say it in its own words (the CLI's "start it with tandem up").
      if (err instanceof TandemError) throw err;
      throw new ApiProblem({
        status: 0,
        code: 'TANDEM_UNREACHABLE',
        detail: `cannot reach the Tandem API at ${baseUrl || 'this origin'}: ${err instanceof Error ? err.message : String(err)}`,
        exitCode: 3,
        cause: err,
      });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // A proxy's plain "Bad Gateway" says more than "non-JSON"; an HTML page does not.
      const plain = text.trim();
      throw new ApiProblem({
        status: res.status,
        code: 'TANDEM_BAD_RESPONSE',
        detail:
          !res.ok && plain.length < 200 && !plain.startsWith('<')
            ? plain
            : `the Tandem API at ${baseUrl || 'this origin'} answered ${res.status} with non-JSON`,
        exitCode: 1,
      });
    }
    if (!res.ok) {
      const problem = problemFromAnswer(res.status, parsed, { retryAfter: res.headers.get('retry-after') });
      if (res.status === 401) opts.onUnauthorized?.(path, problem);
      throw problem;
    }
    return parsed as T;
  }

  function request<T>(method: string, path: string, o: { body?: unknown; query?: Query } = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {}))
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const search = q.size > 0 ? `?${q}` : '';
    return requestPath<T>(method, `${API_PREFIX}${path}${search}`, o.body);
  }
  const get = <T>(path: string, query?: Query) =>
    request<T>('GET', path, query === undefined ? {} : { query });
  const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, { body });
  const envPath = (environment: string, action: string) => `/environments/${enc(environment)}/${action}`;

  return {
    baseUrl,
    request,
    requestPath,
    health: () => get('/health'),
    status: () => get('/status'),
    history: (environment, page = {}) => get(envPath(environment, 'history'), { ...page }),
    deployment: (id) => get(`/deployments/${enc(id)}`),
    deploy: (body) => post('/deployments', body),
    promote: (environment, body = {}) => post(envPath(environment, 'promote'), body),
    abort: (environment, body = {}) => post(envPath(environment, 'abort'), body),
    pause: (environment) => post(envPath(environment, 'pause')),
    resume: (environment) => post(envPath(environment, 'resume')),
    approve: (environment) => post(envPath(environment, 'approve')),
    rollback: (environment, body = {}) => post(envPath(environment, 'rollback'), body),
    restart: (environment, body = {}) => post(envPath(environment, 'restart'), body),
    scale: (environment, service, replicas) =>
      post(`/environments/${enc(environment)}/services/${enc(service)}/scale`, { replicas }),
    instances: (service, o = {}) =>
      get(`/services/${enc(service)}/instances`, { environment: o.environment }),
    apply: () => post('/apply'),
    shutdown: () => post('/shutdown'),
    top: (environment) => get('/top', { environment }),
    metricsQuery: (query) => get('/metrics/query', { ...query }),
    uptime: (environment, service) =>
      get(`/environments/${enc(environment)}/services/${enc(service)}/uptime`),
    alerts: () => get('/alerts'),
    incidents: (filter = {}) => get('/incidents', { ...filter }),
    incident: (id) => get(`/incidents/${enc(id)}`),
    resolveIncident: (id, body = {}) => post(`/incidents/${enc(id)}/resolve`, body),
    silences: (o = {}) => get('/silences', { all: o.all ? 1 : undefined }),
    createSilence: (body) => post('/silences', body),
    expireSilence: (id) => post(`/silences/${enc(id)}/expire`),
    openapi: () => get('/openapi.json'),

    session: () => get('/session'),
    login: (token) => post('/session', { token }),
    logout: () => request('DELETE', '/session'),
    overview: (o = {}) => get('/overview', { environment: o.environment }),
    timeline: (service, q) => get(`/services/${enc(service)}/timeline`, { ...q }),
    runs: (page = {}) => get('/runs', { ...page }),
    run: (id) => get(`/runs/${enc(id)}`),
    rerun: (id) => post(`/runs/${enc(id)}/rerun`),
    startRun: (ref) => post('/runs', ref === undefined ? {} : { ref }),
    jobLog: (runId, job, o = {}) => get(`/runs/${enc(runId)}/jobs/${enc(job)}/log`, { ...o }),
    tokens: (o = {}) => get('/tokens', { limit: o.limit, cursor: o.cursor, all: o.all ? 1 : undefined }),
    createToken: (body) => post('/tokens', body),
    revokeToken: (id) => post(`/tokens/${enc(id)}/revoke`),
    audit: (o = {}) => get('/audit', { ...o }),
    secrets: () => get('/secrets'),
    setSecret: (name, value) => request('PUT', `/secrets/${enc(name)}`, { body: { value } }),
    removeSecret: (name) => request('DELETE', `/secrets/${enc(name)}`),
    streamUrl: (query) => `${baseUrl}${API_PREFIX}${streamPath(query)}`,
  };
}
