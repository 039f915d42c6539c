import { chmodSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../../store/store.js';
import { writeFileAtomic } from '../../util/write-file-atomic.js';

/** Where `tandem up` keeps the local admin token (the CLI's fallback when TANDEM_TOKEN is unset). */
export function localTokenPath(stateDir: string): string {
  return path.join(stateDir, 'run', 'token');
}

export interface LocalToken {
  /** The token file, or null when there is none (other admin tokens exist; use TANDEM_TOKEN). */
  path: string | null;
  /** True when a token was made now. */
  created: boolean;
}

/**
 * Makes sure the project owner can get in: keeps `<stateDir>/run/token` while its token is
 * active; when the store has no active admin token, creates one named `local` and writes it
 * there (mode 0600, atomically). A stale file is removed rather than left to fail every call.
 */
export async function ensureLocalToken(opts: {
  store: Store;
  stateDir: string;
  at?: Date;
}): Promise<LocalToken> {
  const file = localTokenPath(opts.stateDir);
  const existing = readToken(file);
  if (existing !== undefined && (await opts.store.tokens.verify(existing)) !== undefined) {
    chmodSync(file, 0o600);
    return { path: file, created: false };
  }
  if (await opts.store.tokens.hasActiveAdmin()) {
    rmSync(file, { force: true });
    return { path: null, created: false };
  }
  const { token, plaintext } = await opts.store.tokens.create({
    name: await freeName(opts.store),
    role: 'admin',
    createdBy: 'tandem up',
    ...(opts.at ? { at: opts.at } : {}),
  });
  try {
    writeFileAtomic(file, `${plaintext}\n`, 0o600);
  } catch (err) {
    // A token nobody can read is a liability: take it back.
    await opts.store.tokens.revoke(token.id, 'tandem up').catch(() => undefined);
    throw err;
  }
  return { path: file, created: true };
}

function readToken(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `local`, unless an active (non-admin) token already has that name. */
async function freeName(store: Store): Promise<string> {
  const { items } = await store.tokens.list({ limit: 1000 });
  const taken = new Set(items.map((t) => t.name));
  if (!taken.has('local')) return 'local';
  for (let i = 2; ; i++) if (!taken.has(`local-${i}`)) return `local-${i}`;
}
