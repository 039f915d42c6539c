import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ApiClient, createApiClient } from '../../client/api-client.js';
import { logger } from '../../log/logger.js';
import { masterKeyPath } from '../../secrets/master-key.js';
import { openVault } from '../../secrets/vault.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { createAuditLog, createRequestAuth } from '../auth/index.js';
import { buildOpenApi } from '../openapi.js';
import { API_PREFIX, createPipeline } from '../pipeline.js';
import { secretRoutes } from './secret-routes.js';

const VALUE = 'hunter2-s3cr3t-value-that-must-never-leak';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

let dir: string;
let store: Store;
let env: Record<string, string | undefined>;
let server: Server;
let base: string;
let adminToken: string;
let operatorToken: string;
let admin: ApiClient;
let logged: Array<{ mock: { calls: unknown[] } }>;

async function start(): Promise<void> {
  const handler = createPipeline({
    routes: secretRoutes({ vault: () => openVault(store, dir, env) }),
    auth: createRequestAuth({ store, authEnabled: true }),
    audit: createAuditLog(store).record,
  });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  admin = createApiClient({ baseUrl: base, token: adminToken });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-secrets-'));
  store = await openStore(dir);
  env = { TANDEM_MASTER_KEY: randomBytes(32).toString('base64') };
  const at = new Date();
  adminToken = (await store.tokens.create({ name: 'root', role: 'admin', createdBy: 't', at })).plaintext;
  operatorToken = (await store.tokens.create({ name: 'ops', role: 'operator', createdBy: 't', at }))
    .plaintext;
  const log = logger();
  // Recorded (to look for the value) and kept off the test output.
  logged = LEVELS.map((level) => vi.spyOn(log, level).mockImplementation(() => undefined));
  await start();
});

afterEach(async () => {
  vi.restoreAllMocks();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  method: string,
  pathname: string,
  opts: { token?: string; body?: unknown; raw?: string } = {},
): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? adminToken}` };
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${API_PREFIX}${pathname}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Everything the server kept or said about the calls: audit rows, events, log calls. */
async function traces(): Promise<string> {
  const audit = await store.db.selectFrom('audit_log').selectAll().execute();
  const events = await store.events.list({ limit: 1000 });
  return JSON.stringify({ audit, events, logs: logged.map((m) => m.mock.calls) });
}

describe('secret routes', () => {
  it('sets, lists (names only), overwrites and deletes a secret through the typed client', async () => {
    const set = await admin.setSecret('DATABASE_URL', VALUE);
    expect(set).toEqual({ name: 'DATABASE_URL', updatedAt: expect.any(String), created: true });
    expect(await openVault(store, dir, env).get('DATABASE_URL')).toBe(VALUE);

    const listed = await call('GET', '/secrets');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({ items: [{ name: 'DATABASE_URL', updatedAt: set.updatedAt }] });
    expect(listed.text).not.toContain(VALUE);
    expect(listed.text).not.toContain('hunter2');
    expect(await admin.secrets()).toEqual(listed.json);

    const again = await admin.setSecret('DATABASE_URL', `${VALUE}-2`);
    expect(again.created).toBe(false);
    expect(await openVault(store, dir, env).get('DATABASE_URL')).toBe(`${VALUE}-2`);

    expect(await admin.removeSecret('DATABASE_URL')).toEqual({ name: 'DATABASE_URL', removed: true });
    expect(await admin.secrets()).toEqual({ items: [] });
    const missing = await call('DELETE', '/secrets/DATABASE_URL');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'TANDEM_SECRET_NOT_FOUND', exitCode: 2 });
    expect(missing.json.detail).toContain('DATABASE_URL');
  });

  it('refuses a bad name, an empty or oversized value and extra fields with 400, storing nothing', async () => {
    for (const [method, body] of [
      ['PUT', { value: VALUE }],
      ['DELETE', undefined],
    ] as const) {
      const bad = await call(method, '/secrets/1BAD-NAME', { body });
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ code: 'TANDEM_SECRET_NAME_INVALID' });
      expect(bad.json.detail).toContain('letters, digits and underscores');
    }
    const empty = await call('PUT', '/secrets/EMPTY', { body: { value: '' } });
    expect([empty.status, empty.json.code]).toEqual([400, 'TANDEM_BAD_REQUEST']);
    expect(empty.json.detail).toContain('value');
    // 32 KiB characters of 3 bytes each: under the character limit, over 64 KiB of UTF-8.
    const big = await call('PUT', '/secrets/BIG', { body: { value: '€'.repeat(32 * 1024) } });
    expect([big.status, big.json.code]).toEqual([400, 'TANDEM_BAD_REQUEST']);
    const extra = await call('PUT', '/secrets/EXTRA', { body: { value: VALUE, name: 'OTHER' } });
    expect([extra.status, extra.json.code]).toEqual([400, 'TANDEM_BAD_REQUEST']);
    expect(await store.secrets.list()).toEqual([]);
  });

  it('keeps values out of the audit log, the events and the logs; audits the name only', async () => {
    await admin.setSecret('NPM_TOKEN', VALUE);
    await admin.setSecret('NPM_TOKEN', VALUE);
    const denied = await call('PUT', '/secrets/NPM_TOKEN', { token: operatorToken, body: { value: 'x' } });
    expect([denied.status, denied.json.code]).toEqual([403, 'TANDEM_FORBIDDEN']);
    await call('PUT', '/secrets/9NPM', { body: { value: VALUE } });
    await call('PUT', '/secrets/NPM_TOKEN', { body: { value: VALUE, extra: VALUE } });
    await admin.removeSecret('NPM_TOKEN');

    const { items } = await store.audit.list({ limit: 50 });
    expect(items.map((e) => [e.action, e.status, e.target])).toEqual([
      ['DELETE /api/v1/secrets/:name', 200, { name: 'NPM_TOKEN' }],
      ['PUT /api/v1/secrets/:name', 400, { name: 'NPM_TOKEN' }],
      ['PUT /api/v1/secrets/:name', 400, { name: '9NPM' }],
      ['PUT /api/v1/secrets/:name', 403, { name: 'NPM_TOKEN' }],
      ['PUT /api/v1/secrets/:name', 200, { name: 'NPM_TOKEN' }],
      ['PUT /api/v1/secrets/:name', 200, { name: 'NPM_TOKEN' }],
    ]);
    const seen = await traces();
    expect(seen).toContain('NPM_TOKEN');
    expect(seen).not.toContain(VALUE);
    expect(seen).not.toContain('hunter2');
  });

  it('creates .tandem/master.key (0600) on the first set without a key, as `tandem secret set` does', async () => {
    env = {};
    expect(await admin.secrets()).toEqual({ items: [] });
    expect((await admin.setSecret('API_KEY', VALUE)).created).toBe(true);
    expect(statSync(masterKeyPath(dir)).mode & 0o777).toBe(0o600);
    expect(await openVault(store, dir, {}).get('API_KEY')).toBe(VALUE);
  });

  it('answers 503 with the fix when the master key is malformed; names stay listable', async () => {
    env = { TANDEM_MASTER_KEY: 'not-a-key' };
    const res = await call('PUT', '/secrets/API_KEY', { body: { value: VALUE } });
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 'TANDEM_MASTER_KEY_INVALID' });
    expect(res.json.detail).toContain('openssl rand -base64 32');
    expect(await traces()).not.toContain(VALUE);
    expect((await call('GET', '/secrets')).status).toBe(200);
    expect(await store.secrets.list()).toEqual([]);
  });

  it('is admin-only and documented in the OpenAPI document, without any value in answers', async () => {
    const doc = buildOpenApi(secretRoutes({ vault: () => openVault(store, dir, env) }), { version: '0' });
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths)).toEqual(['/api/v1/secrets', '/api/v1/secrets/{name}']);
    expect(paths['/api/v1/secrets']?.get?.['x-tandem-role']).toBe('admin');
    expect(paths['/api/v1/secrets/{name}']?.put?.['x-tandem-role']).toBe('admin');
    expect(paths['/api/v1/secrets/{name}']?.delete?.['x-tandem-role']).toBe('admin');
    for (const token of [operatorToken, 'tdm_nope']) {
      const res = await call('GET', '/secrets', { token });
      expect(res.status).toBe(token === operatorToken ? 403 : 401);
    }
  });
});
