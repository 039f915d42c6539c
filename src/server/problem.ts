/**
 * Errors as RFC 9457 problem details (`application/problem+json`): every failed API call answers
 * `{ type, title, status, detail, code, exitCode, instance, ...extra }`, so the CLI exits as the
 * control plane says and the dashboard shows the same actionable message.
 */
import { type ServerResponse, STATUS_CODES } from 'node:http';
import { ApiError } from '../agent/http-io.js';
import { ConfigError } from '../config/errors.js';
import { isTandemError } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  exitCode: 1 | 2 | 3;
  instance?: string;
  [extension: string]: unknown;
}

/** An error that carries its HTTP answer (thrown by the pipeline and by route handlers). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly exitCode: 1 | 2 | 3 = 2,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function problemType(code: string): string {
  return `https://tandem.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problem(
  status: number,
  code: string,
  detail: string,
  opts: { exitCode?: 1 | 2 | 3; instance?: string; extra?: Record<string, unknown> } = {},
): Problem {
  return {
    ...opts.extra,
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    exitCode: opts.exitCode ?? (status >= 500 ? 1 : 2),
    ...(opts.instance !== undefined ? { instance: opts.instance } : {}),
  };
}

/**
 * The problem an error thrown by a handler answers with. Unknown things are 404, refusals 403,
 * a rollout in the way 409, other usage errors (exit 2) 400 and failed operations 422.
 */
export function problemOf(err: unknown, instance?: string): Problem {
  const at = instance === undefined ? {} : { instance };
  if (err instanceof HttpProblem)
    return problem(err.status, err.code, err.message, { ...at, exitCode: err.exitCode, extra: err.extra });
  if (err instanceof ApiError) return problem(err.status, err.code, err.message, { ...at, exitCode: 2 });
  if (err instanceof ConfigError)
    return problem(422, err.code, err.message, { ...at, exitCode: 2, extra: { issues: err.issues } });
  if (isTandemError(err)) {
    const status =
      err.code === 'TANDEM_ROLLOUT_IN_PROGRESS'
        ? 409
        : err.code === 'TANDEM_FORBIDDEN'
          ? 403
          : err.code.endsWith('_NOT_FOUND') || err.code.startsWith('TANDEM_UNKNOWN_')
            ? 404
            : err.exitCode === 2
              ? 400
              : 422;
    // Naming something that does not exist, or asking for what one may not do, is bad usage.
    const exitCode = status === 404 || status === 403 ? 2 : err.exitCode === 0 ? 1 : err.exitCode;
    return problem(status, err.code, err.message, { ...at, exitCode });
  }
  const message = err instanceof Error ? err.message : String(err);
  return problem(500, 'TANDEM_INTERNAL', `internal error: ${message}`, { ...at, exitCode: 1 });
}

/**
 * Writes `p`. On the legacy `/v1` paths the body also carries the old
 * `{ error: { code, message, exitCode } }` member, so CLIs older than the problem format still
 * exit as they should.
 */
export function sendProblem(
  res: ServerResponse,
  p: Problem,
  opts: { legacy?: boolean; headers?: Record<string, string> } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { type: _t, title: _ti, status: _s, detail, code, exitCode, instance: _i, ...extra } = p;
  const body = opts.legacy ? { ...p, error: { code, message: detail, exitCode, ...extra } } : p;
  const text = JSON.stringify(body);
  res.writeHead(p.status, {
    ...opts.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
