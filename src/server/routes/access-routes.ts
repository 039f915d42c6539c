/**
 * Access (issue 6): dashboard sessions, API tokens and the audit log.
 *
 * Roles: logging in is public (it is how a browser gets credentials; failures are rate-limited
 * per client address); reading or ending one's own session needs any role; tokens and the audit
 * log are admin's. A token's plaintext is answered once, by POST /tokens; no route returns a hash.
 */
import { z } from 'zod';
import { isTandemError } from '../../errors.js';
import type { Token } from '../../store/repositories/tokens.js';
import type { Store } from '../../store/store.js';
import { clearSessionCookie, isHttps, readCookie, SESSION_COOKIE, sessionCookie } from '../auth/cookies.js';
import { login } from '../auth/login.js';
import { createLoginLimiter, type LoginLimiter } from '../auth/login-limiter.js';
import { HttpProblem } from '../problem.js';
import { pageQuery } from './pagination.js';
import { defineRoute, type Principal, ROLES, type RouteDef } from './types.js';

const TAG = 'access';

export interface AccessRoutesDeps {
  store: Store;
  clock?: { now(): number };
  /** Failed logins per client address; one is made (5 per 5 minutes) when not given. */
  limiter?: LoginLimiter;
}

const principalSchema = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(z.enum(ROLES)),
  via: z.enum(['bearer', 'session', 'local']),
});
export const sessionSchema = z.object({
  principal: principalSchema,
  csrf: z
    .string()
    .nullable()
    .describe(
      'send it back in X-CSRF-Token with every mutation made with the cookie (null without a session)',
    ),
  expiresAt: z.string().nullable(),
});
export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  prefix: z.string().describe('the first characters, to recognise it (never the token)'),
  createdAt: z.string(),
  createdBy: z.string(),
  lastUsedAt: z.string().nullable().describe('updated at most once a minute'),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});
export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  principal: z.object({ id: z.string(), name: z.string() }).nullable(),
  role: z.string().nullable(),
  action: z.string(),
  target: z.record(z.string(), z.unknown()),
  address: z.string(),
  status: z.number().int(),
  detail: z.string().nullable(),
});

export const loginBody = z.strictObject({
  token: z.string().trim().min(1, 'paste a token (tandem token create)').max(256),
});
export const createTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(64).describe('unique among active tokens, e.g. ci-deploy'),
  role: z.enum(ROLES),
});
export const tokensQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).optional().describe('tokens per page (100 by default)'),
  all: z.string().optional().describe('1 to include revoked tokens'),
});
export const auditQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).optional().describe('entries per page (50 by default)'),
  principal: z.string().min(1).optional().describe('only this principal (token id or name)'),
  action: z.string().min(1).optional().describe('only this action, e.g. "POST /api/v1/tokens"'),
});

/** `?all=1`: any value but empty, `0` and `false`. */
const flag = (value: string | undefined) =>
  value !== undefined && value !== '' && value !== '0' && value !== 'false';

const publicPrincipal = (p: Principal) => ({ id: p.id, name: p.name, roles: [...p.roles], via: p.via });

export function accessRoutes(deps: AccessRoutesDeps): RouteDef[] {
  const { store } = deps;
  const clock = deps.clock ?? { now: () => Date.now() };
  const limiter = deps.limiter ?? createLoginLimiter({ clock });

  return [
    defineRoute({
      method: 'POST',
      path: '/session',
      summary: 'Log in to the dashboard with a token: sets the session cookie, answers the CSRF token',
      tag: TAG,
      role: 'public',
      status: 201,
      body: loginBody,
      response: sessionSchema,
      handler: async ({ body, address, req }) => {
        const out = await login({ store, limiter, clock }, body.token, address);
        if (!out.ok) {
          throw new HttpProblem(
            out.status,
            out.code,
            out.detail,
            {},
            2,
            out.retryAfterSec === undefined ? {} : { 'retry-after': String(out.retryAfterSec) },
          );
        }
        return {
          status: 201,
          body: { principal: publicPrincipal(out.principal), csrf: out.csrf, expiresAt: out.expiresAt },
          headers: { 'set-cookie': sessionCookie(out.sessionId, out.maxAgeSec, isHttps(req)) },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/session',
      summary: 'Who is logged in, with the session’s CSRF token (null when not a cookie session)',
      tag: TAG,
      role: 'viewer',
      response: sessionSchema,
      handler: async ({ principal, req }) => {
        const p = principal as Principal;
        const cookie = p.via === 'session' ? readCookie(req, SESSION_COOKIE) : undefined;
        const session =
          cookie === undefined ? undefined : await store.sessions.verify(cookie, new Date(clock.now()));
        return {
          status: 200,
          body: {
            principal: publicPrincipal(p),
            csrf: session?.csrf ?? null,
            expiresAt: session?.expiresAt ?? null,
          },
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/session',
      summary: 'Log out: ends the session and clears its cookie',
      tag: TAG,
      role: 'viewer',
      response: z.object({ loggedOut: z.boolean() }),
      handler: async ({ req }) => {
        const cookie = readCookie(req, SESSION_COOKIE);
        const ended = cookie === undefined ? false : await store.sessions.end(cookie);
        return {
          status: 200,
          body: { loggedOut: ended },
          headers: { 'set-cookie': clearSessionCookie(isHttps(req)) },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tokens',
      summary: 'Create a token; its plaintext is in this answer only',
      tag: TAG,
      role: 'admin',
      status: 201,
      body: createTokenBody,
      response: tokenSchema.extend({
        token: z.string().describe('tdm_…: shown once, only its hash is kept'),
      }),
      handler: async ({ body, principal }) => {
        const { token, plaintext } = await conflicts(() =>
          store.tokens.create({
            name: body.name,
            role: body.role,
            createdBy: principal?.name ?? 'anonymous',
            at: new Date(clock.now()),
          }),
        );
        return { status: 201, body: { ...tokenView(token), token: plaintext } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tokens',
      summary: 'Tokens, newest first (all: also revoked ones); never a hash or plaintext',
      tag: TAG,
      role: 'admin',
      query: tokensQuery,
      response: z.object({ items: z.array(tokenSchema), next: z.string().nullable() }),
      handler: async ({ query }) => {
        const page = await store.tokens.list({
          all: flag(query.all),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return { status: 200, body: { items: page.items.map(tokenView), next: page.next } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tokens/:id/revoke',
      summary: 'Revoke a token (by id or name); its dashboard sessions end at once',
      tag: TAG,
      role: 'admin',
      body: z.strictObject({}),
      response: tokenSchema,
      handler: async ({ params, principal }) => {
        const token = await conflicts(() =>
          store.tokens.revoke(params.id as string, principal?.name ?? 'anonymous', new Date(clock.now())),
        );
        return { status: 200, body: tokenView(token) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/audit',
      summary: 'The audit log of mutating calls, newest first',
      tag: TAG,
      role: 'admin',
      query: auditQuery,
      response: z.object({ items: z.array(auditEntrySchema), next: z.string().nullable() }),
      handler: async ({ query }) => ({ status: 200, body: await store.audit.list(query) }),
    }),
  ];
}

/** Exactly what a token shows (a fresh object, so nothing else can ride along). */
function tokenView(t: Token): Token {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: t.prefix,
    createdAt: t.createdAt,
    createdBy: t.createdBy,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
    revokedBy: t.revokedBy,
  };
}

/** A taken name or an already revoked token is a conflict with the current state: 409. */
async function conflicts<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (
      isTandemError(err) &&
      (err.code === 'TANDEM_TOKEN_NAME_TAKEN' || err.code === 'TANDEM_TOKEN_REVOKED')
    ) {
      throw new HttpProblem(409, err.code, err.message);
    }
    throw err;
  }
}
