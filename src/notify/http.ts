import { TandemError } from '../errors.js';
import { NotificationDeliveryError } from './delivery-error.js';

/**
 * The one HTTP attempt both notifiers make: POST a JSON body with Node's global fetch, a
 * per-attempt timeout, and the answer classified for the dispatcher's retry decision.
 * Receiver URLs are user-configured and often carry a credential (a token in the query, or a
 * Slack hook's path), so nothing here puts the full URL into a message.
 */

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5_000;
/** How much of an error answer's body goes into the message (Slack says e.g. `invalid_payload`). */
const ERROR_BODY_CHARS = 200;

export interface PostJsonRequest {
  url: URL;
  /** The receiver's safe name, for messages. */
  name: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Parses and checks a configured receiver URL: http(s) only, any host (the user chose it). */
export function parseReceiverUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TandemError('TANDEM_NOTIFY_URL_INVALID', `${what} is not a valid URL; expected https://…`, {
      exitCode: 2,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TandemError(
      'TANDEM_NOTIFY_URL_INVALID',
      `${what} must be an http:// or https:// URL, not ${url.protocol}`,
      { exitCode: 2 },
    );
  }
  return url;
}

/** `https://host:port/path`: no credentials, query or fragment. */
export function redactUrl(url: URL, options: { path?: boolean } = {}): string {
  return `${url.protocol}//${url.host}${options.path === false ? '' : url.pathname}`;
}

export async function postJson(req: PostJsonRequest): Promise<void> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]);
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Tandem-Notify/1', ...req.headers },
      body: req.body,
      // A redirected POST silently turns into a GET; the user should configure the final URL.
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    throw attemptError(req, err, req.signal?.aborted === true);
  }

  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => undefined);
    return;
  }
  const detail = await errorBody(res);
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
  const hint =
    res.status >= 300 && res.status < 400
      ? ' (a redirect: configure the receiver’s final URL)'
      : retryable
        ? ''
        : ' (not retried: the receiver refused the request)';
  throw new NotificationDeliveryError(
    scrub(`${req.name} answered ${res.status}${detail === '' ? '' : `: ${detail}`}${hint}`, req.url),
    { retryable, status: res.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  );
}

/**
 * Retry-After as milliseconds: delta-seconds, or an HTTP date relative to `nowMs`. Undefined
 * when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function attemptError(req: PostJsonRequest, err: unknown, cancelled: boolean): NotificationDeliveryError {
  if (cancelled) {
    return new NotificationDeliveryError(`delivery to ${req.name} was cancelled`, {
      retryable: false,
      cause: err,
    });
  }
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new NotificationDeliveryError(`${req.name} did not answer within ${req.timeoutMs} ms`, {
      retryable: true,
    });
  }
  return new NotificationDeliveryError(scrub(`could not reach ${req.name}: ${describeCause(err)}`, req.url), {
    retryable: true,
  });
}

/** undici says "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND …) is in its cause. */
function describeCause(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code} ${cause.message}`
      : cause.message;
  }
  return String(cause);
}

async function errorBody(res: Response): Promise<string> {
  try {
    const text = await res.text();
    return text.replace(/\s+/g, ' ').trim().slice(0, ERROR_BODY_CHARS);
  } catch {
    return '';
  }
}

/** Belt and braces: an error text that echoes the URL must not leak its query or credentials. */
function scrub(message: string, url: URL): string {
  let out = message;
  for (const secret of [url.search, url.username, url.password]) {
    if (secret.length > 1) out = out.split(secret).join('…');
  }
  return out;
}
