/**
 * The metrics file: its own SQLite database (not the main store: a hot write path with its own
 * lifetime), opened with better-sqlite3 directly.
 *
 * Wide rows: one row per (subject, tick) or (subject, minute / hour) with fixed integer columns,
 * the 13 latency counts included; one row per (subject, scrape) for application metrics with all its series
 * packed in a BLOB. Subjects, revisions and series are interned to small integers. Every data
 * table is WITHOUT ROWID (the key is the row: no separate rowid tree). Columns are declared
 * INTEGER so integral numbers are stored as 0–8 byte integers; the odd fractional value stays a
 * REAL.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TandemError } from '../../../errors.js';
import { logger } from '../../../log/logger.js';
import { LATENCY_COLUMNS } from './accumulator.js';

/** 2: latency counts as columns, raw keyed by time (1 was never released). */
export const SCHEMA_VERSION = 2;

/** Passed to better-sqlite3 so it loads the addon by path (see src/store/sqlite/backend.ts). */
const nativeBinding = createRequire(import.meta.url).resolve(
  'better-sqlite3/build/Release/better_sqlite3.node',
);

const BUSY_TIMEOUT_MS = 5000;
/** The WAL is truncated back to this after a checkpoint, so it never holds on to a burst's size. */
const JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024;

const SAMPLE_COLUMNS = `
  subject_id INTEGER NOT NULL,
  ts INTEGER NOT NULL`;

const RAW = `
  interval_ms INTEGER NOT NULL,
  revision_id INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  latency_sum_us INTEGER NOT NULL,
  inflight INTEGER NOT NULL,
  cpu_us INTEGER,
  rss INTEGER,
  healthy INTEGER NOT NULL,
  instances INTEGER NOT NULL,
  ${LATENCY_COLUMNS.map((c) => `${c} INTEGER NOT NULL`).join(', ')}`;

const ROLLUP = `
  revision_id INTEGER NOT NULL,
  ticks INTEGER NOT NULL,
  up_ticks INTEGER NOT NULL,
  covered_ms INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  latency_sum_us INTEGER NOT NULL,
  inflight_sum INTEGER NOT NULL,
  cpu_us INTEGER,
  rss_sum INTEGER NOT NULL,
  rss_n INTEGER NOT NULL,
  rss_max INTEGER,
  healthy_sum INTEGER NOT NULL,
  healthy_min INTEGER,
  instances_sum INTEGER NOT NULL,
  ${LATENCY_COLUMNS.map((c) => `${c} INTEGER NOT NULL`).join(', ')}`;

/**
 * Raw tables are keyed by (ts, subject_id): each tick appends at the end of the tree, so a tick
 * dirties a handful of pages instead of one per subject (measured: 1.6 vs 12 ms per tick of 200
 * rows, and 25× less written to the WAL), and expiry is one range delete. Reads of one subject
 * scan a time range across subjects, which is why reads take only the unrolled edges of a window
 * from raw (see plan.ts). Rollups, written once a minute or hour and read over long ranges, are
 * keyed by (subject_id, ts).
 */
const table = (name: string, columns: string, key: 'time' | 'subject') =>
  `CREATE TABLE IF NOT EXISTS ${name} (${SAMPLE_COLUMNS},${columns},
  PRIMARY KEY (${key === 'time' ? 'ts, subject_id' : 'subject_id, ts'})) WITHOUT ROWID;`;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subjects (
  id INTEGER PRIMARY KEY,
  environment TEXT NOT NULL,
  service TEXT NOT NULL,
  instance TEXT NOT NULL,
  UNIQUE (environment, service, instance));
CREATE TABLE IF NOT EXISTS revisions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  labels TEXT NOT NULL,
  kind INTEGER NOT NULL,
  UNIQUE (name, labels, kind));
${table('raw', RAW, 'time')}
${table('m1', ROLLUP, 'subject')}
${table('h1', ROLLUP, 'subject')}
${table('app_raw', '\n  data BLOB NOT NULL', 'time')}
${table('app_m1', '\n  n INTEGER NOT NULL,\n  data BLOB NOT NULL', 'subject')}
${table('app_h1', '\n  n INTEGER NOT NULL,\n  data BLOB NOT NULL', 'subject')}
`;

export type Db = BetterSqlite3.Database;

/**
 * Opens (creating when missing) the metrics file: WAL, synchronous=NORMAL (a crash may lose the
 * last ticks, never corrupt), incremental auto-vacuum (set before the first table, so that
 * compaction can hand freed pages back to the file system after a large delete).
 */
export function openMetricsDb(file: string): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS, nativeBinding });
  } catch (err) {
    throw unavailable(file, err);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('auto_vacuum = INCREMENTAL');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (file !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
      logger().warn(
        { file, mode },
        'SQLite refused WAL journal mode for the metrics file; readers will block writes',
      );
    }
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    const found = hasMeta
      ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as
          | number
          | undefined)
      : undefined;
    if (found !== undefined && found !== SCHEMA_VERSION) {
      throw new TandemError(
        'TANDEM_METRICS_SCHEMA',
        `the metrics file ${file} has schema version ${found}, this Tandem reads version ${SCHEMA_VERSION}: ` +
          'stop Tandem and delete the file (it only holds metrics history) or use a matching Tandem version',
      );
    }
    db.exec('BEGIN IMMEDIATE');
    db.exec(DDL);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    if (err instanceof TandemError) throw err;
    throw unavailable(file, err);
  }
  return db;
}

function unavailable(file: string, err: unknown): TandemError {
  const why = err instanceof Error ? err.message : String(err);
  return new TandemError('TANDEM_METRICS_UNAVAILABLE', `cannot open the metrics file ${file}: ${why}`, {
    cause: err,
  });
}
