import { createRequire } from 'node:module';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import { TandemError } from '../../errors.js';
import { logger } from '../../log/logger.js';
import type { StoreBackend } from '../engine.js';

/**
 * The addon's path, given to better-sqlite3 directly: its default lookup (the `bindings`
 * package) probes a dozen paths on every start, and this way its JavaScript can be bundled
 * into the CLI while the native file stays in node_modules.
 */
const nativeBinding = createRequire(import.meta.url).resolve(
  'better-sqlite3/build/Release/better_sqlite3.node',
);

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Transactions start with BEGIN IMMEDIATE: the write lock is taken up front, so the busy
 * timeout applies. A deferred BEGIN that reads and then writes fails at once with SQLITE_BUSY
 * when another process wrote in between, whatever the timeout.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite has transactional DDL; Kysely's adapter says otherwise, which would run each migration unguarded. */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TandemSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
}

/**
 * Opens (creating when missing) the SQLite file at `file` (or ':memory:') with Tandem's
 * settings: WAL journal, synchronous=NORMAL, foreign keys on, a 5 s busy timeout.
 */
export function openSqliteBackend(file: string): StoreBackend {
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding });
  } catch (err) {
    throw unavailable(file, err);
  }
  try {
    // The busy timeout first, so switching to WAL waits for another process instead of failing.
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = raw.pragma('journal_mode = WAL', { simple: true });
    if (file !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
      logger().warn({ file, mode }, 'SQLite refused WAL journal mode; concurrent readers will block writers');
    }
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
  } catch (err) {
    raw.close();
    throw unavailable(file, err);
  }
  return { engine: 'sqlite', dialect: new TandemSqliteDialect({ database: raw }), location: file };
}

function unavailable(file: string, err: unknown): TandemError {
  const why = err instanceof Error ? err.message : String(err);
  return new TandemError('TANDEM_STORE_UNAVAILABLE', `cannot open the Tandem database ${file}: ${why}`, {
    cause: err,
  });
}
