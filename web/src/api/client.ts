/**
 * The dashboard's HTTP client for /api/v1: JSON in and out, the session's CSRF token on every
 * mutation, problem+json errors as ApiError, and one callback when the session is gone (401),
 * so any page falls back to the login form. `fetch` is injected (tests use Node's).
 */
import type { RolloutAction } from '../lib/roles.js';
import {
  adaptAudit,
  adaptJobLog,
  adaptMetrics,
  adaptOverview,
  adaptRun,
  adaptRuns,
  adaptSession,
  adaptStatus,
  adaptTimeline,
  obj,
  str,
} from './adapters.js';
import type {
  AuditRow,
  MetricPoint,
  OverviewRow,
  Page,
  Run,
  RunSummary,
  ServiceStatus,
  Session,
  TimelineItem,
} from './types.js';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait (429). */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, detail: string, retryAfter: number | null = null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** problem+json (`{ code, detail, status }`) or the older `{ error: { code, message } }`. */
export function problemOf(status: number, body: unknown, retryAfter: string | null = null): ApiError {
  const o = obj(body);
  const old = obj(o.error);
  const code = str(o.code) ?? str(old.code) ?? `HTTP_${status}`;
  const detail =
    str(o.detail) ??
    str(old.message) ??
    str(o.title) ??
    (typeof body === 'string' && body.trim() !== '' && body.length < 500 ? body.trim() : null) ??
    `the server answered ${status}`;
  const wait = retryAfter === null ? null : Number(retryAfter);
  return new ApiError(status, code, detail, wait !== null && Number.isFinite(wait) ? wait : null);
}

export interface ClientOptions {
  fetch: typeof fetch;
  /** Where the API is; `/api/v1` on the dashboard's own origin. */
  base?: string;
  /** Called when a request is answered 401 (the session expired or was revoked). */
  onUnauthorized?: () => void;
  /** Keeps the CSRF token across reloads (sessionStorage in the browser). */
  storage?: { get(): string | null; set(value: string | null): void };
}

export type ControlBody = { full?: boolean; reason?: string; to?: string };

export interface StreamQuery {
  topics: ReadonlyArray<'events' | 'logs'>;
  environment?: string;
  service?: string;
  /** The instance whose log lines `logs` follows (the server requires one for that topic). */
  instance?: string;
  /** Event type prefixes (`pipeline.`, `rollout.`). */
  types?: readonly string[];
}

export interface RerunOutcome {
  /** The new run's id; null when the release already existed and nothing ran again. */
  runId: string | null;
  /** `started` or `reused`, when the server says. */
  status: string | null;
  release: string | null;
}

export interface Client {
  /** Who is logged in; null when nobody is (401). */
  session(): Promise<Session | null>;
  login(token: string): Promise<Session>;
  logout(): Promise<void>;
  overview(): Promise<OverviewRow[]>;
  status(): Promise<ServiceStatus[]>;
  timeline(
    service: string,
    q: { environment?: string | null; limit?: number; cursor?: string | null },
  ): Promise<Page<TimelineItem>>;
  runs(q?: { limit?: number; cursor?: string | null }): Promise<Page<RunSummary>>;
  run(id: string): Promise<Run>;
  rerun(id: string): Promise<RerunOutcome>;
  jobLog(runId: string, job: string): Promise<string[]>;
  metrics(q: { environment: string; service: string; from: string; step: string }): Promise<MetricPoint[]>;
  control(environment: string, action: RolloutAction, body?: ControlBody): Promise<unknown>;
  audit(q?: { limit?: number; cursor?: string | null }): Promise<Page<AuditRow>>;
  streamUrl(q: StreamQuery): string;
}

export function createClient(opts: ClientOptions): Client {
  const base = opts.base ?? '/api/v1';
  let csrf: string | null = opts.storage?.get() ?? null;
  const remember = (s: Session) => {
    csrf = s.csrf;
    opts.storage?.set(csrf);
    return s;
  };

  async function request(
    method: string,
    path: string,
    init: { query?: Record<string, string | number | null | undefined>; body?: unknown; text?: boolean } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json';
      if (csrf !== null) headers['x-csrf-token'] = csrf;
    }
    const res = await opts.fetch(base + path + queryString(init.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: JSON.stringify(init.body ?? {}) }),
    });
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    let body: unknown = text;
    if (type.includes('json') && text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) {
      const err = problemOf(res.status, body, res.headers.get('retry-after'));
      if (res.status === 401 && path !== '/session') opts.onUnauthorized?.();
      throw err;
    }
    return body;
  }

  const enc = encodeURIComponent;
  return {
    async session() {
      try {
        return remember(adaptSession(await request('GET', '/session'), csrf));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    async login(token) {
      return remember(adaptSession(await request('POST', '/session', { body: { token } })));
    },
    async logout() {
      try {
        await request('DELETE', '/session');
      } finally {
        csrf = null;
        opts.storage?.set(null);
      }
    },
    async overview() {
      return adaptOverview(await request('GET', '/overview'));
    },
    async status() {
      return adaptStatus(await request('GET', '/status'));
    },
    async timeline(service, q) {
      return adaptTimeline(
        await request('GET', `/services/${enc(service)}/timeline`, {
          query: { environment: q.environment, limit: q.limit, cursor: q.cursor },
        }),
      );
    },
    async runs(q = {}) {
      return adaptRuns(await request('GET', '/runs', { query: { limit: q.limit, cursor: q.cursor } }));
    },
    async run(id) {
      const run = adaptRun(await request('GET', `/runs/${enc(id)}`));
      if (run === undefined) throw new ApiError(502, 'TANDEM_BAD_RESPONSE', `the server sent no run "${id}"`);
      return run;
    },
    async rerun(id) {
      const out = obj(await request('POST', `/runs/${enc(id)}/rerun`));
      return {
        runId: str(out.runId) ?? str(out.id) ?? str(obj(out.run).id),
        status: str(out.status),
        release: str(out.release),
      };
    },
    async jobLog(runId, job) {
      return adaptJobLog(await request('GET', `/runs/${enc(runId)}/jobs/${enc(job)}/log`));
    },
    async metrics(q) {
      return adaptMetrics(await request('GET', '/metrics/query', { query: { ...q } }));
    },
    async control(environment, action, body = {}) {
      return request('POST', `/environments/${enc(environment)}/${action}`, { body });
    },
    async audit(q = {}) {
      return adaptAudit(await request('GET', '/audit', { query: { limit: q.limit, cursor: q.cursor } }));
    },
    streamUrl(q) {
      return `${base}/stream${queryString({
        topics: q.topics.join(','),
        environment: q.environment,
        service: q.service,
        instance: q.instance,
        types: q.types?.join(','),
      })}`;
    },
  };
}

export function queryString(query: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
