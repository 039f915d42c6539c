import fs from 'node:fs';
import path from 'node:path';
import { openSqliteBackend } from './sqlite/backend.js';
import { createStore, type Store } from './store.js';

/** The project's state directory: database, master key, logs, cache. */
export function stateDir(projectRoot: string): string {
  return path.join(projectRoot, '.tandem');
}

export function storePath(projectRoot: string): string {
  return path.join(stateDir(projectRoot), 'tandem.db');
}

/**
 * Creates `<projectRoot>/.tandem` when missing (mode 0700, with a `.gitignore` of `*` so the
 * database and master key are never committed). Returns its path.
 */
export function ensureStateDir(projectRoot: string): string {
  const dir = stateDir(projectRoot);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(path.join(dir, '.gitignore'), '# Tandem state: never commit it.\n*\n', { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return dir;
}

/** Opens the project's store at `<projectRoot>/.tandem/tandem.db`, creating and migrating it. */
export async function openStore(projectRoot: string): Promise<Store> {
  ensureStateDir(projectRoot);
  return openStoreAt(storePath(projectRoot));
}

interface Shared {
  store: Promise<Store>;
  refs: number;
}

/**
 * One connection per database file per process: SQLite's busy wait is synchronous, so two
 * connections of one process waiting on each other would stall the event loop. Handles to the
 * same file share it; the last `close()` closes it.
 */
const shared = new Map<string, Shared>();

/**
 * Opens the store at an explicit file, or `':memory:'` for a private in-memory database
 * (tests). The file's directory must exist.
 */
export async function openStoreAt(file: string): Promise<Store> {
  if (file === ':memory:') return createStore(openSqliteBackend(file));
  const key = canonical(file);
  let entry = shared.get(key);
  if (!entry) {
    const created: Shared = {
      store: Promise.resolve().then(() => createStore(openSqliteBackend(key))),
      refs: 0,
    };
    created.store.catch(() => {
      if (shared.get(key) === created) shared.delete(key);
    });
    shared.set(key, created);
    entry = created;
  }
  entry.refs += 1;
  let inner: Store;
  try {
    inner = await entry.store;
  } catch (err) {
    entry.refs -= 1;
    throw err;
  }
  const owner = entry;
  let closed = false;
  return {
    ...inner,
    async close() {
      if (closed) return;
      closed = true;
      owner.refs -= 1;
      if (owner.refs === 0) {
        if (shared.get(key) === owner) shared.delete(key);
        await inner.close();
      }
    },
  };
}

function canonical(file: string): string {
  const abs = path.resolve(file);
  try {
    return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}
