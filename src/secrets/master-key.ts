import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TandemError } from '../errors.js';
import { ensureStateDir, stateDir } from '../store/open.js';
import { KEY_BYTES } from './crypto.js';

/** The key that encrypts secrets, and where it came from (for messages). */
export interface MasterKey {
  key: Buffer;
  source: 'env' | 'file';
  /** `TANDEM_MASTER_KEY` or the key file's path. */
  origin: string;
}

export const MASTER_KEY_ENV = 'TANDEM_MASTER_KEY';
const HOW_TO_MAKE = 'make one with: openssl rand -base64 32';

export function masterKeyPath(projectRoot: string): string {
  return path.join(stateDir(projectRoot), 'master.key');
}

/** 64 hex characters or base64 (standard or URL-safe, padding optional) of exactly 32 bytes. */
export function parseMasterKey(text: string): Buffer | undefined {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return undefined;
  const key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) return undefined;
  // Reject inputs that only decode to 32 bytes by dropping stray characters.
  if (
    key.toString('base64').replace(/=+$/, '') !== s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')
  ) {
    return undefined;
  }
  return key;
}

export interface LoadMasterKeyOptions {
  env?: Record<string, string | undefined>;
  /** Create `<root>/.tandem/master.key` when there is no key at all (writing a secret). */
  create?: boolean;
}

/**
 * The master key: `TANDEM_MASTER_KEY` when set, else `<projectRoot>/.tandem/master.key`
 * (created with mode 0600 when `create` is set). Undefined when there is none and `create` is
 * off. Throws TANDEM_MASTER_KEY_INVALID (exit 2) for a malformed key or an unsafe key file.
 */
export async function loadMasterKey(
  projectRoot: string,
  options: LoadMasterKeyOptions = {},
): Promise<MasterKey | undefined> {
  const fromEnv = (options.env ?? process.env)[MASTER_KEY_ENV];
  if (fromEnv !== undefined) {
    const key = parseMasterKey(fromEnv);
    if (!key) {
      throw new TandemError(
        'TANDEM_MASTER_KEY_INVALID',
        `${MASTER_KEY_ENV} is not a valid master key: it must be 32 bytes written as 64 hex characters ` +
          `or as base64 (got ${fromEnv.trim().length} characters); ${HOW_TO_MAKE}`,
        { exitCode: 2 },
      );
    }
    return { key, source: 'env', origin: MASTER_KEY_ENV };
  }
  const file = masterKeyPath(projectRoot);
  const existing = await readKeyFile(file);
  if (existing || !options.create) return existing;
  return createKeyFile(projectRoot, file);
}

async function readKeyFile(file: string): Promise<MasterKey | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw invalid(`the master key file ${file} is not a regular file`);
    }
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new TandemError(
        'TANDEM_MASTER_KEY_INSECURE',
        `refusing the master key file ${file}: other users can access it (mode ${mode}); ` +
          `restrict it with: chmod 600 ${file}`,
        { exitCode: 2 },
      );
    }
    let text = await handle.readFile('utf8');
    // Another process may have just created it and not written it yet.
    for (let i = 0; text.length === 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await fs.readFile(file, 'utf8');
    }
    const key = parseMasterKey(text);
    if (!key) {
      throw invalid(
        `the master key file ${file} does not hold a 32-byte key (64 hex characters or base64). ` +
          `Restore it from your backup or set ${MASTER_KEY_ENV} (${HOW_TO_MAKE}); ` +
          'if no secrets are stored yet, deleting the file is safe',
      );
    }
    return { key, source: 'file', origin: file };
  } finally {
    await handle.close();
  }
}

/** Creates the key file exclusively ('wx'), so two racing processes agree on one key. */
async function createKeyFile(projectRoot: string, file: string): Promise<MasterKey> {
  ensureStateDir(projectRoot);
  const key = randomBytes(KEY_BYTES);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readKeyFile(file);
    if (!winner) throw err;
    return winner;
  }
  try {
    await handle.writeFile(`${key.toString('base64')}\n`, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(file, { force: true });
    throw err;
  }
  await handle.close();
  return { key, source: 'file', origin: file };
}

function invalid(message: string): TandemError {
  return new TandemError('TANDEM_MASTER_KEY_INVALID', message, { exitCode: 2 });
}
