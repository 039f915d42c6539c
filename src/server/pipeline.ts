/**
 * The one request pipeline of the API: every route of the tables goes through the same steps, in
 * this order — match (`/api/v1/<path>`, the legacy `/v1/<path>` alias, or a route's root path),
 * authenticate, check the route's least role, check CSRF on cookie-authenticated mutations,
 * validate query and body, run the handler, answer (JSON or problem+json), and audit every
 * mutating call whether it was allowed or not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { logger } from '../log/logger.js';
import type { AuditSink, RequestAuth } from './auth-port.js';
import { encodeBody } from './compress.js';
import { HttpProblem, type Problem, problem, problemOf, sendProblem } from './problem.js';
import { hasRole, highestRole } from './routes/roles.js';
import type { Principal, RouteDef, RouteResult } from './routes/types.js';

export const API_PREFIX = '/api/v1';
/** The paths of the first releases: same handlers, so older CLIs keep working. */
export const LEGACY_PREFIX = '/v1';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_BODY_BYTES = 1024 * 1024;

export interface PipelineOptions {
  routes: readonly RouteDef[];
  auth: RequestAuth;
  /** Called once for every mutating call of a known route, allowed or denied. */
  audit?: AuditSink;
  /** Requests outside the API (the dashboard's files); true when answered. */
  fallback?(req: IncomingMessage, res: ServerResponse): Promise<boolean> | boolean;
  now?(): number;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface Compiled {
  def: RouteDef;
  pattern: RegExp;
  names: string[];
}

export function compileRoute(def: RouteDef): Compiled {
  const names: string[] = [];
  const source = def.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { def, pattern: new RegExp(`^${source}$`), names };
}

export function createPipeline(opts: PipelineOptions): RequestHandler {
  const now = opts.now ?? Date.now;
  const seen = new Set<string>();
  const compiled = opts.routes.map((def) => {
    const key = `${def.method} ${def.path}`;
    // Two engineers adding the same route would silently shadow one another.
    if (seen.has(key)) throw new Error(`route ${key} is defined twice`);
    seen.add(key);
    return compileRoute(def);
  });

  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (err) {
      // Only a bug in the pipeline itself gets here: answer something rather than hang.
      logger().error({ err }, 'API pipeline failed');
      sendProblem(res, problemOf(err, req.url));
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(`http://localhost${req.url ?? '/'}`);
    const pathname = url.pathname;
    const method = req.method ?? 'GET';
    let path: string | undefined;
    let legacy = false;
    if (pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`)) {
      path = pathname.slice(API_PREFIX.length) || '/';
    } else if (pathname.startsWith(`${LEGACY_PREFIX}/`)) {
      path = pathname.slice(LEGACY_PREFIX.length);
      legacy = true;
    }
    const candidates =
      path === undefined
        ? compiled.filter((r) => r.def.rootPath === pathname)
        : compiled.filter((r) => r.pattern.test(path));
    if (candidates.length === 0) {
      if (path === undefined && opts.fallback !== undefined && (await opts.fallback(req, res))) return;
      sendProblem(
        res,
        problem(404, 'TANDEM_NO_ROUTE', `no route ${method} ${pathname}`, { instance: pathname }),
        {
          legacy,
        },
      );
      return;
    }
    const found = candidates.find((r) => r.def.method === method);
    if (found === undefined) {
      const allow = [...new Set(candidates.map((r) => r.def.method))].join(', ');
      sendProblem(
        res,
        problem(405, 'TANDEM_NO_ROUTE', `no route ${method} ${pathname} (allowed: ${allow})`, {
          instance: pathname,
        }),
        { legacy, headers: { allow } },
      );
      return;
    }

    const { def } = found;
    const address = req.socket.remoteAddress ?? '';
    const mutating = MUTATING.has(method);
    let params: Record<string, string> = {};
    let principal: Principal | undefined;

    const answer = async (status: number, failure?: Problem) => {
      if (!mutating || opts.audit === undefined) return;
      const role = principal === undefined ? null : (highestRole(principal.roles) ?? null);
      try {
        await opts.audit({
          at: new Date(now()),
          principal: principal?.name ?? null,
          principalId: principal?.id ?? null,
          role,
          action: `${method} ${API_PREFIX}${def.path}`,
          target: params,
          address,
          status,
          ...(failure !== undefined ? { detail: failure.detail } : {}),
        });
      } catch (err) {
        // The call already happened; losing its audit row is logged loudly, not hidden.
        logger().error({ err, action: `${method} ${def.path}`, status }, 'could not write the audit log');
      }
    };
    const fail = async (p: Problem, headers?: Record<string, string>) => {
      if (p.status >= 500) logger().error({ problem: p }, 'API request failed');
      await answer(p.status, p);
      sendProblem(res, p, { legacy, ...(headers !== undefined ? { headers } : {}) });
    };

    try {
      params = paramsOf(found, path ?? pathname);
    } catch {
      await fail(
        problem(400, 'TANDEM_BAD_PATH', `the path ${pathname} is not valid URL encoding`, {
          instance: pathname,
        }),
      );
      return;
    }

    const auth = await opts.auth.authenticate(req);
    if (auth.ok) principal = auth.principal;
    else if (def.role !== 'public') {
      await fail(problem(auth.status, auth.code, auth.detail, { instance: pathname }), auth.headers);
      return;
    }
    if (def.role !== 'public') {
      const roles = principal?.roles ?? [];
      if (!hasRole(roles, def.role)) {
        await fail(
          problem(
            403,
            'TANDEM_FORBIDDEN',
            `${method} ${API_PREFIX}${def.path} needs the role ${def.role} or higher; ${principal?.name ?? 'you'} ${roles.length > 0 ? `has ${roles.join(', ')}` : 'has no role'}`,
            { instance: pathname, extra: { required: def.role, roles } },
          ),
        );
        return;
      }
      // A browser sends the cookie with any request, also one another site makes it send.
      if (mutating && principal?.via === 'session' && !opts.auth.checkCsrf(req, principal)) {
        await fail(
          problem(
            403,
            'TANDEM_CSRF',
            "this request needs the session's CSRF token in the X-CSRF-Token header",
            {
              instance: pathname,
            },
          ),
        );
        return;
      }
    }

    let result: RouteResult | undefined;
    try {
      const raw = Object.fromEntries(url.searchParams);
      const query = def.query === undefined ? raw : validate(def.query, raw, 'query');
      const body = def.body === undefined ? undefined : validate(def.body, await readBody(req), 'body');
      result = await def.handler({ params, query, body, principal, req, res, address });
    } catch (err) {
      await fail(problemOf(err, pathname), err instanceof HttpProblem ? err.headers : undefined);
      return;
    }
    if (result === undefined) {
      // The handler answered in another format (SSE, /metrics) itself.
      await answer(res.statusCode);
      return;
    }
    await answer(result.status);
    if (res.headersSent) return;
    const text = result.body === undefined ? '' : JSON.stringify(result.body);
    const encoded = text === '' ? undefined : await encodeBody(text, req.headers['accept-encoding']);
    res.writeHead(result.status, {
      ...result.headers,
      ...(encoded === undefined
        ? {}
        : { 'content-type': 'application/json; charset=utf-8', ...encoded.headers }),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(encoded?.body ?? '');
  }
}

function paramsOf(route: Compiled, path: string): Record<string, string> {
  const m = route.pattern.exec(path) as RegExpExecArray;
  const params: Record<string, string> = {};
  route.names.forEach((name, i) => {
    params[name] = decodeURIComponent(m[i + 1] as string);
  });
  return params;
}

/** Parses `value`; a failure is a 400 naming every issue by its path. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what: 'body' | 'query'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  const listed = issues.map((i) => `${i.path === '' ? `(${what})` : i.path}: ${i.message}`).join('; ');
  throw new HttpProblem(
    400,
    what === 'body' ? 'TANDEM_BAD_REQUEST' : 'TANDEM_BAD_QUERY',
    `invalid ${what === 'body' ? 'request body' : 'query'}: ${listed}`,
    { issues },
  );
}

/** The JSON body; an empty one counts as `{}` (the CLI posts nothing for bodiless actions). */
async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpProblem(413, 'TANDEM_BODY_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const type = req.headers['content-type'];
  if (type !== undefined && !/json/i.test(type))
    throw new HttpProblem(
      415,
      'TANDEM_UNSUPPORTED_MEDIA_TYPE',
      `send the body as application/json (got ${type})`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Not the parser's message: it quotes the body, which may hold a secret, into the audit log.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new HttpProblem(
      400,
      'TANDEM_BAD_REQUEST',
      `request body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`,
    );
  }
}
