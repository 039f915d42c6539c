import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMasterKey, masterKeyPath, parseMasterKey } from './master-key.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-key-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';

describe('parseMasterKey', () => {
  it('accepts 64 hex characters and base64 of 32 bytes', () => {
    const raw = randomBytes(32);
    expect(parseMasterKey(raw.toString('hex'))).toEqual(raw);
    expect(parseMasterKey(raw.toString('hex').toUpperCase())).toEqual(raw);
    expect(parseMasterKey(`${raw.toString('base64')}\n`)).toEqual(raw);
    expect(parseMasterKey(raw.toString('base64url'))).toEqual(raw);
  });

  it('rejects anything else', () => {
    for (const bad of [
      '',
      'secret',
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      'z'.repeat(64),
    ]) {
      expect(parseMasterKey(bad)).toBeUndefined();
    }
    expect(parseMasterKey(`${randomBytes(32).toString('base64')}!!`)).toBeUndefined();
  });
});

describe('loadMasterKey', () => {
  it('prefers TANDEM_MASTER_KEY', async () => {
    const raw = randomBytes(32);
    const key = await loadMasterKey(root, {
      env: { TANDEM_MASTER_KEY: raw.toString('base64') },
      create: true,
    });
    expect(key).toEqual({ key: raw, source: 'env', origin: 'TANDEM_MASTER_KEY' });
    expect(fs.existsSync(masterKeyPath(root))).toBe(false);
  });

  it('rejects an invalid TANDEM_MASTER_KEY with how to make one (exit 2)', async () => {
    const err = await loadMasterKey(root, { env: { TANDEM_MASTER_KEY: 'password123' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'TANDEM_MASTER_KEY_INVALID', exitCode: 2 });
    expect((err as Error).message).toContain('openssl rand -base64 32');
    expect((err as Error).message).not.toContain('password123');
  });

  it('returns undefined without a key unless asked to create one', async () => {
    expect(await loadMasterKey(root, { env: {} })).toBeUndefined();
    expect(fs.existsSync(masterKeyPath(root))).toBe(false);
  });

  it('creates the key file with mode 0600 and reads it back', async () => {
    const created = await loadMasterKey(root, { env: {}, create: true });
    expect(created?.source).toBe('file');
    if (posix) expect(fs.statSync(masterKeyPath(root)).mode & 0o777).toBe(0o600);
    const again = await loadMasterKey(root, { env: {} });
    expect(again?.key).toEqual(created?.key);
  });

  it('agrees on one key when several callers race to create it', async () => {
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => loadMasterKey(root, { env: {}, create: true })),
    );
    const distinct = new Set(keys.map((k) => k?.key.toString('hex')));
    expect(distinct.size).toBe(1);
  });

  it.runIf(posix)('refuses a key file other users can read', async () => {
    await loadMasterKey(root, { env: {}, create: true });
    fs.chmodSync(masterKeyPath(root), 0o644);
    const err = await loadMasterKey(root, { env: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TANDEM_MASTER_KEY_INSECURE', exitCode: 2 });
    expect((err as Error).message).toContain('chmod 600');
  });

  it('rejects a key file that does not hold a key', async () => {
    fs.mkdirSync(path.join(root, '.tandem'));
    fs.writeFileSync(masterKeyPath(root), 'not a key\n', { mode: 0o600 });
    await expect(loadMasterKey(root, { env: {} })).rejects.toMatchObject({
      code: 'TANDEM_MASTER_KEY_INVALID',
    });
  });
});
