import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { ensureLocalToken, localTokenPath } from './bootstrap.js';

let store: Store;
let stateDir: string;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
  stateDir = mkdtempSync(path.join(tmpdir(), 'tandem-bootstrap-'));
});
afterEach(async () => {
  await store.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe('ensureLocalToken', () => {
  it('creates an admin token named local in run/token, mode 0600, and keeps it afterwards', async () => {
    const first = await ensureLocalToken({ store, stateDir });
    const file = localTokenPath(stateDir);
    expect(first).toEqual({ path: file, created: true });
    expect(file).toBe(path.join(stateDir, 'run', 'token'));
    expect(mode(file)).toBe(0o600);
    expect(mode(path.dirname(file))).toBe(0o700);
    const plaintext = readFileSync(file, 'utf8').trim();
    expect(plaintext).toMatch(/^tdm_[0-9A-Za-z]{32}$/);
    expect(await store.tokens.verify(plaintext)).toMatchObject({
      name: 'local',
      role: 'admin',
      createdBy: 'tandem up',
    });

    const again = await ensureLocalToken({ store, stateDir });
    expect(again).toEqual({ path: file, created: false });
    expect(readFileSync(file, 'utf8').trim()).toBe(plaintext);
    expect((await store.tokens.list()).items).toHaveLength(1);
    // No temp file is left behind by the atomic write.
    expect(readdirSync(path.dirname(file))).toEqual(['token']);
  });

  it('replaces a revoked token when no admin is left; repairs a loosened mode', async () => {
    await ensureLocalToken({ store, stateDir });
    const file = localTokenPath(stateDir);
    const old = readFileSync(file, 'utf8').trim();
    await store.tokens.revoke('local', 'someone');
    const next = await ensureLocalToken({ store, stateDir });
    expect(next.created).toBe(true);
    const fresh = readFileSync(file, 'utf8').trim();
    expect(fresh).not.toBe(old);
    expect(await store.tokens.verify(fresh)).toMatchObject({ name: 'local', role: 'admin' });

    chmodSync(file, 0o644);
    expect(await ensureLocalToken({ store, stateDir })).toEqual({ path: file, created: false });
    expect(mode(file)).toBe(0o600);
  });

  it('creates nothing when another admin token exists, and removes a stale file', async () => {
    await ensureLocalToken({ store, stateDir });
    await store.tokens.create({ name: 'alice', role: 'admin', createdBy: 'local' });
    await store.tokens.revoke('local', 'alice');
    expect(await ensureLocalToken({ store, stateDir })).toEqual({ path: null, created: false });
    expect(() => statSync(localTokenPath(stateDir))).toThrow(/ENOENT/);
    expect((await store.tokens.list()).items.map((t) => t.name)).toEqual(['alice']);
  });

  it('picks another name when a non-admin token is called local', async () => {
    await store.tokens.create({ name: 'local', role: 'viewer', createdBy: 'x' });
    await ensureLocalToken({ store, stateDir });
    const plaintext = readFileSync(localTokenPath(stateDir), 'utf8').trim();
    expect(await store.tokens.verify(plaintext)).toMatchObject({ name: 'local-2', role: 'admin' });
  });
});
