/** The prepared statements of the metrics file, prepared once at open (the write path is hot). */
import type BetterSqlite3 from 'better-sqlite3';
import { RAW_COLUMNS, ROLLUP_COLUMNS, rollupSql } from './accumulator.js';
import { HOUR_MS, MINUTE_MS, type Table } from './plan.js';
import type { Db } from './schema.js';

type Statement = BetterSqlite3.Statement;

export type AppTable = 'app_raw' | 'app_m1' | 'app_h1';
export const APP_TABLE: Record<Table, AppTable> = { raw: 'app_raw', m1: 'app_m1', h1: 'app_h1' };
export const TABLES = ['raw', 'm1', 'h1', 'app_raw', 'app_m1', 'app_h1'] as const;
export type AnyTable = (typeof TABLES)[number];
export type RollupTable = 'm1' | 'h1' | 'app_m1' | 'app_h1';
export const ROLLUP_TABLES: readonly RollupTable[] = ['m1', 'h1', 'app_m1', 'app_h1'];

const placeholders = (n: number) => new Array<string>(n).fill('?').join(', ');

export interface Statements {
  insertRaw: Statement;
  insertAppRaw: Statement;
  insertAppRollup: Record<'app_m1' | 'app_h1', Statement>;
  /** (subject_id, from, to) → the subject's rows in time order, raw mode. */
  select: Record<Table, Statement>;
  /** raw: (subject_id, from, to) → [ts, data]; rollups → [ts, n, data]. */
  selectApp: Record<AppTable, Statement>;
  /** (from, to): rebuilds every subject's m1 rows of those minutes from raw, in SQLite. */
  minuteRollup: Statement;
  /** (subject_id, from, to): rebuilds the subject's h1 rows of those hours from m1. */
  hourRollup: Statement;
  /** (from, to) → every subject's app rows in time order: [ts, data, subject_id]. */
  appRawRange: Statement;
  /** (from) → the first time at or after `from` with a row, or null. */
  firstRaw: Statement;
  firstAppRaw: Statement;
  /**
   * The data of the subject's latest app row. app_raw: (subject_id, last, first), a row in
   * [first, last]; rollups: (subject_id, last), a bucket starting at or before `last`.
   */
  lastApp: Record<AppTable, Statement>;
  /** (before) deletes every row older than `before`. */
  deleteRawBefore: Record<'raw' | 'app_raw', Statement>;
  /** (subject_id, before) deletes the subject's rows older than `before`. */
  deleteRollupBefore: Record<RollupTable, Statement>;
  count: Record<AnyTable, Statement>;
  subjectId: Statement;
  insertSubject: Statement;
  allSubjects: Statement;
  subjectsSince: Statement;
  deleteUnusedSubjects: Statement;
  revisionId: Statement;
  insertRevision: Statement;
  allRevisions: Statement;
  revisionName: Statement;
  seriesId: Statement;
  seriesKind: Statement;
  insertSeries: Statement;
  allSeries: Statement;
  seriesByName: Statement;
  setMeta: Statement;
  allMeta: Statement;
}

export function prepareStatements(db: Db): Statements {
  const raw = (sql: string) => db.prepare(sql).raw(true);
  const appRollupInsert = (t: string) =>
    db.prepare(`INSERT OR REPLACE INTO ${t} (subject_id, ts, n, data) VALUES (?, ?, ?, ?)`);
  const range = (t: string, cols: string) =>
    raw(`SELECT ${cols} FROM ${t} WHERE subject_id = ? AND ts >= ? AND ts < ? ORDER BY ts`);
  const last = (t: string) =>
    db.prepare(`SELECT data FROM ${t} WHERE subject_id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1`).pluck();
  const deleteBefore = (t: string) => db.prepare(`DELETE FROM ${t} WHERE subject_id = ? AND ts < ?`);
  // Raw tables lead with ts: "which subjects" is one range scan there, a seek per subject in rollups.
  const inRaw = (t: 'raw' | 'app_raw', where: string) => `s.id IN (SELECT subject_id FROM ${t}${where})`;
  const inRollup = (t: RollupTable, where: string) =>
    `EXISTS (SELECT 1 FROM ${t} WHERE subject_id = s.id${where ? ` AND ts ${where}` : ''})`;

  return {
    insertRaw: db.prepare(
      `INSERT OR REPLACE INTO raw (subject_id, ${RAW_COLUMNS.join(', ')}) VALUES (${placeholders(RAW_COLUMNS.length + 1)})`,
    ),
    insertAppRaw: db.prepare('INSERT OR REPLACE INTO app_raw (subject_id, ts, data) VALUES (?, ?, ?)'),
    insertAppRollup: { app_m1: appRollupInsert('app_m1'), app_h1: appRollupInsert('app_h1') },
    select: {
      raw: range('raw', RAW_COLUMNS.join(', ')),
      m1: range('m1', ROLLUP_COLUMNS.join(', ')),
      h1: range('h1', ROLLUP_COLUMNS.join(', ')),
    },
    selectApp: {
      app_raw: range('app_raw', 'ts, data'),
      app_m1: range('app_m1', 'ts, n, data'),
      app_h1: range('app_h1', 'ts, n, data'),
    },
    minuteRollup: db.prepare(rollupSql('raw', 'm1', MINUTE_MS, false)),
    hourRollup: db.prepare(rollupSql('m1', 'h1', HOUR_MS, true)),
    appRawRange: raw('SELECT ts, data, subject_id FROM app_raw WHERE ts >= ? AND ts < ? ORDER BY ts'),
    firstRaw: db.prepare('SELECT min(ts) FROM raw WHERE ts >= ?').pluck(),
    firstAppRaw: db.prepare('SELECT min(ts) FROM app_raw WHERE ts >= ?').pluck(),
    lastApp: {
      app_raw: db
        .prepare(
          'SELECT data FROM app_raw WHERE subject_id = ? AND ts <= ? AND ts >= ? ORDER BY ts DESC LIMIT 1',
        )
        .pluck(),
      app_m1: last('app_m1'),
      app_h1: last('app_h1'),
    },
    deleteRawBefore: {
      raw: db.prepare('DELETE FROM raw WHERE ts < ?'),
      app_raw: db.prepare('DELETE FROM app_raw WHERE ts < ?'),
    },
    deleteRollupBefore: {
      m1: deleteBefore('m1'),
      h1: deleteBefore('h1'),
      app_m1: deleteBefore('app_m1'),
      app_h1: deleteBefore('app_h1'),
    },
    count: Object.fromEntries(
      TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck()]),
    ) as Record<AnyTable, Statement>,
    subjectId: db
      .prepare('SELECT id FROM subjects WHERE environment = ? AND service = ? AND instance = ?')
      .pluck(),
    insertSubject: db.prepare('INSERT INTO subjects (environment, service, instance) VALUES (?, ?, ?)'),
    allSubjects: raw('SELECT id, environment, service, instance FROM subjects ORDER BY id'),
    subjectsSince: raw(
      `SELECT environment, service, instance FROM subjects AS s WHERE
        ${inRaw('raw', ' WHERE ts >= @since')} OR ${inRaw('app_raw', ' WHERE ts >= @since')} OR
        ${inRollup('m1', '> @minute')} OR ${inRollup('app_m1', '> @minute')} OR
        ${inRollup('h1', '> @hour')} OR ${inRollup('app_h1', '> @hour')}
       ORDER BY environment, service, instance`,
    ),
    deleteUnusedSubjects: db.prepare(
      `DELETE FROM subjects AS s WHERE NOT (${inRaw('raw', '')} OR ${inRaw('app_raw', '')} OR
        ${ROLLUP_TABLES.map((t) => inRollup(t, '')).join(' OR ')})`,
    ),
    revisionId: db.prepare('SELECT id FROM revisions WHERE name = ?').pluck(),
    insertRevision: db.prepare('INSERT INTO revisions (name) VALUES (?)'),
    allRevisions: raw('SELECT id, name FROM revisions'),
    revisionName: db.prepare('SELECT name FROM revisions WHERE id = ?').pluck(),
    seriesId: db.prepare('SELECT id FROM series WHERE name = ? AND labels = ? AND kind = ?').pluck(),
    seriesKind: db.prepare('SELECT kind FROM series WHERE id = ?').pluck(),
    insertSeries: db.prepare('INSERT INTO series (name, labels, kind) VALUES (?, ?, ?)'),
    allSeries: raw('SELECT id, name, labels, kind FROM series'),
    seriesByName: raw('SELECT id, labels, kind FROM series WHERE name = ? ORDER BY id'),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    allMeta: raw('SELECT key, value FROM meta'),
  };
}
