/**
 * The error every failed API call throws: the server's problem details (RFC 9457), or its older
 * `{ error: { code, message, exitCode } }` answer, as a TandemError so the CLI exits with the
 * exit code the control plane chose. No node-only imports: the dashboard bundles this.
 */
import { type ExitCode, TandemError } from '../errors.js';

export class ApiProblem extends TandemError {
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The actionable message (also `message`). */
  readonly detail: string;
  readonly type: string | undefined;
  readonly title: string | undefined;
  /** The whole answer, with any extension members (`required`, `roles`…). */
  readonly body: unknown;
  /** Seconds the server asked to wait (`Retry-After` of a 429 or 503); null when it did not say. */
  readonly retryAfter: number | null;
  /** Validation issues `{ path, message }`, when the server listed them (absent otherwise). */
  declare readonly issues?: unknown;

  constructor(opts: {
    status: number;
    code: string;
    detail: string;
    exitCode: ExitCode;
    type?: string;
    title?: string;
    issues?: unknown;
    body?: unknown;
    retryAfter?: number | null;
    cause?: unknown;
  }) {
    super(opts.code, opts.detail, { exitCode: opts.exitCode, cause: opts.cause });
    this.name = 'ApiProblem';
    this.status = opts.status;
    this.detail = opts.detail;
    this.type = opts.type;
    this.title = opts.title;
    this.body = opts.body;
    this.retryAfter = opts.retryAfter ?? null;
    // Only set when present: the CLI prints `issues` when the error has them.
    if (opts.issues !== undefined)
      Object.defineProperty(this, 'issues', { value: opts.issues, enumerable: true });
  }
}

interface ProblemShape {
  type?: unknown;
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  exitCode?: unknown;
  issues?: unknown;
  error?: { code?: unknown; message?: unknown; exitCode?: unknown; issues?: unknown };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const exitCodeOf = (v: unknown): ExitCode => (v === 2 ? 2 : v === 3 ? 3 : 1);

/** `Retry-After` in seconds (the HTTP-date form is not used by Tandem); null when absent or odd. */
export function retryAfterOf(header: string | null | undefined): number | null {
  if (header === null || header === undefined || !/^\s*\d{1,9}\s*$/.test(header)) return null;
  return Number(header);
}

/** The ApiProblem of a failed answer: `parsed` is its JSON body (undefined when it had none). */
export function problemFromAnswer(
  status: number,
  parsed: unknown,
  extra: { retryAfter?: string | null } = {},
): ApiProblem {
  const retryAfter = retryAfterOf(extra.retryAfter);
  const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ProblemShape;
  if (typeof p.code === 'string') {
    return new ApiProblem({
      status,
      code: p.code,
      detail: str(p.detail) ?? str(p.title) ?? `the server answered HTTP ${status}`,
      exitCode: exitCodeOf(p.exitCode),
      type: str(p.type),
      title: str(p.title),
      issues: p.issues,
      body: parsed,
      retryAfter,
    });
  }
  const e = p.error;
  return new ApiProblem({
    status,
    code: str(e?.code) ?? 'TANDEM_API_ERROR',
    detail: str(e?.message) ?? `the server answered HTTP ${status}`,
    exitCode: exitCodeOf(e?.exitCode),
    issues: e?.issues,
    body: parsed,
    retryAfter,
  });
}
