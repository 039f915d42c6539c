/**
 * What the API pipeline needs from authentication and auditing, as ports: the pipeline
 * (pipeline.ts) asks `RequestAuth` who calls and records every mutating call with an `AuditSink`.
 * Tokens and sessions implement RequestAuth in src/server/auth/; until they are plugged in,
 * `localOnlyAuth` keeps the behaviour of the first releases (loopback callers are the admin).
 */
import type { IncomingMessage } from 'node:http';
import { authorize } from './auth.js';
import type { Principal, Role } from './routes/types.js';

export type AuthOutcome =
  | {
      ok: true;
      principal: Principal;
      /** The session's CSRF token, when authenticated by cookie (checkCsrf decides). */
      csrf?: string;
    }
  | {
      ok: false;
      /** 401 no or bad credentials, 403 refused, 429 too many failed attempts. */
      status: number;
      code: string;
      detail: string;
      /** e.g. `Retry-After` with a 429, `WWW-Authenticate` with a 401. */
      headers?: Record<string, string>;
    };

export interface RequestAuth {
  /** Who is calling. Called for every API request (public routes ignore a failure). */
  authenticate(req: IncomingMessage): Promise<AuthOutcome>;
  /**
   * For a mutation authenticated by the session cookie: whether the request carries the session's
   * CSRF token (header `X-CSRF-Token`). Bearer and local callers are never asked.
   */
  checkCsrf(req: IncomingMessage, principal: Principal): boolean;
}

/** One mutating API call, allowed or denied (what `GET /api/v1/audit` lists). */
export interface AuditEntry {
  at: Date;
  /** The principal's name (a token's name, `local`); null when the caller was not authenticated. */
  principal: string | null;
  principalId: string | null;
  /** The principal's highest role; null when not authenticated. */
  role: Role | null;
  /** The method and route pattern, e.g. `POST /api/v1/environments/:env/promote`. */
  action: string;
  /** The route's path parameters, e.g. `{ env: 'production' }`. */
  target: Record<string, string>;
  /** The client's address. */
  address: string;
  /** The HTTP status answered. */
  status: number;
  /** Why it failed (the problem's detail), for denied and failed calls. */
  detail?: string;
}

export type AuditSink = (entry: AuditEntry) => void | Promise<void>;

/** Today's behaviour: a loopback caller is the local admin, anyone else is refused. */
export function localOnlyAuth(): RequestAuth {
  return {
    async authenticate(req) {
      const result = authorize(req);
      if (!result.ok)
        return { ok: false, status: result.status, code: 'TANDEM_FORBIDDEN', detail: result.message };
      return { ok: true, principal: { id: 'local', name: 'local', roles: ['admin'], via: 'local' } };
    },
    checkCsrf: () => true,
  };
}

/** A fixed principal for every request (tests and tools serving a subset of the routes). */
export function fixedAuth(principal: Principal): RequestAuth {
  return {
    authenticate: async () => ({ ok: true, principal }),
    checkCsrf: () => true,
  };
}
