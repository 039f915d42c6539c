/**
 * The control plane's JSON API (what every verb but run/validate/init/secret talks to). One auth
 * check in front of every route; bodies validated with zod; errors are
 * `{ error: { code, message, exitCode } }` so the CLI exits as the control plane says.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { ApiError, parseBody, readJson, sendJson } from '../agent/http-io.js';
import { ConfigError } from '../config/errors.js';
import type { ControlPlane } from '../control/control-plane.js';
import { metricsQuery, topSnapshot, uptime } from '../control/observe-queries.js';
import { isTandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import { parseDuration } from '../util/duration.js';
import { authorize } from './auth.js';
import { registerObserveRoutes } from './observe-routes.js';

const deployBody = z
  .strictObject({
    environment: z.string().min(1),
    ref: z.string().min(1).optional(),
    release: z.string().min(1).optional(),
    force: z.boolean().optional(),
    overrideFreeze: z.boolean().optional(),
    reason: z.string().trim().min(1).optional(),
  })
  .refine((b) => !b.overrideFreeze || b.reason !== undefined, {
    message: 'overriding a freeze needs a reason (--reason "...")',
    path: ['reason'],
  });
const rollbackBody = z.strictObject({ to: z.string().min(1).optional(), force: z.boolean().optional() });
const restartBody = z.strictObject({ force: z.boolean().optional() });
const promoteBody = z.strictObject({ full: z.boolean().optional() });
const abortBody = z.strictObject({ reason: z.string().trim().min(1).optional() });
const scaleBody = z.strictObject({ replicas: z.number().int().min(0).max(64) });

type Params = Record<string, string>;
type Handler = (
  req: IncomingMessage,
  params: Params,
  query: URLSearchParams,
  res: ServerResponse,
  auth: { principal: string; roles: readonly string[] },
) => Promise<{ status: number; body: unknown }>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export interface ApiServerOptions {
  plane: ControlPlane;
  /** Called after a shutdown request was answered. */
  onShutdown(): void;
}

export function createApiServer(opts: ApiServerOptions): Server {
  const { plane } = opts;
  const routes: Route[] = [];
  const route = (method: string, path: string, handler: Handler) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:([a-z]+)/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    routes.push({ method, pattern, names, handler });
  };
  const body = async <T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> => {
    const text =
      req.headers['content-length'] === '0' ||
      (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)
        ? {}
        : await readJson(req);
    return parseBody(schema, text);
  };

  route('GET', '/v1/health', async () => ({
    status: 200,
    body: { ok: true, project: plane.project, pid: process.pid, config: plane.configFile },
  }));
  route('GET', '/v1/status', async () => ({ status: 200, body: await plane.status() }));
  route('POST', '/v1/deployments', async (req, _p, _q, _res, actor) => {
    const { overrideFreeze, reason, ...rest } = await body(req, deployBody);
    return {
      status: 201,
      body: await plane.deploy({
        ...rest,
        actor,
        ...(overrideFreeze ? { overrideFreeze: { reason: reason as string } } : {}),
      }),
    };
  });
  route('POST', '/v1/environments/:env/promote', async (req, p, _q, _res, actor) => ({
    status: 200,
    body: await plane.control(p.env as string, { type: 'promote', ...(await body(req, promoteBody)) }, actor),
  }));
  route('POST', '/v1/environments/:env/abort', async (req, p, _q, _res, actor) => ({
    status: 200,
    body: await plane.control(p.env as string, { type: 'abort', ...(await body(req, abortBody)) }, actor),
  }));
  route('POST', '/v1/environments/:env/pause', async (req, p, _q, _res, actor) => {
    await body(req, z.strictObject({}));
    return { status: 200, body: await plane.control(p.env as string, { type: 'pause' }, actor) };
  });
  route('POST', '/v1/environments/:env/resume', async (req, p, _q, _res, actor) => {
    await body(req, z.strictObject({}));
    return { status: 200, body: await plane.control(p.env as string, { type: 'resume' }, actor) };
  });
  route('POST', '/v1/environments/:env/approve', async (req, p, _q, _res, auth) => {
    await body(req, z.strictObject({}));
    return {
      status: 200,
      body: await plane.approve({ environment: p.env as string, roles: auth.roles, by: auth.principal }),
    };
  });
  route('POST', '/v1/webhooks/:provider', async (req, p) => {
    if (p.provider !== 'github' && p.provider !== 'gitlab') {
      throw new ApiError(404, 'TANDEM_NO_ROUTE', `no webhook provider "${p.provider}" (github or gitlab)`);
    }
    return plane.webhook(p.provider, await readRaw(req), req.headers);
  });
  route('GET', '/v1/deployments/:id', async (_req, p) => {
    const view = await plane.deployment(p.id as string);
    if (view === undefined) throw new ApiError(404, 'TANDEM_UNKNOWN_DEPLOYMENT', `no deployment "${p.id}"`);
    return { status: 200, body: view };
  });
  route('POST', '/v1/environments/:env/rollback', async (req, p, _q, _res, actor) => ({
    status: 201,
    body: await plane.rollback({ environment: p.env as string, actor, ...(await body(req, rollbackBody)) }),
  }));
  route('POST', '/v1/environments/:env/restart', async (req, p, _q, _res, actor) => ({
    status: 201,
    body: await plane.restart({ environment: p.env as string, actor, ...(await body(req, restartBody)) }),
  }));
  route('POST', '/v1/environments/:env/services/:service/scale', async (req, p, _q, _res, actor) => ({
    status: 200,
    body: await plane.scale({
      actor,
      environment: p.env as string,
      service: p.service as string,
      ...(await body(req, scaleBody)),
    }),
  }));
  route('GET', '/v1/environments/:env/history', async (_req, p, q) => ({
    status: 200,
    body: {
      deployments: await plane.history(p.env as string, Math.min(Number(q.get('limit') ?? 20) || 20, 500)),
      events: await plane.historyEvents(p.env as string, Math.min(Number(q.get('limit') ?? 20) || 20, 500)),
    },
  }));
  route('GET', '/v1/services/:service/instances', async (_req, p, q) => ({
    status: 200,
    body: { instances: await plane.instances(q.get('environment') ?? undefined, p.service as string) },
  }));
  route('POST', '/v1/apply', async () => ({ status: 200, body: await plane.apply() }));
  // Tandem's own metrics, for an existing Prometheus (text format, not JSON).
  route('GET', '/metrics', async (_req, _p, _q, res) => {
    const { contentType, body } = await plane.exposition.render();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return { status: 200, body: null };
  });
  route('GET', '/v1/top', async (_req, _p, q) => ({
    status: 200,
    body: await topSnapshot(plane, q.get('environment') ?? undefined),
  }));
  route('GET', '/v1/metrics/query', async (_req, _p, q) => {
    const now = Date.now();
    const required = (name: string) => {
      const v = q.get(name);
      if (v === null || v === '') throw new ApiError(400, 'TANDEM_BAD_QUERY', `the query needs ?${name}=`);
      return v;
    };
    const time = (name: string, fallback: number) => {
      const v = q.get(name);
      if (v === null) return fallback;
      const ago = parseDuration(v);
      const at = ago !== undefined ? now - ago : Date.parse(v);
      if (Number.isNaN(at))
        throw new ApiError(
          400,
          'TANDEM_BAD_QUERY',
          `?${name}= is an ISO time or a duration ago ("1h"), got "${v}"`,
        );
      return at;
    };
    const from = time('from', now - 3_600_000);
    const to = time('to', now);
    const step = parseDuration(q.get('step') ?? '') ?? Math.max(1000, Math.ceil((to - from) / 120));
    const instance = q.get('instance');
    return {
      status: 200,
      body: metricsQuery(plane, {
        environment: required('environment'),
        service: required('service'),
        ...(instance !== null ? { instance } : {}),
        from,
        to,
        stepMs: step,
      }),
    };
  });
  route('GET', '/v1/environments/:env/services/:service/uptime', async (_req, p) => ({
    status: 200,
    body: uptime(plane, p.env as string, p.service as string),
  }));
  registerObserveRoutes(route, plane.incidents);
  route('POST', '/v1/shutdown', async (_req, _p, _q, res) => {
    res.on('finish', () => opts.onShutdown());
    return { status: 202, body: { stopping: true } };
  });

  return createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = authorize(req);
    if (!auth.ok) {
      sendJson(res, auth.status, { error: { code: 'TANDEM_FORBIDDEN', message: auth.message, exitCode: 2 } });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const matching = routes.filter((r) => r.pattern.test(url.pathname));
    const found = matching.find((r) => r.method === req.method);
    if (found === undefined) {
      const status = matching.length > 0 ? 405 : 404;
      sendJson(res, status, {
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
      // A handler that answered in another format (/metrics) has already written the response.
      if (!res.headersSent) sendJson(res, out.status, out.body);
    } catch (err) {
      const e = toApiError(err);
      if (e.status >= 500) logger().error({ err }, 'API request failed');
      sendJson(res, e.status, {
        error: { code: e.code, message: e.message, exitCode: e.exitCode, ...e.extra },
      });
    }
  }
}

function toApiError(err: unknown): {
  status: number;
  code: string;
  message: string;
  exitCode: number;
  extra: object;
} {
  if (err instanceof ApiError)
    return { status: err.status, code: err.code, message: err.message, exitCode: 2, extra: {} };
  if (err instanceof ConfigError) {
    return { status: 422, code: err.code, message: err.message, exitCode: 2, extra: { issues: err.issues } };
  }
  if (isTandemError(err)) {
    const status = err.code === 'TANDEM_ROLLOUT_IN_PROGRESS' ? 409 : err.exitCode === 2 ? 400 : 422;
    return { status, code: err.code, message: err.message, exitCode: err.exitCode, extra: {} };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    status: 500,
    code: 'TANDEM_INTERNAL',
    message: `internal error: ${message}`,
    exitCode: 1,
    extra: {},
  };
}

const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

/** The raw body (webhook signatures are over the exact bytes), capped. */
async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BYTES)
      throw new ApiError(413, 'TANDEM_BODY_TOO_LARGE', `request body over ${MAX_WEBHOOK_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
