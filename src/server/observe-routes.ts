/**
 * The API routes of incidents, silences and alerts (issue 5), registered on the control plane's
 * API server (api-server.ts) with its `route` function. Same conventions: zod strict bodies,
 * errors as `{ error: { code, message, exitCode } }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ApiError, parseBody, readJson, sendJson } from '../agent/http-io.js';
import type { IncidentFilter, IncidentOps } from '../control/incident-ops.js';
import { MAX_INCIDENT_LIMIT, parseSilenceDuration } from '../control/incident-ops.js';
import { isTandemError } from '../errors.js';

type Params = Record<string, string>;
/** Structurally the api-server's Handler. */
export type Handler = (
  req: IncomingMessage,
  params: Params,
  query: URLSearchParams,
  res: ServerResponse,
  auth: { principal: string; roles: readonly string[] },
) => Promise<{ status: number; body: unknown }>;

const resolveBody = z.strictObject({ note: z.string().max(2000).optional() });
const silenceBody = z.strictObject({
  matchers: z.array(z.string().min(1)).min(1, 'give at least one matcher, e.g. service=web'),
  duration: z.string().min(1).optional(),
  until: z.string().min(1).optional(),
  comment: z.string().trim().min(1, 'say why (--comment "...")').max(2000),
});

export function registerObserveRoutes(
  route: (method: string, path: string, handler: Handler) => void,
  ops: IncidentOps,
): void {
  route('GET', '/v1/incidents', async (_req, _p, q) => ({
    status: 200,
    body: { incidents: await ops.incidents(incidentFilter(q)) },
  }));
  route('GET', '/v1/incidents/:id', async (_req, p) => ({
    status: 200,
    body: await statusOf(ops.incident(p.id as string)),
  }));
  route('POST', '/v1/incidents/:id/resolve', async (req, p, _q, _res, actor) => {
    const { note } = await body(req, resolveBody);
    return { status: 200, body: await statusOf(ops.resolveIncident(p.id as string, actor, note)) };
  });
  route('GET', '/v1/silences', async (_req, _p, q) => ({
    status: 200,
    body: { silences: await ops.silences({ all: flag(q.get('all')) }) },
  }));
  route('POST', '/v1/silences', async (req, _p, _q, _res, actor) => {
    const { duration, ...rest } = await body(req, silenceBody);
    const silence = await statusOf(
      ops.createSilence(
        { ...rest, ...(duration === undefined ? {} : { duration: parseSilenceDuration(duration) }) },
        actor,
      ),
    );
    return { status: 201, body: silence };
  });
  route('POST', '/v1/silences/:id/expire', async (req, p, _q, _res, actor) => {
    await body(req, z.strictObject({}));
    return { status: 200, body: await statusOf(ops.expireSilence(p.id as string, actor)) };
  });
  route('GET', '/v1/alerts', async () => ({ status: 200, body: { alerts: await ops.alerts() } }));
}

function incidentFilter(q: URLSearchParams): IncidentFilter {
  const filter: IncidentFilter = {};
  const state = q.get('state');
  if (state) {
    if (state !== 'open' && state !== 'resolved') {
      throw new ApiError(400, 'TANDEM_BAD_INCIDENT_STATE', `state must be open or resolved, got "${state}"`);
    }
    filter.state = state;
  }
  const environment = q.get('environment');
  if (environment) filter.environment = environment;
  const service = q.get('service');
  if (service) filter.service = service;
  const limit = q.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_INCIDENT_LIMIT) {
      throw new ApiError(
        400,
        'TANDEM_BAD_LIMIT',
        `limit must be from 1 to ${MAX_INCIDENT_LIMIT}, got "${limit}"`,
      );
    }
    filter.limit = n;
  }
  return filter;
}

function flag(value: string | null): boolean {
  return value !== null && value !== '' && value !== '0' && value !== 'false';
}

/**
 * An unknown incident or silence is a 404 (exit 2, like an unknown deployment), a role refusal a
 * 403; other errors keep the API server's mapping.
 */
async function statusOf<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isTandemError(err) && err.code.endsWith('_NOT_FOUND')) throw new ApiError(404, err.code, err.message);
    if (isTandemError(err) && err.code === 'TANDEM_FORBIDDEN') throw new ApiError(403, err.code, err.message);
    throw err;
  }
}

/** An empty body counts as `{}` (the CLI posts nothing for bodiless actions). */
async function body<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const empty =
    req.headers['content-length'] === '0' ||
    (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined);
  return parseBody(schema, empty ? {} : await readJson(req));
}

/**
 * A standalone request handler serving only these routes, with the API server's route matching
 * and error shape: for tests and tools that want the observe API without a control plane.
 */
export function createObserveHandler(
  ops: IncidentOps,
  auth: { principal: string; roles: readonly string[] } = { principal: 'local', roles: ['admin'] },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const routes: Array<{ method: string; pattern: RegExp; names: string[]; handler: Handler }> = [];
  registerObserveRoutes((method, path, handler) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:([a-z]+)/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    routes.push({ method, pattern, names, handler });
  }, ops);
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const matching = routes.filter((r) => r.pattern.test(url.pathname));
    const found = matching.find((r) => r.method === req.method);
    if (found === undefined) {
      sendJson(res, matching.length > 0 ? 405 : 404, {
        error: { code: 'TANDEM_NO_ROUTE', message: `no route ${req.method} ${url.pathname}`, exitCode: 2 },
      });
      return;
    }
    const m = found.pattern.exec(url.pathname) as RegExpExecArray;
    const params: Params = {};
    found.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] as string);
    });
    try {
      const out = await found.handler(req, params, url.searchParams, res, auth);
      sendJson(res, out.status, out.body);
    } catch (err) {
      const e = errorBody(err);
      sendJson(res, e.status, { error: { code: e.code, message: e.message, exitCode: e.exitCode } });
    }
  };
}

/** api-server.ts's toApiError, for the error kinds these routes throw. */
function errorBody(err: unknown): { status: number; code: string; message: string; exitCode: number } {
  if (err instanceof ApiError)
    return { status: err.status, code: err.code, message: err.message, exitCode: 2 };
  if (isTandemError(err)) {
    return {
      status: err.exitCode === 2 ? 400 : 422,
      code: err.code,
      message: err.message,
      exitCode: err.exitCode,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, code: 'TANDEM_INTERNAL', message: `internal error: ${message}`, exitCode: 1 };
}
