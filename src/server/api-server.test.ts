import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/load.js';
import { ControlPlane, type DeploymentView } from '../control/control-plane.js';
import { FakeAgent } from '../control/fake-agent.js';
import { openSqliteMetricsStore } from '../observe/metrics/sqlite/store.js';
import { openVault } from '../secrets/vault.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { apiRoutes, createApiServer } from './api-server.js';
import { type AuditEntry, localOnlyAuth, type RequestAuth } from './auth-port.js';
import { API_PREFIX } from './pipeline.js';
import { accessRoutes } from './routes/access-routes.js';
import { insightRoutes } from './routes/insight-routes.js';
import { hasRole } from './routes/roles.js';
import { secretRoutes } from './routes/secret-routes.js';
import { ROLES, type Role, type RouteDef } from './routes/types.js';

const CONFIG = `project: shop
pipeline:
  jobs:
    build: { run: "true" }
services:
  web:
    run: node server.js
    health: { path: /healthz }
    replicas: 1
environments:
  staging:
    listen: 18181
  production:
    listen: 18182
    protected: true
`;

/** Test tokens: `Bearer <role>` or the cookie `tandem_session=<role>` (CSRF token `csrf-<role>`). */
function fakeAuth(): RequestAuth {
  return {
    async authenticate(req: IncomingMessage) {
      const bearer = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
      const cookie = /tandem_session=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
      const role = bearer ?? cookie;
      if (role === undefined || !(ROLES as readonly string[]).includes(role)) {
        return {
          ok: false,
          status: 401,
          code: 'TANDEM_UNAUTHENTICATED',
          detail: 'send a token',
          headers: { 'www-authenticate': 'Bearer realm="tandem"' },
        };
      }
      return {
        ok: true,
        principal: {
          id: `tok-${role}`,
          name: `${role}-token`,
          roles: [role as Role],
          via: bearer !== undefined ? 'bearer' : 'session',
        },
      };
    },
    checkCsrf: (req, principal) => req.headers['x-csrf-token'] === `csrf-${principal.roles[0]}`,
  };
}

/** A request that passes validation for each route of the tables (path relative to the prefix). */
const SAMPLES: Record<string, { path: string; body?: unknown }> = {
  'GET /health': { path: '/health' },
  'POST /apply': { path: '/apply', body: {} },
  'POST /shutdown': { path: '/shutdown', body: {} },
  'POST /webhooks/:provider': { path: '/webhooks/github', body: { ref: 'refs/heads/main' } },
  'GET /status': { path: '/status' },
  'POST /deployments': { path: '/deployments', body: { environment: 'staging', release: 'r1' } },
  'GET /deployments/:id': { path: '/deployments/d-1' },
  'POST /environments/:env/promote': { path: '/environments/staging/promote', body: { full: true } },
  'POST /environments/:env/abort': { path: '/environments/staging/abort', body: { reason: 'bad' } },
  'POST /environments/:env/pause': { path: '/environments/staging/pause', body: {} },
  'POST /environments/:env/resume': { path: '/environments/staging/resume', body: {} },
  'POST /environments/:env/approve': { path: '/environments/staging/approve', body: {} },
  'POST /environments/:env/rollback': { path: '/environments/staging/rollback', body: {} },
  'POST /environments/:env/restart': { path: '/environments/staging/restart', body: {} },
  'POST /environments/:env/services/:service/scale': {
    path: '/environments/staging/services/web/scale',
    body: { replicas: 2 },
  },
  'GET /environments/:env/history': { path: '/environments/staging/history?limit=5' },
  'GET /services/:service/instances': { path: '/services/web/instances?environment=staging' },
  'GET /metrics': { path: '/metrics' },
  'GET /top': { path: '/top' },
  'GET /metrics/query': { path: '/metrics/query?environment=staging&service=web&from=1h' },
  'GET /environments/:env/services/:service/uptime': { path: '/environments/staging/services/web/uptime' },
  'GET /incidents': { path: '/incidents?state=open&limit=5' },
  'GET /incidents/:id': { path: '/incidents/inc-1' },
  'POST /incidents/:id/resolve': { path: '/incidents/inc-1/resolve', body: { note: 'fixed' } },
  'GET /silences': { path: '/silences?all=1' },
  'POST /silences': { path: '/silences', body: { matchers: ['service=web'], comment: 'maintenance' } },
  'POST /silences/:id/expire': { path: '/silences/sil-nope/expire', body: {} },
  'GET /alerts': { path: '/alerts' },
  'GET /openapi.json': { path: '/openapi.json' },
  // The dashboard's routes (insight-routes.ts).
  'GET /overview': { path: '/overview' },
  'GET /services/:service/timeline': { path: '/services/web/timeline?environment=staging' },
  'GET /runs': { path: '/runs' },
  'GET /runs/:id': { path: '/runs/run-1' },
  'GET /runs/:id/jobs/:job/log': { path: '/runs/run-1/jobs/build/log?limit=1024' },
  'POST /runs/:id/rerun': { path: '/runs/run-1/rerun' },
  'POST /runs': { path: '/runs', body: { ref: 'main' } },
  // An unknown run is refused before the stream starts (a 200 stream would never end).
  'GET /stream': { path: '/stream?topics=joblog&run=run-9&job=build' },
  // Sessions, tokens and the audit log (access-routes.ts); the login's token is set by the test.
  'POST /session': { path: '/session', body: { token: 'set by the test' } },
  'GET /session': { path: '/session' },
  'DELETE /session': { path: '/session' },
  'POST /tokens': { path: '/tokens', body: { name: 'ci-deploy', role: 'developer' } },
  'GET /tokens': { path: '/tokens?all=1' },
  'POST /tokens/:id/revoke': { path: '/tokens/victim/revoke', body: {} },
  'GET /audit': { path: '/audit?limit=5' },
  // Secrets (secret-routes.ts); OLD_SECRET is set by the test, so admin's DELETE finds it.
  'GET /secrets': { path: '/secrets' },
  'PUT /secrets/:name': { path: '/secrets/NEW_SECRET', body: { value: 's3cret' } },
  'DELETE /secrets/:name': { path: '/secrets/OLD_SECRET' },
};

const VIEW = { deployment: { id: 'd-1' }, rollouts: [], state: 'progressing', trigger: null };

let dir: string;
let store: Store;
let metrics: ReturnType<typeof openSqliteMetricsStore>;
let plane: ControlPlane;
let server: Server;
let base: string;
let audit: AuditEntry[];
let shutdowns: number;
/** Every call that would change something (mutations are stubs; incident ops are spied through). */
let mutations: Array<{ mock: { calls: unknown[] } }>;

async function start(opts: { auth?: RequestAuth; extraRoutes?: readonly RouteDef[] } = {}): Promise<void> {
  server = createApiServer({
    plane,
    ...(opts.auth !== undefined ? { auth: opts.auth } : {}),
    ...(opts.extraRoutes !== undefined ? { extraRoutes: opts.extraRoutes } : {}),
    audit: (entry) => {
      audit.push(entry);
    },
    onShutdown: () => {
      shutdowns++;
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-api-'));
  writeFileSync(path.join(dir, 'tandem.yaml'), CONFIG);
  store = await openStoreAt(':memory:');
  metrics = openSqliteMetricsStore({ file: ':memory:' });
  plane = new ControlPlane({
    loaded: await loadConfig({ cwd: dir }),
    store,
    agent: new FakeAgent(),
    env: { PATH: '/usr/bin', TANDEM_MASTER_KEY: 'a'.repeat(64) },
    metrics,
  });
  const view = VIEW as unknown as DeploymentView;
  mutations = [
    vi.spyOn(plane, 'deploy').mockResolvedValue(view),
    vi.spyOn(plane, 'control').mockResolvedValue(view),
    vi.spyOn(plane, 'approve').mockResolvedValue(view),
    vi.spyOn(plane, 'rollback').mockResolvedValue(view),
    vi.spyOn(plane, 'restart').mockResolvedValue(view),
    vi.spyOn(plane, 'scale').mockResolvedValue({ desired: 2 }),
    vi.spyOn(plane, 'apply').mockResolvedValue({ file: 'tandem.yaml', changes: [] }),
    vi.spyOn(plane, 'webhook').mockResolvedValue({ status: 202, body: { delivery: 'x' } }),
    vi.spyOn(plane.incidents, 'resolveIncident'),
    vi.spyOn(plane.incidents, 'createSilence'),
    vi.spyOn(plane.incidents, 'expireSilence'),
  ];
  audit = [];
  shutdowns = 0;
  await store.incidents.open({
    environment: 'staging',
    service: 'web',
    title: 'web is down',
    severity: 'page',
    cause: { kind: 'alert', ref: 'fp-web' },
    releases: [],
    at: new Date(),
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  metrics.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Caller = Role | 'none';

async function call(
  method: string,
  pathname: string,
  opts: { caller?: Caller; cookie?: Role; csrf?: string; body?: unknown; prefix?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.caller !== undefined && opts.caller !== 'none') headers.authorization = `Bearer ${opts.caller}`;
  if (opts.cookie !== undefined) headers.cookie = `tandem_session=${opts.cookie}`;
  if (opts.csrf !== undefined) headers['x-csrf-token'] = opts.csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${opts.prefix ?? API_PREFIX}${pathname}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // /metrics answers text.
  }
  return { status: res.status, json, headers: res.headers };
}

const changes = () => mutations.reduce((n, m) => n + m.mock.calls.length, 0) + shutdowns;
const key = (r: RouteDef) => `${r.method} ${r.path}`;
const mutating = (r: RouteDef) => r.method !== 'GET';

describe('API route × role matrix', () => {
  it('lets each role call exactly the routes of its role and below; denied calls change nothing', async () => {
    const rerun = vi.fn(async () => ({
      status: 'started' as const,
      commit: 'abc',
      release: null,
      runId: null,
    }));
    const startRun = vi.fn(async () => ({
      status: 'started' as const,
      commit: 'abc',
      release: null,
      runId: null,
    }));
    mutations.push(startRun);
    mutations.push(rerun);
    await store.runs.runStarted({
      id: 'run-1',
      project: 'shop',
      branch: 'main',
      commit: 'abc',
      jobs: ['build'],
      startedAt: new Date(),
    });
    const login = await store.tokens.create({
      name: 'login',
      role: 'viewer',
      createdBy: 't',
      at: new Date(),
    });
    await store.tokens.create({ name: 'victim', role: 'viewer', createdBy: 't', at: new Date() });
    SAMPLES['POST /session'] = { path: '/session', body: { token: login.plaintext } };
    mutations.push(vi.spyOn(store.tokens, 'create'), vi.spyOn(store.tokens, 'revoke'));
    const vault = openVault(store, dir, { TANDEM_MASTER_KEY: 'a'.repeat(64) });
    await vault.set('OLD_SECRET', 'old');
    mutations.push(vi.spyOn(vault, 'set'), vi.spyOn(vault, 'remove'));
    const extraRoutes = [
      ...insightRoutes({ store, plane, rerun, startRun, stream: { pollMs: 20 } }),
      ...accessRoutes({ store }),
      ...secretRoutes({ vault: () => vault }),
    ];
    await start({ auth: fakeAuth(), extraRoutes });
    const routes = apiRoutes({ plane, extraRoutes, onShutdown: () => {} });
    expect(routes.map(key).filter((k) => SAMPLES[k] === undefined)).toEqual([]);
    let audited = 0;
    for (const route of routes) {
      const sample = SAMPLES[key(route)] as { path: string; body?: unknown };
      for (const caller of ['none', ...ROLES] as const) {
        const before = changes();
        const auditBefore = audit.length;
        const res = await call(route.method, sample.path, { caller, body: sample.body });
        const label = `${key(route)} as ${caller} → ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`;
        const allowed = route.role === 'public' || (caller !== 'none' && hasRole([caller], route.role));
        if (allowed) {
          expect([401, 403], label).not.toContain(res.status);
          expect(res.status, label).toBeLessThan(500);
        } else {
          expect(res.status, label).toBe(caller === 'none' ? 401 : 403);
          expect(res.json.code, label).toBe(
            caller === 'none' ? 'TANDEM_UNAUTHENTICATED' : 'TANDEM_FORBIDDEN',
          );
          if (caller !== 'none')
            expect(res.json, label).toMatchObject({ required: route.role, roles: [caller] });
          else expect(res.headers.get('www-authenticate'), label).toContain('Bearer');
          expect(changes(), label).toBe(before);
        }
        if (mutating(route)) {
          audited++;
          expect(audit.length, label).toBe(auditBefore + 1);
          expect(audit.at(-1), label).toMatchObject({
            action: `${route.method} ${API_PREFIX}${route.path}`,
            status: res.status,
            address: '127.0.0.1',
            principal: caller === 'none' ? null : `${caller}-token`,
            role: caller === 'none' ? null : caller,
          });
        } else {
          expect(audit.length, label).toBe(auditBefore);
        }
      }
    }
    expect(audit).toHaveLength(audited);
  }, 60_000);

  it('gives the control plane the caller as the actor, with every role below its own', async () => {
    await start({ auth: fakeAuth() });
    await call('POST', '/environments/staging/promote', { caller: 'operator', body: {} });
    expect(plane.control).toHaveBeenCalledWith(
      'staging',
      { type: 'promote' },
      { principal: 'operator-token', roles: ['viewer', 'developer', 'operator'] },
    );
    await call('POST', '/environments/staging/approve', { caller: 'developer' });
    expect(plane.approve).toHaveBeenCalledWith({
      environment: 'staging',
      roles: ['viewer', 'developer'],
      by: 'developer-token',
    });
  });

  it('answers 403 when the control plane refuses a developer on a protected environment', async () => {
    vi.mocked(plane.control).mockRestore();
    await start({ auth: fakeAuth() });
    const res = await call('POST', '/environments/production/pause', { caller: 'developer', body: {} });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'TANDEM_FORBIDDEN', exitCode: 2 });
    expect(res.json.detail).toContain('protected');
    // An operator gets past the check (and is told there is nothing to pause).
    const op = await call('POST', '/environments/production/pause', { caller: 'operator', body: {} });
    expect([op.status, op.json.code]).toEqual([400, 'TANDEM_NO_ROLLOUT']);
  });
});

describe('CSRF', () => {
  it('refuses cookie-authenticated mutations without the right X-CSRF-Token; bearer calls need none', async () => {
    await start({ auth: fakeAuth() });
    const pause = (opts: { cookie?: Role; csrf?: string; caller?: Caller }) =>
      call('POST', '/environments/staging/pause', { ...opts, body: {} });
    const missing = await pause({ cookie: 'operator' });
    expect([missing.status, missing.json.code]).toEqual([403, 'TANDEM_CSRF']);
    const wrong = await pause({ cookie: 'operator', csrf: 'csrf-admin' });
    expect([wrong.status, wrong.json.code]).toEqual([403, 'TANDEM_CSRF']);
    expect(plane.control).not.toHaveBeenCalled();
    expect(audit.map((a) => a.status)).toEqual([403, 403]);

    expect((await pause({ cookie: 'operator', csrf: 'csrf-operator' })).status).toBe(200);
    expect((await pause({ caller: 'operator' })).status).toBe(200);
    expect(plane.control).toHaveBeenCalledTimes(2);
    // Reads by cookie need no CSRF token.
    expect((await call('GET', '/status', { cookie: 'viewer' })).status).toBe(200);
    // The role check comes first: a viewer's cookie with its CSRF token is still refused.
    const viewer = await pause({ cookie: 'viewer', csrf: 'csrf-viewer' });
    expect([viewer.status, viewer.json.code]).toEqual([403, 'TANDEM_FORBIDDEN']);
  });
});

describe('API pipeline', () => {
  it('answers errors as problem+json', async () => {
    await start({ auth: fakeAuth() });
    const res = await fetch(`${base}${API_PREFIX}/deployments/d-9`, {
      headers: { authorization: 'Bearer viewer' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toEqual({
      type: 'https://tandem.dev/problems/tandem-unknown-deployment',
      title: 'Not Found',
      status: 404,
      detail: 'no deployment "d-9"',
      code: 'TANDEM_UNKNOWN_DEPLOYMENT',
      exitCode: 2,
      instance: '/api/v1/deployments/d-9',
    });

    const bad = await call('POST', '/deployments', {
      caller: 'developer',
      body: { environment: '', overrideFreeze: true, extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'TANDEM_BAD_REQUEST', exitCode: 2 });
    expect(bad.json.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'environment' }),
        expect.objectContaining({ path: '' }),
      ]),
    );
    expect(bad.json.detail).toMatch(/^invalid request body: /);
    expect(plane.deploy).not.toHaveBeenCalled();

    const query = await call('GET', '/metrics/query?service=web', { caller: 'viewer' });
    expect([query.status, query.json.code, query.json.detail]).toEqual([
      400,
      'TANDEM_BAD_QUERY',
      'invalid query: environment: the query needs ?environment=',
    ]);
    const notJson = await fetch(`${base}${API_PREFIX}/apply`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: '{"value": hunter2}',
    });
    const problem = (await notJson.json()) as { code: string; detail: string };
    expect([notJson.status, problem.code]).toEqual([400, 'TANDEM_BAD_REQUEST']);
    // The detail goes to the audit log: it never quotes the body (which may hold a secret).
    expect(problem.detail).toMatch(/^request body is not valid JSON/);
    expect(problem.detail).not.toContain('hunter2');
    expect(JSON.stringify(audit)).not.toContain('hunter2');
    const form = await fetch(`${base}${API_PREFIX}/apply`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(form.status).toBe(415);

    const noRoute = await call('GET', '/nowhere', { caller: 'admin' });
    expect([noRoute.status, noRoute.json.code]).toEqual([404, 'TANDEM_NO_ROUTE']);
    const wrongMethod = await call('DELETE', '/status', { caller: 'admin' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect((await call('GET', '/', { caller: 'admin', prefix: '' })).status).toBe(404);
  });

  it('serves the legacy /v1 paths with the same handlers, and /metrics at the root', async () => {
    await start({ auth: fakeAuth() });
    const modern = await call('GET', '/status', { caller: 'viewer' });
    const legacy = await call('GET', '/status', { caller: 'viewer', prefix: '/v1' });
    expect(legacy.status).toBe(200);
    expect(legacy.json).toEqual(modern.json);
    const pause = await call('POST', '/environments/staging/pause', {
      caller: 'developer',
      prefix: '/v1',
      body: {},
    });
    expect(pause.status).toBe(200);
    expect(audit.at(-1)?.action).toBe('POST /api/v1/environments/:env/pause');
    // Old CLIs read `error`; the problem members are there too.
    const missing = await call('GET', '/deployments/d-9', { caller: 'viewer', prefix: '/v1' });
    expect(missing.json).toMatchObject({
      code: 'TANDEM_UNKNOWN_DEPLOYMENT',
      error: { code: 'TANDEM_UNKNOWN_DEPLOYMENT', message: 'no deployment "d-9"', exitCode: 2 },
    });

    const scrape = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer viewer' } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scrape.text()).toContain('# HELP');
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
  });

  it('pages the history with limit and cursor, keeping its keys', async () => {
    await start({ auth: fakeAuth() });
    const views = ['d-3', 'd-2', 'd-1'].map(
      (id) => ({ ...VIEW, deployment: { id } }) as unknown as DeploymentView,
    );
    vi.spyOn(plane, 'history').mockImplementation(async (_env, limit) => views.slice(0, limit));
    vi.spyOn(plane, 'historyEvents').mockResolvedValue([]);
    const first = await call('GET', '/environments/staging/history?limit=2', { caller: 'viewer' });
    expect(first.json).toMatchObject({
      deployments: [{ deployment: { id: 'd-3' } }, { deployment: { id: 'd-2' } }],
      events: [],
    });
    expect(typeof first.json.next).toBe('string');
    const second = await call('GET', `/environments/staging/history?limit=2&cursor=${first.json.next}`, {
      caller: 'viewer',
    });
    expect(second.json).toEqual({
      deployments: [{ ...VIEW, deployment: { id: 'd-1' } }],
      events: [],
      next: null,
    });
    const bad = await call('GET', '/environments/staging/history?limit=abc', { caller: 'viewer' });
    expect([bad.status, bad.json.code]).toEqual([400, 'TANDEM_BAD_QUERY']);
  });

  it('keeps answering when the audit sink fails', async () => {
    server = createApiServer({
      plane,
      auth: fakeAuth(),
      audit: () => {
        throw new Error('disk full');
      },
      onShutdown: () => {},
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await call('POST', '/environments/staging/pause', { caller: 'admin', body: {} })).status).toBe(
      200,
    );
  });

  it('by default serves loopback callers as the local admin and refuses others', async () => {
    await start();
    expect((await call('POST', '/environments/staging/pause', { body: {} })).status).toBe(200);
    expect(plane.control).toHaveBeenCalledWith(
      'staging',
      { type: 'pause' },
      {
        principal: 'local',
        roles: ['viewer', 'developer', 'operator', 'admin'],
      },
    );
    const remote = { socket: { remoteAddress: '10.1.2.3' }, headers: {} } as unknown as IncomingMessage;
    expect(await localOnlyAuth().authenticate(remote)).toMatchObject({
      ok: false,
      status: 403,
      code: 'TANDEM_FORBIDDEN',
    });
  });

  it('runs extra routes through the same checks and refuses a route defined twice', async () => {
    const extra: RouteDef = {
      method: 'GET',
      path: '/tokens',
      summary: 'tokens',
      tag: 'access',
      role: 'admin',
      handler: async ({ principal }) => ({
        status: 200,
        body: { items: [], next: null, who: principal?.name },
      }),
    };
    server = createApiServer({ plane, auth: fakeAuth(), extraRoutes: [extra], onShutdown: () => {} });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await call('GET', '/tokens', { caller: 'operator' })).status).toBe(403);
    expect((await call('GET', '/tokens', { caller: 'admin' })).json).toEqual({
      items: [],
      next: null,
      who: 'admin-token',
    });
    expect(() => createApiServer({ plane, extraRoutes: [extra, extra], onShutdown: () => {} })).toThrow(
      /defined twice/,
    );
  });
});
