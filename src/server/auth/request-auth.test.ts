import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import type { RequestAuth } from '../auth-port.js';
import { isLoopbackAddress, isLoopbackHost } from './addresses.js';
import { login } from './login.js';
import { createLoginLimiter } from './login-limiter.js';
import { createRequestAuth } from './request-auth.js';

const T0 = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let store: Store;
let now: number;
const clock = { now: () => now };
let servers: Server[] = [];

beforeEach(async () => {
  store = await openStoreAt(':memory:');
  now = T0;
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  await store.close();
});

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/**
 * A tiny server in front of the RequestAuth: `POST /login {token}` logs in (as the session route
 * does), anything else answers who is calling and whether a mutation would pass the CSRF check.
 */
type Call = (
  method: string,
  path: string,
  headers?: Record<string, string>,
  body?: unknown,
) => Promise<Answer>;

let port = 0;

async function serve(authEnabled: boolean): Promise<Call> {
  const auth: RequestAuth = createRequestAuth({ store, clock, authEnabled });
  const limiter = createLoginLimiter({ clock });
  const server = createServer((req, res) => {
    void (async () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/login') {
        let text = '';
        for await (const chunk of req) text += chunk;
        const out = await login(
          { store, limiter, clock },
          JSON.parse(text).token,
          req.socket.remoteAddress ?? '',
        );
        if (!out.ok) {
          send(out.status, out, out.retryAfterSec ? { 'retry-after': String(out.retryAfterSec) } : {});
          return;
        }
        send(201, { csrf: out.csrf }, { 'set-cookie': `tandem_session=${out.sessionId}; HttpOnly` });
        return;
      }
      const outcome = await auth.authenticate(req);
      if (!outcome.ok) {
        send(outcome.status, outcome, outcome.headers);
        return;
      }
      send(200, {
        principal: outcome.principal,
        csrf: outcome.csrf ?? null,
        csrfOk: auth.checkCsrf(req, outcome.principal),
      });
    })().catch((err: Error) => {
      res.writeHead(500);
      res.end(err.stack);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return (method, path, headers = {}, body) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
        );
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookieOf = (a: Answer) => (a.headers['set-cookie']?.[0] ?? '').split(';')[0] as string;

describe('RequestAuth over HTTP', () => {
  it('knows a bearer token, with its role and every role below it; records its use', async () => {
    const call = await serve(true);
    const { token, plaintext } = await store.tokens.create({
      name: 'ci',
      role: 'developer',
      createdBy: 'x',
      at: new Date(T0),
    });
    const a = await call('POST', '/api/v1/deployments', bearer(plaintext));
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      principal: { id: token.id, name: 'ci', roles: ['viewer', 'developer'], via: 'bearer' },
      csrf: null,
      // Bearer requests cannot be forged by another site: exempt from CSRF.
      csrfOk: true,
    });
    expect((await store.tokens.get(token.id))?.lastUsedAt).toBe(new Date(T0).toISOString());
  });

  it('answers 401 with the same words for an unknown and a revoked token', async () => {
    const call = await serve(true);
    const { plaintext } = await store.tokens.create({ name: 'ci', role: 'admin', createdBy: 'x' });
    await store.tokens.revoke('ci', 'x');
    const revoked = await call('GET', '/', bearer(plaintext));
    const unknown = await call('GET', '/', bearer(`tdm_${'A'.repeat(32)}`));
    const garbage = await call('GET', '/', bearer('nope'));
    for (const a of [revoked, unknown, garbage]) {
      expect(a.status).toBe(401);
      expect(a.headers['www-authenticate']).toBe('Bearer realm="tandem"');
    }
    expect(revoked.body).toEqual(unknown.body);
    expect(revoked.body).toEqual(garbage.body);
    expect(revoked.body.detail).toMatch(/not valid \(unknown or revoked\).*tandem token create/);
    const basic = await call('GET', '/', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    expect(basic.body.detail).toMatch(/Authorization: Bearer/);
  });

  it('tells a caller without credentials how to authenticate', async () => {
    const call = await serve(true);
    const a = await call('GET', '/api/v1/status');
    expect(a.status).toBe(401);
    expect(a.body).toMatchObject({ code: 'TANDEM_UNAUTHENTICATED' });
    expect(a.body.detail).toMatch(/TANDEM_TOKEN/);
    expect(a.body.detail).toMatch(/tandem token create/);
    expect(a.body.detail).toMatch(/log in to the dashboard/);
  });

  it('logs in to a session cookie; mutations need its CSRF token; revoking the token ends it at once', async () => {
    const call = await serve(true);
    const { token, plaintext } = await store.tokens.create({ name: 'ada', role: 'operator', createdBy: 'x' });
    const logged = await call('POST', '/login', {}, { token: plaintext });
    expect(logged.status).toBe(201);
    const cookie = cookieOf(logged);
    const csrf = logged.body.csrf as string;
    expect(cookie).toMatch(/^tandem_session=[A-Za-z0-9_-]{43}$/);

    const read = await call('GET', '/api/v1/session', { cookie });
    expect(read.body).toEqual({
      principal: { id: token.id, name: 'ada', roles: ['viewer', 'developer', 'operator'], via: 'session' },
      csrf,
      csrfOk: true,
    });
    expect((await call('POST', '/api/v1/x', { cookie })).body.csrfOk).toBe(false);
    expect(
      (await call('POST', '/api/v1/x', { cookie, 'x-csrf-token': `${csrf.slice(0, -1)}A` })).body.csrfOk,
    ).toBe(csrf.endsWith('A'));
    expect((await call('POST', '/api/v1/x', { cookie, 'x-csrf-token': csrf })).body.csrfOk).toBe(true);
    // The CSRF token of another session does not do.
    const other = await call('POST', '/login', {}, { token: plaintext });
    expect(
      (await call('DELETE', '/api/v1/x', { cookie, 'x-csrf-token': other.body.csrf as string })).body.csrfOk,
    ).toBe(false);

    await store.tokens.revoke(token.id, 'x');
    const after = await call('GET', '/api/v1/session', { cookie });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/session has ended/);
    expect(after.headers['set-cookie']?.[0]).toMatch(/^tandem_session=; .*Max-Age=0/);
  });

  it('ends a session after 12 hours without a request', async () => {
    const call = await serve(true);
    const { plaintext } = await store.tokens.create({ name: 'ada', role: 'viewer', createdBy: 'x' });
    const cookie = cookieOf(await call('POST', '/login', {}, { token: plaintext }));
    now += 11 * HOUR;
    expect((await call('GET', '/', { cookie })).status).toBe(200);
    now += 11 * HOUR;
    expect((await call('GET', '/', { cookie })).status).toBe(200);
    now += 12 * HOUR;
    expect((await call('GET', '/', { cookie })).status).toBe(401);
  });

  it('limits failed logins per address: the 6th try in 5 minutes is a 429 with Retry-After', async () => {
    const call = await serve(true);
    const { plaintext } = await store.tokens.create({ name: 'ada', role: 'viewer', createdBy: 'x' });
    for (let i = 0; i < 5; i++) {
      const failed = await call('POST', '/login', {}, { token: `tdm_wrong${i}` });
      expect(failed.status, `try ${i + 1}`).toBe(401);
      now += 10_000;
    }
    const limited = await call('POST', '/login', {}, { token: plaintext });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'TANDEM_LOGIN_RATE_LIMITED' });
    // The first failure was 50 s ago: it leaves the window in 250 s.
    expect(limited.headers['retry-after']).toBe('250');
    now += 250_000;
    expect((await call('POST', '/login', {}, { token: plaintext })).status).toBe(201);
  });

  it('with auth off, lets this machine in as the local admin, but not another site’s page', async () => {
    const call = await serve(false);
    const local = await call('POST', '/api/v1/x', {});
    expect(local.body).toEqual({
      principal: {
        id: 'local',
        name: 'local',
        roles: ['viewer', 'developer', 'operator', 'admin'],
        via: 'local',
      },
      csrf: null,
      csrfOk: true,
    });
    // The dashboard's own page (same origin) is let in.
    const own = await call('POST', '/api/v1/x', {
      origin: `http://127.0.0.1:${port}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(own.body).toMatchObject({ principal: { id: 'local' }, csrfOk: true });
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { host: 'evil.example' },
    ]) {
      const a = await call('POST', '/api/v1/x', headers);
      expect(a.status, JSON.stringify(headers)).toBe(401);
      expect(a.body.detail).toMatch(/auth is off/);
    }
    // Tokens still identify their holder.
    const { plaintext } = await store.tokens.create({ name: 'ci', role: 'viewer', createdBy: 'x' });
    expect((await call('GET', '/', bearer(plaintext))).body.principal).toMatchObject({
      name: 'ci',
      via: 'bearer',
    });
  });
});

describe('RequestAuth without a socket', () => {
  const fakeReq = (remoteAddress: string, headers: Record<string, string> = {}) =>
    ({
      method: 'GET',
      headers: { host: '127.0.0.1:7070', ...headers },
      socket: { remoteAddress },
    }) as unknown as IncomingMessage;

  it('with auth off, refuses a caller from another machine', async () => {
    const auth = createRequestAuth({ store, clock, authEnabled: false });
    expect(await auth.authenticate(fakeReq('10.0.0.7'))).toMatchObject({ ok: false, status: 401 });
    expect(await auth.authenticate(fakeReq('::ffff:127.0.0.1'))).toMatchObject({ ok: true });
    expect(await auth.authenticate(fakeReq('::1', { host: '[::1]:7070' }))).toMatchObject({ ok: true });
  });
});

describe('loopback checks', () => {
  it('knows loopback addresses and host names', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '', undefined])
      expect(isLoopbackAddress(a), a).toBe(false);
    for (const h of ['localhost:7070', '127.0.0.1', '[::1]:80', 'app.localhost', undefined])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['evil.example', 'localhost.evil.example:7070', '[::2]:80', '10.0.0.1:7070'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
