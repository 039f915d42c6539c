/**
 * The agent's admin API (protocol.ts) on node:http, loopback only, every route behind the bearer
 * token. Bodies are validated before anything changes, so a bad request changes nothing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { TandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import { createBuiltinDataPlane } from '../proxy/builtin/builtin-data-plane.js';
import type { DataPlane } from '../proxy/types.js';
import { readInstanceUsage } from '../runtime/local/process-usage.js';
import type { Supervisor } from '../runtime/local/types.js';
import { AgentCore } from './agent-core.js';
import { removeAgentFile, writeAgentFile } from './agent-file.js';
import { authorized, newToken } from './auth.js';
import { BUILD_ID } from './build-id.js';
import { ApiError, badRequest, parseBody, readJson, sendError, sendJson } from './http-io.js';
import { instanceSpecSchema, listenerSpecSchema, stopInstanceSchema } from './schemas.js';

export interface StartAgentOptions {
  /** The project's `.tandem` directory: agent.json goes to `run/`, instance logs to `logs/instances/`. */
  stateDir: string;
  /** Default: the local runtime's supervisor, logging to `<stateDir>/logs/instances`. */
  supervisor?: Supervisor;
  /** ms since epoch; injected for tests. */
  now?: () => number;
  /** Default: the builtin data plane. */
  createDataPlane?: () => DataPlane;
}

export interface RunningAgent {
  url: string;
  token: string;
  /** Stops every instance and listener, closes the API and removes agent.json. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the agent has closed, by close() or by POST /v1/shutdown. */
  closed: Promise<void>;
}

const DEFAULT_LOG_LINES = 100;
const MAX_LOG_LINES = 10_000;

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const now = opts.now ?? Date.now;
  const stateDir = path.resolve(opts.stateDir);
  const supervisor = opts.supervisor ?? (await defaultSupervisor(stateDir, now));
  const token = newToken();
  const startedAt = new Date(now()).toISOString();
  const core = new AgentCore(supervisor, opts.createDataPlane ?? (() => createBuiltinDataPlane()), {
    pid: process.pid,
    startedAt,
  });

  const server = createServer((req, res) => {
    handle(core, token, req, res, () => void close()).catch((err: unknown) => fail(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await core.close();
      removeAgentFile(stateDir, token);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      resolveClosed();
    })();
    return closing;
  };

  try {
    writeAgentFile(stateDir, { pid: process.pid, url, token, startedAt, build: BUILD_ID });
  } catch (err) {
    await close();
    throw err;
  }
  return { url, token, close, closed };
}

async function defaultSupervisor(stateDir: string, now: () => number): Promise<Supervisor> {
  const { createSupervisor } = await import('../runtime/local/supervisor.js');
  return createSupervisor({ logDir: path.join(stateDir, 'logs', 'instances'), now });
}

async function handle(
  core: AgentCore,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
  shutdown: () => void,
): Promise<void> {
  if (!authorized(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer');
    sendError(
      res,
      401,
      'TANDEM_AGENT_UNAUTHORIZED',
      'missing or wrong bearer token (it is in run/agent.json)',
    );
    return;
  }
  const url = new URL(req.url ?? '/', 'http://agent');
  const [version, collection, rawName, action, ...rest] = url.pathname.split('/').slice(1);
  const name = rawName === undefined ? undefined : decode(rawName);
  const method = req.method ?? 'GET';
  if (version !== 'v1' || rest.length > 0) throw notFound(url.pathname);
  if (method !== 'GET' && core.shuttingDown) {
    throw new ApiError(503, 'TANDEM_AGENT_SHUTTING_DOWN', 'the agent is shutting down');
  }

  if (collection === 'state' && name === undefined) {
    allow(method, 'GET');
    return sendJson(res, 200, core.state());
  }
  if (collection === 'stats' && name === undefined) {
    allow(method, 'GET');
    return sendJson(res, 200, core.stats());
  }
  if (collection === 'usage' && name === undefined) {
    allow(method, 'GET');
    return sendJson(res, 200, await readInstanceUsage(core.state().instances));
  }
  if (collection === 'shutdown' && name === undefined) {
    allow(method, 'POST');
    logger().info('agent: shutdown requested');
    // Answer first: shutting down closes this very server.
    res.once('finish', shutdown);
    return sendJson(res, 202, {});
  }
  if (collection === 'instances' && name !== undefined) {
    if (action === undefined) {
      allow(method, 'PUT');
      const spec = parseBody(instanceSpecSchema, await readJson(req));
      if (spec.id !== name) throw badRequest(`body id "${spec.id}" differs from the path's "${name}"`);
      return sendJson(res, 201, core.startInstance(spec));
    }
    if (action === 'stop') {
      allow(method, 'POST');
      const { drainMs } = parseBody(stopInstanceSchema, await readJson(req));
      core.stopInstance(name, drainMs);
      return sendJson(res, 202, {});
    }
    if (action === 'restart') {
      allow(method, 'POST');
      core.restartInstance(name);
      return sendJson(res, 202, {});
    }
    if (action === 'logs') {
      allow(method, 'GET');
      return sendJson(res, 200, { lines: await core.logs(name, logLines(url.searchParams.get('lines'))) });
    }
  }
  if (collection === 'listeners' && name !== undefined && action === undefined) {
    if (method === 'DELETE') {
      await core.deleteListener(name);
      return sendJson(res, 204, undefined);
    }
    allow(method, 'PUT');
    const spec = parseBody(listenerSpecSchema, await readJson(req));
    if (spec.key !== name) throw badRequest(`body key "${spec.key}" differs from the path's "${name}"`);
    return sendJson(res, 200, await core.putListener(spec));
  }
  throw notFound(url.pathname);
}

function fail(res: ServerResponse, err: unknown): void {
  if (err instanceof ApiError) {
    sendError(res, err.status, err.code, err.message);
  } else if (err instanceof TandemError) {
    // A TandemError out of the supervisor is about the request (a bad cwd, ...).
    sendError(res, 400, err.code, err.message);
  } else {
    logger().error({ err }, 'agent: request failed');
    sendError(res, 500, 'TANDEM_AGENT_INTERNAL', `internal error: ${(err as Error)?.message ?? String(err)}`);
  }
}

function allow(method: string, expected: string): void {
  if (method !== expected) {
    throw new ApiError(405, 'TANDEM_AGENT_METHOD', `method ${method} not allowed here; use ${expected}`);
  }
}

function notFound(pathname: string): ApiError {
  return new ApiError(404, 'TANDEM_AGENT_NOT_FOUND', `no route ${pathname}`);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`malformed path segment "${segment}"`);
  }
}

function logLines(param: string | null): number {
  if (param === null) return DEFAULT_LOG_LINES;
  const n = Number(param);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOG_LINES) {
    throw badRequest(`lines must be an integer from 1 to ${MAX_LOG_LINES}, got "${param}"`);
  }
  return n;
}
