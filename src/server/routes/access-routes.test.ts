import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { principalOf } from '../auth/principal.js';
import { buildOpenApi } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { accessRoutes } from './access-routes.js';
import type { Principal, RouteDef, RouteResult } from './types.js';

const T0 = Date.UTC(2025, 0, 1);
let store: Store;
let now: number;
let routes: RouteDef[];

beforeEach(async () => {
  store = await openStoreAt(':memory:');
  now = T0;
  routes = accessRoutes({ store, clock: { now: () => now } });
});
afterEach(async () => {
  await store.close();
});

const admin: Principal = {
  id: 'local',
  name: 'local',
  roles: ['viewer', 'developer', 'operator', 'admin'],
  via: 'local',
};

/** Calls a route's handler as the pipeline would: query and body parsed by the route's schemas. */
async function call(
  method: string,
  path: string,
  opts: {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    principal?: Principal;
    cookie?: string;
    address?: string;
  } = {},
): Promise<RouteResult> {
  const route = routes.find((r) => r.method === method && r.path === path);
  if (route === undefined) throw new Error(`no route ${method} ${path}`);
  const req = {
    method,
    headers: opts.cookie ? { cookie: opts.cookie } : {},
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const out = await route.handler({
    params: opts.params ?? {},
    query: route.query ? route.query.parse(opts.query ?? {}) : (opts.query ?? {}),
    body: route.body ? route.body.parse(opts.body ?? {}) : undefined,
    principal: opts.principal,
    req,
    res: {} as ServerResponse,
    address: opts.address ?? '127.0.0.1',
  });
  if (out === undefined) throw new Error('the handler wrote the response itself');
  return out;
}

async function problem(p: Promise<unknown>): Promise<HttpProblem> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpProblem);
  return err as HttpProblem;
}

const cookieOf = (r: RouteResult) => String(r.headers?.['set-cookie']).split(';')[0] as string;

describe('access routes', () => {
  it('declares the least role of each route', () => {
    expect(routes.map((r) => `${r.method} ${r.path} ${r.role}`)).toEqual([
      'POST /session public',
      'GET /session viewer',
      'DELETE /session viewer',
      'POST /tokens admin',
      'GET /tokens admin',
      'POST /tokens/:id/revoke admin',
      'GET /audit admin',
    ]);
  });

  it('describes itself in the OpenAPI document', () => {
    const text = JSON.stringify(buildOpenApi(routes, { version: '0.0.0' }));
    for (const path of ['/session', '/tokens', '/tokens/{id}/revoke', '/audit']) expect(text).toContain(path);
  });

  it('creates a token and answers its plaintext once; lists never show a hash or plaintext', async () => {
    const created = await call('POST', '/tokens', {
      body: { name: 'ci', role: 'developer' },
      principal: admin,
    });
    expect(created.status).toBe(201);
    const body = created.body as Record<string, string>;
    expect(body).toEqual({
      id: expect.stringMatching(/^tok-/),
      name: 'ci',
      role: 'developer',
      prefix: `${body.token?.slice(0, 8)}…`,
      createdAt: new Date(T0).toISOString(),
      createdBy: 'local',
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
      token: expect.stringMatching(/^tdm_[0-9A-Za-z]{32}$/),
    });
    const listed = await call('GET', '/tokens', { principal: admin });
    expect(listed.body).toEqual({ items: [{ ...body, token: undefined }], next: null });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(body.token);
    expect(text).not.toMatch(/hash/);

    const taken = await problem(
      call('POST', '/tokens', { body: { name: 'ci', role: 'viewer' }, principal: admin }),
    );
    expect(taken).toMatchObject({ status: 409, code: 'TANDEM_TOKEN_NAME_TAKEN' });
    await expect(
      call('POST', '/tokens', { body: { name: 'x', role: 'root' }, principal: admin }),
    ).rejects.toThrow(/role/);
  });

  it('revokes by id or name (409 when already revoked) and pages the list', async () => {
    for (const name of ['a', 'b', 'c']) {
      await call('POST', '/tokens', { body: { name, role: 'viewer' }, principal: admin });
      now += 1000;
    }
    const revoked = await call('POST', '/tokens/:id/revoke', { params: { id: 'b' }, principal: admin });
    expect(revoked.body).toMatchObject({
      name: 'b',
      revokedBy: 'local',
      revokedAt: new Date(now).toISOString(),
    });
    const again = await problem(
      call('POST', '/tokens/:id/revoke', {
        params: { id: (revoked.body as { id: string }).id },
        principal: admin,
      }),
    );
    expect(again).toMatchObject({ status: 409, code: 'TANDEM_TOKEN_REVOKED' });
    await expect(
      call('POST', '/tokens/:id/revoke', { params: { id: 'zzz' }, principal: admin }),
    ).rejects.toMatchObject({
      code: 'TANDEM_TOKEN_NOT_FOUND',
    });

    const active = (await call('GET', '/tokens', { principal: admin })).body as { items: { name: string }[] };
    expect(active.items.map((t) => t.name)).toEqual(['c', 'a']);
    const first = (await call('GET', '/tokens', { query: { all: '1', limit: '2' }, principal: admin }))
      .body as {
      items: { name: string }[];
      next: string;
    };
    expect(first.items.map((t) => t.name)).toEqual(['c', 'b']);
    const second = (
      await call('GET', '/tokens', { query: { all: '1', limit: '2', cursor: first.next }, principal: admin })
    ).body as { items: { name: string }[]; next: null };
    expect(second).toEqual({ items: [expect.objectContaining({ name: 'a' })], next: null });
  });

  it('logs in with a token: cookie, principal and CSRF token; GET reads it back; DELETE logs out', async () => {
    const { token, plaintext } = await store.tokens.create({ name: 'ada', role: 'operator', createdBy: 'x' });
    const login = await call('POST', '/session', { body: { token: plaintext }, address: '10.0.0.7' });
    expect(login.status).toBe(201);
    const setCookie = String(login.headers?.['set-cookie']);
    expect(setCookie).toMatch(
      /^tandem_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=604800$/,
    );
    const principal = {
      id: token.id,
      name: 'ada',
      roles: ['viewer', 'developer', 'operator'],
      via: 'session',
    };
    const { csrf } = login.body as { csrf: string };
    expect(login.body).toEqual({
      principal,
      csrf: expect.any(String),
      expiresAt: new Date(T0 + 7 * 86_400_000).toISOString(),
    });
    const cookie = cookieOf(login);

    const read = await call('GET', '/session', { principal: principalOf(token, 'session'), cookie });
    expect(read).toEqual({
      status: 200,
      body: { principal, csrf, expiresAt: (login.body as { expiresAt: string }).expiresAt },
    });
    expect(read.headers).toBeUndefined();
    // A bearer caller has no session: no CSRF token.
    const viaBearer = await call('GET', '/session', { principal: principalOf(token, 'bearer') });
    expect(viaBearer.body).toMatchObject({ csrf: null, principal: { via: 'bearer' } });

    const out = await call('DELETE', '/session', { principal: principalOf(token, 'session'), cookie });
    expect(out.body).toEqual({ loggedOut: true });
    expect(String(out.headers?.['set-cookie'])).toMatch(
      /^tandem_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/,
    );
    expect(await store.sessions.verify(cookie.split('=')[1] as string)).toBeUndefined();
  });

  it('refuses a bad token with 401, and the 6th failure in 5 minutes from one address with 429', async () => {
    const { plaintext } = await store.tokens.create({ name: 'ada', role: 'viewer', createdBy: 'x' });
    for (let i = 0; i < 5; i++) {
      const failed = await problem(
        call('POST', '/session', { body: { token: `tdm_nope${i}` }, address: '10.0.0.9' }),
      );
      expect(failed).toMatchObject({ status: 401, code: 'TANDEM_LOGIN_FAILED' });
    }
    const limited = await problem(
      call('POST', '/session', { body: { token: plaintext }, address: '10.0.0.9' }),
    );
    expect(limited).toMatchObject({
      status: 429,
      code: 'TANDEM_LOGIN_RATE_LIMITED',
      headers: { 'retry-after': '300' },
    });
    // Another address is not held back.
    expect(
      (await call('POST', '/session', { body: { token: plaintext }, address: '10.0.0.10' })).status,
    ).toBe(201);
    now += 300_000;
    expect((await call('POST', '/session', { body: { token: plaintext }, address: '10.0.0.9' })).status).toBe(
      201,
    );
  });

  it('lists the audit log newest first, filtered and paged', async () => {
    for (let i = 0; i < 3; i++) {
      await store.audit.append({
        principal: { id: 'tok-1', name: i === 1 ? 'bob' : 'ada' },
        role: 'admin',
        action: 'POST /api/v1/tokens',
        target: { i },
        address: '::1',
        status: 201,
      });
    }
    const all = (await call('GET', '/audit', { principal: admin })).body as {
      items: { target: { i: number } }[];
    };
    expect(all.items.map((e) => e.target.i)).toEqual([2, 1, 0]);
    const bob = (await call('GET', '/audit', { query: { principal: 'bob' }, principal: admin })).body as {
      items: { target: { i: number } }[];
    };
    expect(bob.items.map((e) => e.target.i)).toEqual([1]);
    const page = (await call('GET', '/audit', { query: { limit: '2' }, principal: admin })).body as {
      next: string;
    };
    const rest = (await call('GET', '/audit', { query: { limit: '2', cursor: page.next }, principal: admin }))
      .body as {
      items: { target: { i: number } }[];
      next: null;
    };
    expect(rest.items.map((e) => e.target.i)).toEqual([0]);
    expect(rest.next).toBeNull();
    await expect(call('GET', '/audit', { query: { cursor: 'x' }, principal: admin })).rejects.toMatchObject({
      code: 'TANDEM_BAD_CURSOR',
    });
  });
});
