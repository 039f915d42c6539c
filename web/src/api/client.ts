/**
 * The dashboard's view of the API: the typed client the CLI uses too (src/client/), with the
 * session's CSRF token on every mutation and one callback when the session is gone (401), so
 * any page falls back to the login form; its answers go through the adapters into the page
 * shapes of types.ts. `fetch` is injected (tests use Node's).
 */
import {
  ApiProblem,
  type CreatedToken,
  createApiClient,
  type SecretInfo,
  type ApiClient as SharedClient,
  type StreamQuery,
  type Token,
} from '../../../src/client/index.js';
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
} from './adapters.js';
import type {
  AuditRow,
  JobLogSlice,
  MetricPoint,
  OverviewRow,
  Page,
  Run,
  RunSummary,
  ServiceStatus,
  Session,
  TimelineItem,
} from './types.js';

/** The shared client's error (RFC 9457 problem details): status, code, message, retryAfter. */
export { ApiProblem as ApiError };

export interface ClientOptions {
  fetch: typeof fetch;
  /** The API's origin; the dashboard's own ('') by default. */
  baseUrl?: string;
  /** Called when a request is answered 401 (the session expired or was revoked). */
  onUnauthorized?: () => void;
  /** Keeps the CSRF token across reloads (sessionStorage in the browser). */
  storage?: { get(): string | null; set(value: string | null): void };
}

export type ControlBody = { full?: boolean; reason?: string; to?: string };

export type { CreatedToken, SecretInfo, StreamQuery, Token };

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
  /**
   * Asks for the overview now, while the session is being checked: the overview page's first
   * `overview()` within a few seconds gets this answer instead of asking again.
   */
  prefetchOverview(): void;
  status(): Promise<ServiceStatus[]>;
  timeline(
    service: string,
    q: { environment?: string | null; limit?: number; cursor?: string | null },
  ): Promise<Page<TimelineItem>>;
  runs(q?: { limit?: number; cursor?: string | null }): Promise<Page<RunSummary>>;
  run(id: string): Promise<Run>;
  rerun(id: string): Promise<RerunOutcome>;
  /** Runs the pipeline of a ref (HEAD by default). */
  startRun(ref?: string): Promise<RerunOutcome>;
  /** The tail of a job's log, or what follows `offset`. */
  jobLog(runId: string, job: string, q?: { offset?: number }): Promise<JobLogSlice>;
  metrics(q: { environment: string; service: string; from: string; step: string }): Promise<MetricPoint[]>;
  control(environment: string, action: RolloutAction, body?: ControlBody): Promise<unknown>;
  audit(q?: { limit?: number; cursor?: string | null }): Promise<Page<AuditRow>>;
  /** Active tokens (admins). */
  tokens(): Promise<{ items: Token[] }>;
  createToken(request: { name: string; role: string }): Promise<CreatedToken>;
  revokeToken(id: string): Promise<Token>;
  /** Secret names (admins); values are write-only. */
  secrets(): Promise<{ items: SecretInfo[] }>;
  setSecret(name: string, value: string): Promise<{ name: string; updatedAt: string; created: boolean }>;
  removeSecret(name: string): Promise<unknown>;
  streamUrl(q: StreamQuery): string;
}

const CONTROL: Record<
  RolloutAction,
  (api: SharedClient, environment: string, body: ControlBody) => Promise<unknown>
> = {
  promote: (api, env, body) => api.promote(env, body),
  pause: (api, env) => api.pause(env),
  resume: (api, env) => api.resume(env),
  abort: (api, env, body) => api.abort(env, body),
  approve: (api, env) => api.approve(env),
  rollback: (api, env, body) => api.rollback(env, body),
};

const PREFETCH_FRESH_MS = 5000;

export function createClient(opts: ClientOptions): Client {
  let csrf: string | null = opts.storage?.get() ?? null;
  const remember = (s: Session) => {
    csrf = s.csrf;
    opts.storage?.set(csrf);
    return s;
  };
  let prefetched: { at: number; answer: Promise<OverviewRow[]> } | undefined;
  const api = createApiClient({
    baseUrl: opts.baseUrl ?? '',
    fetch: opts.fetch,
    credentials: 'same-origin',
    csrfToken: () => csrf ?? undefined,
    // The session probe's 401 is the login page, not a session that went away.
    onUnauthorized: (path) => {
      if (!path.startsWith('/api/v1/session')) opts.onUnauthorized?.();
    },
  });

  return {
    async session() {
      try {
        return remember(adaptSession(await api.session(), csrf));
      } catch (err) {
        if (err instanceof ApiProblem && err.status === 401) return null;
        throw err;
      }
    },
    async login(token) {
      return remember(adaptSession(await api.login(token)));
    },
    async logout() {
      try {
        await api.logout();
      } finally {
        csrf = null;
        opts.storage?.set(null);
      }
    },
    async overview() {
      const early = prefetched;
      prefetched = undefined;
      if (early !== undefined && Date.now() - early.at < PREFETCH_FRESH_MS) return early.answer;
      return adaptOverview(await api.overview());
    },
    prefetchOverview() {
      const answer = api.overview().then(adaptOverview);
      prefetched = { at: Date.now(), answer };
      // A failed prefetch (no session yet) is forgotten: the page asks again after the login.
      answer.catch(() => {
        if (prefetched?.answer === answer) prefetched = undefined;
      });
    },
    status: async () => adaptStatus(await api.status()),
    timeline: async (service, q) =>
      adaptTimeline(
        await api.timeline(service, { environment: q.environment ?? '', limit: q.limit, cursor: q.cursor }),
      ),
    runs: async (q = {}) => adaptRuns(await api.runs(q)),
    async run(id) {
      const run = adaptRun(await api.run(id));
      if (run === undefined) {
        throw new ApiProblem({
          status: 502,
          code: 'TANDEM_BAD_RESPONSE',
          detail: `the server sent no run "${id}"`,
          exitCode: 1,
        });
      }
      return run;
    },
    async rerun(id) {
      const out = await api.rerun(id);
      return { runId: out.runId, status: out.status, release: out.release };
    },
    async startRun(ref) {
      const out = await api.startRun(ref);
      return { runId: out.runId, status: out.status, release: out.release };
    },
    jobLog: async (runId, job, q = {}) => adaptJobLog(await api.jobLog(runId, job, q)),
    metrics: async (q) => adaptMetrics(await api.metricsQuery(q)),
    control: (environment, action, body = {}) => CONTROL[action](api, environment, body),
    audit: async (q = {}) => adaptAudit(await api.audit(q)),
    tokens: () => api.tokens({ limit: 500 }),
    createToken: (request) => api.createToken(request),
    revokeToken: (id) => api.revokeToken(id),
    secrets: () => api.secrets(),
    setSecret: (name, value) => api.setSecret(name, value),
    removeSecret: (name) => api.removeSecret(name),
    streamUrl: (q) => api.streamUrl(q),
  };
}
