import type { Store } from '../../store/store.js';
import type { Principal } from '../routes/types.js';
import type { LoginLimiter } from './login-limiter.js';
import { principalOf } from './principal.js';

export type LoginOutcome =
  | {
      ok: true;
      principal: Principal;
      /** The cookie value: shown to the browser once, only its hash is stored. */
      sessionId: string;
      csrf: string;
      expiresAt: string;
      maxAgeSec: number;
    }
  | { ok: false; status: 401 | 429; code: string; detail: string; retryAfterSec?: number };

/** A dashboard login: a token in, a session out; failures counted per client address. */
export async function login(
  deps: { store: Store; limiter: LoginLimiter; clock?: { now(): number } },
  token: string,
  address: string,
): Promise<LoginOutcome> {
  const wait = deps.limiter.retryAfter(address);
  if (wait > 0) {
    return {
      ok: false,
      status: 429,
      code: 'TANDEM_LOGIN_RATE_LIMITED',
      detail: `too many failed logins from ${address}; try again in ${wait} s`,
      retryAfterSec: wait,
    };
  }
  const now = deps.clock?.now() ?? Date.now();
  const at = new Date(now);
  const found = await deps.store.tokens.verify(token, { at, touch: true });
  if (found === undefined) {
    deps.limiter.failed(address);
    return {
      ok: false,
      status: 401,
      code: 'TANDEM_LOGIN_FAILED',
      detail:
        'the token is not valid (unknown or revoked); paste a token from `tandem token create` (the local admin token is in .tandem/run/token)',
    };
  }
  deps.limiter.succeeded(address);
  const session = await deps.store.sessions.create({ tokenId: found.id, address, at });
  return {
    ok: true,
    principal: principalOf(found, 'session'),
    sessionId: session.id,
    csrf: session.csrf,
    expiresAt: session.expiresAt,
    maxAgeSec: Math.floor((Date.parse(session.expiresAt) - now) / 1000),
  };
}
