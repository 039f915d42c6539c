import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { masterKeyPath } from './master-key.js';
import { openVault } from './vault.js';

let root: string;
let store: Store;
const env = { TANDEM_MASTER_KEY: randomBytes(32).toString('base64') };

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-vault-'));
  store = await openStore(root);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('vault', () => {
  it('round-trips, lists names only, and removes', async () => {
    const vault = openVault(store, root, env);
    expect(await vault.set('DATABASE_URL', 'postgres://u:p@h/db')).toMatchObject({
      name: 'DATABASE_URL',
      created: true,
    });
    expect((await vault.set('DATABASE_URL', 'postgres://u:p2@h/db')).created).toBe(false);
    await vault.set('API_TOKEN', 'tok');
    expect(await vault.get('DATABASE_URL')).toBe('postgres://u:p2@h/db');
    expect(await vault.get('MISSING')).toBeUndefined();
    const listed = await vault.list();
    expect(listed.map((s) => s.name)).toEqual(['API_TOKEN', 'DATABASE_URL']);
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(['name', 'updatedAt']);

    const source = await vault.toSecretSource();
    expect(source.get('API_TOKEN')).toBe('tok');
    expect(source.values()).toEqual(['postgres://u:p2@h/db', 'tok']);

    expect(await vault.remove('API_TOKEN')).toBe(true);
    expect(await vault.remove('API_TOKEN')).toBe(false);
    expect(await vault.get('API_TOKEN')).toBeUndefined();
  });

  it('stores only ciphertext, and events carry the name only', async () => {
    const value = 'very-secret-value-0123456789';
    const vault = openVault(store, root, env);
    await vault.set('TOKEN', value);
    await vault.remove('TOKEN');
    await vault.set('TOKEN', value);
    const row = await store.db.selectFrom('secrets').selectAll().executeTakeFirstOrThrow();
    expect(row.ciphertext).not.toContain(value);
    expect(row.ciphertext).not.toContain(Buffer.from(value).toString('base64').slice(0, 16));
    const events = await store.events.list({ subjectKind: 'secret' });
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['secret.set', { name: 'TOKEN' }],
      ['secret.removed', { name: 'TOKEN' }],
      ['secret.set', { name: 'TOKEN' }],
    ]);
    const dump = JSON.stringify((await sql`select * from events`.execute(store.db)).rows);
    expect(dump).not.toContain(value);
    // Nor in the database file itself (WAL included).
    for (const file of fs.readdirSync(path.join(root, '.tandem'))) {
      const full = path.join(root, '.tandem', file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).includes(value)).toBe(false);
    }
  });

  it('reports a wrong master key as TANDEM_SECRET_UNREADABLE with what to do', async () => {
    await openVault(store, root, env).set('TOKEN', 'v');
    const other = openVault(store, root, { TANDEM_MASTER_KEY: randomBytes(32).toString('hex') });
    const err = await other.get('TOKEN').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TANDEM_SECRET_UNREADABLE' });
    expect((err as Error).message).toMatch(/TOKEN.*TANDEM_MASTER_KEY/s);
    await expect(other.toSecretSource()).rejects.toMatchObject({ code: 'TANDEM_SECRET_UNREADABLE' });
    // list and remove need no key
    expect((await other.list()).map((s) => s.name)).toEqual(['TOKEN']);
  });

  it('refuses to decrypt a ciphertext moved to another name', async () => {
    const vault = openVault(store, root, env);
    await vault.set('A', 'value-of-a');
    await vault.set('B', 'value-of-b');
    const a = await store.db
      .selectFrom('secrets')
      .select('ciphertext')
      .where('name', '=', 'A')
      .executeTakeFirstOrThrow();
    await store.db.updateTable('secrets').set({ ciphertext: a.ciphertext }).where('name', '=', 'B').execute();
    await expect(vault.get('B')).rejects.toMatchObject({ code: 'TANDEM_SECRET_UNREADABLE' });
    expect(await vault.get('A')).toBe('value-of-a');
  });

  it('creates the key file (0600) on the first set, and reads nothing without secrets', async () => {
    const vault = openVault(store, root, {});
    expect((await vault.toSecretSource()).values()).toEqual([]);
    expect(fs.existsSync(masterKeyPath(root))).toBe(false);
    await vault.set('X', 'y');
    if (process.platform !== 'win32') expect(fs.statSync(masterKeyPath(root)).mode & 0o777).toBe(0o600);
    expect(await openVault(store, root, {}).get('X')).toBe('y');
  });

  it('explains a missing key when secrets exist, and never makes a second key beside them', async () => {
    await openVault(store, root, env).set('X', 'y');
    await expect(openVault(store, root, {}).get('X')).rejects.toMatchObject({
      code: 'TANDEM_SECRET_UNREADABLE',
    });
    // Without the key they were written with, a set would leave X unreadable for good: refused.
    await expect(openVault(store, root, {}).set('Z', 'w')).rejects.toMatchObject({
      code: 'TANDEM_SECRET_UNREADABLE',
    });
    expect(fs.existsSync(masterKeyPath(root))).toBe(false);
    expect((await openVault(store, root, env).list()).map((s) => s.name)).toEqual(['X']);
  });

  it('validates names and refuses empty values (exit 2), writing nothing', async () => {
    const vault = openVault(store, root, env);
    for (const bad of ['', '1ABC', 'with-dash', 'has space', 'ü']) {
      await expect(vault.set(bad, 'v')).rejects.toMatchObject({
        code: 'TANDEM_SECRET_NAME_INVALID',
        exitCode: 2,
      });
    }
    await expect(vault.set('OK', '')).rejects.toMatchObject({ code: 'TANDEM_SECRET_EMPTY', exitCode: 2 });
    expect(await vault.list()).toEqual([]);
    expect(await store.events.list()).toEqual([]);
    await vault.set('_ok_1', 'v');
  });
});
