/**
 * Who is calling: a bearer token (CLI, scripts), else the dashboard's session cookie, else — with
 * auth off, from this machine only — the local admin. The API's request pipeline calls it before
 * every route that is not public.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Store } from '../../store/store.js';
import type { AuthOutcome, RequestAuth } from '../auth-port.js';
import { isLoopbackAddress, isLoopbackHost } from './addresses.js';
import { clearSessionCookie, isHttps, readCookie, SESSION_COOKIE } from './cookies.js';
import { LOCAL_PRINCIPAL, principalOf } from './principal.js';

export interface RequestAuthOptions {
  store: Store;
  clock?: { now(): number };
  /** false (`server.auth: false`): loopback callers without credentials are the local admin. */
  authEnabled: boolean;
}

export const CSRF_HEADER = 'x-csrf-token';

const HOW_TO =
  'send a token in `Authorization: Bearer <token>` (the CLI reads TANDEM_TOKEN, else .tandem/run/token; an admin creates tokens with `tandem token create --role viewer --name NAME`), or log in to the dashboard';

export function createRequestAuth(opts: RequestAuthOptions): RequestAuth {
  const { store, authEnabled } = opts;
  const clock = opts.clock ?? { now: () => Date.now() };
  // The CSRF token of each session-authenticated request, for checkCsrf.
  const csrfOf = new WeakMap<IncomingMessage, string>();

  const unauthenticated = (detail: string, headers: Record<string, string> = {}): AuthOutcome => ({
    ok: false,
    status: 401,
    code: 'TANDEM_UNAUTHENTICATED',
    detail,
    headers: { 'www-authenticate': 'Bearer realm="tandem"', ...headers },
  });
  // Auth off: a caller on this machine, asking for this machine, not from another site's page.
  const localCaller = (req: IncomingMessage) =>
    !authEnabled &&
    isLoopbackAddress(req.socket.remoteAddress) &&
    isLoopbackHost(req.headers.host) &&
    sameOrigin(req);

  return {
    async authenticate(req) {
      const at = new Date(clock.now());
      const authorization = req.headers.authorization;
      if (authorization !== undefined) {
        const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
        if (m === null) return unauthenticated(`unsupported Authorization header; ${HOW_TO}`);
        // Unknown and revoked tokens take the same path and get the same answer.
        const token = await store.tokens.verify(m[1] as string, { at, touch: true });
        if (token === undefined) {
          return unauthenticated(
            'the token is not valid (unknown or revoked); check TANDEM_TOKEN (or .tandem/run/token), or ask an admin for a new one (`tandem token create`)',
          );
        }
        return { ok: true, principal: principalOf(token, 'bearer') };
      }
      const cookie = readCookie(req, SESSION_COOKIE);
      if (cookie !== undefined) {
        const session = await store.sessions.verify(cookie, at);
        if (session !== undefined) {
          csrfOf.set(req, session.csrf);
          return { ok: true, principal: principalOf(session.token, 'session'), csrf: session.csrf };
        }
        if (!localCaller(req)) {
          return unauthenticated(
            'your dashboard session has ended (logged out, expired, or its token was revoked); log in again',
            { 'set-cookie': clearSessionCookie(isHttps(req)) },
          );
        }
      }
      if (localCaller(req)) return { ok: true, principal: LOCAL_PRINCIPAL };
      if (!authEnabled && isLoopbackAddress(req.socket.remoteAddress)) {
        return unauthenticated(
          `auth is off (server.auth: false), so only this machine's own requests to localhost are let in without a token, not another site's page or host name; ${HOW_TO}`,
        );
      }
      return unauthenticated(`authentication required: ${HOW_TO}`);
    },

    checkCsrf(req, principal) {
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return true;
      switch (principal.via) {
        // A bearer token is never sent by the browser on its own: nothing to forge.
        case 'bearer':
          return true;
        case 'session': {
          const expected = csrfOf.get(req);
          const given = req.headers[CSRF_HEADER];
          return expected !== undefined && typeof given === 'string' && constantTimeEqual(given, expected);
        }
        // No credentials at all (auth off): authenticate already refused other sites' pages.
        case 'local':
          return sameOrigin(req);
      }
    },
  };
}

/** Compares digests, so neither the content nor the length of the secret leaks through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Not a request another site's page made the browser send (CLI and curl send no Origin). */
function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // `Origin: null` and the like
  }
}
