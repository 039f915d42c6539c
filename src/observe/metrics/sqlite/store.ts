/**
 * The built-in metrics store: MetricsStore over one SQLite file (see schema.ts for the layout,
 * plan.ts for how reads pick their tables, accumulator.ts and app-fold.ts for the arithmetic).
 *
 * Writes are synchronous and one transaction per call (one collector tick). `compact(now)` rolls
 * complete minutes into m1 and complete hours into h1 past persisted watermarks, then drops what
 * is past retention; raw rows are only dropped once rolled up. A sample arriving for a minute
 * already rolled up (a late or repeated write) moves the watermarks back so that reads take it
 * from raw and the next compaction rebuilds the buckets (rollup rows are replaced, never added to).
 *
 * Meant for one writing process (the control plane), but safe with others opening the same file:
 * every write, compaction and read is one transaction that starts by reading the watermarks, and
 * ids missing from the cache are looked up in the file before being created.
 */
import { statSync } from 'node:fs';
import { TandemError } from '../../../errors.js';
import { logger } from '../../../log/logger.js';
import type {
  AppSample,
  MetricsStore,
  Resolution,
  Retention,
  Sample,
  Subject,
  WindowStats,
} from '../types.js';
import { DEFAULT_RETENTION } from '../types.js';
import { type Row, WindowAcc } from './accumulator.js';
import { AppReadAcc } from './app-fold.js';
import { ByteWriter, writeAppEntry } from './codec.js';
import { Ids, KIND_COUNTER } from './ids.js';
import { floorTo, HOUR_MS, MINUTE_MS, planRead, type Table, type Watermarks } from './plan.js';
import { appBaseline, rollupHours, rollupMinutes } from './rollup.js';
import { cleanPoint, cleanSample, validSubject } from './sanitize.js';
import { type Db, openMetricsDb } from './schema.js';
import { type AnyTable, APP_TABLE, prepareStatements, type Statements, TABLES } from './statements.js';

export interface SqliteMetricsStoreOptions {
  /** The metrics file (e.g. `.tandem/metrics.sqlite`), or ':memory:'. */
  file: string;
  retention?: Partial<Retention>;
  /** The clock reads pick their resolution with (and late samples are judged by); Date.now by default. */
  now?: () => number;
}

export interface SqliteMetricsStore extends MetricsStore {
  readonly file: string;
  readonly retention: Retention;
  /** Rows per table (raw, m1, h1 and their app_ counterparts), for benches and diagnostics. */
  tableRows(): Record<AnyTable, number>;
}

/** A series() call may not ask for more points than this. */
export const MAX_SERIES_POINTS = 10_000;
/** Free pages kept for reuse (at most; an eighth of a small file); the rest go back to the file system. */
const VACUUM_SLACK_PAGES = 2048;

export function openSqliteMetricsStore(opts: SqliteMetricsStoreOptions): SqliteMetricsStore {
  return new Store(opts.file, resolveRetention(opts.retention), opts.now ?? Date.now);
}

function resolveRetention(partial: Partial<Retention> | undefined): Retention {
  const r: Retention = { ...DEFAULT_RETENTION };
  for (const key of ['rawMs', 'minuteMs', 'hourMs'] as const) {
    const v = partial?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new TandemError(
        'TANDEM_METRICS_RETENTION',
        `metrics retention ${key} must be a positive number of ms, got ${v}`,
        {
          exitCode: 2,
        },
      );
    }
    r[key] = v;
  }
  return r;
}

class Store implements SqliteMetricsStore {
  readonly file: string;
  readonly retention: Retention;
  readonly #now: () => number;
  readonly #db: Db;
  readonly #st: Statements;
  readonly #writer = new ByteWriter();
  readonly #ids: Ids;
  readonly #wm: Watermarks = { minute: 0, hour: 0 };
  /** The retention cut-offs applied since open, so a compaction deletes only when they moved. */
  readonly #cuts: Partial<Record<AnyTable, number>> = {};
  #closed = false;

  constructor(file: string, retention: Retention, now: () => number) {
    this.file = file;
    this.retention = retention;
    this.#now = now;
    this.#db = openMetricsDb(file);
    this.#st = prepareStatements(this.#db);
    this.#ids = new Ids(this.#st);
  }

  /**
   * The watermarks, read again at the start of every transaction: another process may have
   * compacted the file (reads through a stale watermark would look for raw rows already gone).
   */
  #loadWatermarks(): void {
    this.#wm.minute = 0;
    this.#wm.hour = 0;
    for (const [key, value] of this.#st.allMeta.all() as [string, number][]) {
      if (key === 'minute_wm') this.#wm.minute = value;
      if (key === 'hour_wm') this.#wm.hour = value;
    }
  }

  /** Runs a read in one read transaction: one snapshot of the file, whoever writes meanwhile. */
  #read<T>(read: () => T): T {
    return this.#db.transaction(() => {
      this.#loadWatermarks();
      return read();
    })();
  }

  /**
   * Stores one tick (samples and scrapes) in one transaction. Unusable input is dropped or clamped,
   * never thrown; a database failure (disk full, a lock held past the busy timeout) throws. After
   * close() it does nothing: a last tick racing shutdown is not an error.
   */
  write(samples: readonly Sample[], app: readonly AppSample[] = []): void {
    if (this.#closed) return;
    const now = this.#now();
    let dropped = 0;
    const run = this.#db.transaction(() => {
      this.#loadWatermarks();
      for (const s of Array.isArray(samples) ? samples : []) {
        const c = cleanSample(s);
        if (c === undefined || !this.#accept(c.at, now)) {
          dropped++;
          continue;
        }
        this.#st.insertRaw.run(
          this.#ids.subject(c, true),
          c.at,
          c.intervalMs,
          this.#ids.revision(c.revision),
          c.requests,
          c.errors,
          c.latencySumUs,
          c.inflight,
          c.cpuUs,
          c.rss,
          c.healthy,
          c.instances,
          ...c.latency,
        );
      }
      for (const a of Array.isArray(app) ? app : []) {
        if (!this.#writeApp(a, now)) dropped++;
      }
    });
    try {
      run.immediate();
    } catch (err) {
      this.#ids.load();
      throw err;
    }
    if (dropped > 0) logger().debug({ dropped }, 'metrics: dropped unusable or too late samples');
  }

  #writeApp(a: AppSample, now: number): boolean {
    if (a === null || typeof a !== 'object' || !validSubject(a)) return false;
    if (typeof a.at !== 'number' || !Number.isFinite(a.at) || a.at < 0) return false;
    const at = Math.round(a.at);
    if (!this.#accept(at, now)) return false;
    const values = new Map<number, number>();
    for (const p of Array.isArray(a.points) ? a.points : []) {
      const c = cleanPoint(p);
      if (c !== undefined) values.set(this.#ids.series(c.kind, c.name, c.labels), c.value);
    }
    // A scrape with nothing usable is not a row (and does not replace one written before).
    if (values.size === 0) return true;
    const w = this.#writer;
    w.reset();
    for (const id of [...values.keys()].sort((x, y) => x - y)) writeAppEntry(w, id, values.get(id)!);
    this.#st.insertAppRaw.run(this.#ids.subject(a, true), at, w.toBuffer());
    return true;
  }

  /**
   * Whether a sample at `at` can still be stored. One for a minute already rolled up moves the
   * watermarks back (its minute's raw rows are all still there: raw rows go a whole minute at a
   * time, and only past raw retention); one older than raw retention is dropped.
   */
  #accept(at: number, now: number): boolean {
    if (at >= this.#wm.minute) return true;
    const minute = floorTo(at, MINUTE_MS);
    if (minute < floorTo(now - this.retention.rawMs, MINUTE_MS)) return false;
    this.#setWatermarks(minute, Math.min(this.#wm.hour, floorTo(at, HOUR_MS)));
    return true;
  }

  #setWatermarks(minute: number, hour: number): void {
    if (minute !== this.#wm.minute) this.#st.setMeta.run('minute_wm', minute);
    if (hour !== this.#wm.hour) this.#st.setMeta.run('hour_wm', hour);
    this.#wm.minute = minute;
    this.#wm.hour = hour;
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  window(subject: Subject, from: number, to: number): WindowStats {
    return this.#read(() => this.#window(subject, from, to));
  }

  #window(subject: Subject, from: number, to: number): WindowStats {
    const acc = new WindowAcc();
    const id = this.#readable(subject, from, to);
    if (id !== undefined) {
      for (const seg of planRead(from, to, this.#now(), this.retention, this.#wm).segments) {
        this.#rows(seg.table, id, seg.from, seg.to, (_ts, add) => add(acc));
      }
    }
    return acc.toStats(from, to, (rid) => this.#ids.revisionName(rid));
  }

  series(
    subject: Subject,
    from: number,
    to: number,
    stepMs: number,
  ): { resolution: Resolution; points: WindowStats[] } {
    if (!Number.isFinite(from) || !Number.isFinite(to) || !(stepMs > 0) || !Number.isFinite(stepMs)) {
      throw new TandemError(
        'TANDEM_METRICS_QUERY',
        `a metrics series needs finite from/to and a step > 0 ms`,
      );
    }
    const count = to > from ? Math.ceil((to - from) / stepMs) : 0;
    if (count > MAX_SERIES_POINTS) {
      throw new TandemError(
        'TANDEM_METRICS_QUERY',
        `a metrics series of ${count} points is too long (at most ${MAX_SERIES_POINTS}): use a larger step`,
      );
    }
    return this.#read(() => {
      const plan = planRead(from, to, this.#now(), this.retention, this.#wm, stepMs);
      const accs = Array.from({ length: count }, () => new WindowAcc());
      const id = this.#readable(subject, from, to);
      if (id !== undefined) {
        for (const seg of plan.segments) {
          this.#rows(seg.table, id, seg.from, seg.to, (ts, add) => {
            const acc = accs[Math.floor((ts - from) / stepMs)];
            if (acc !== undefined) add(acc);
          });
        }
      }
      const names = (rid: number) => this.#ids.revisionName(rid);
      const points = accs.map((acc, i) =>
        acc.toStats(from + i * stepMs, Math.min(to, from + (i + 1) * stepMs), names),
      );
      return { resolution: plan.resolution, points };
    });
  }

  app(
    subject: Subject,
    name: string,
    labels: Record<string, string>,
    from: number,
    to: number,
  ): { kind: 'counter' | 'gauge'; value: number; samples: number } | undefined {
    return this.#read(() => this.#app(subject, name, labels, from, to));
  }

  #app(
    subject: Subject,
    name: string,
    labels: Record<string, string>,
    from: number,
    to: number,
  ): { kind: 'counter' | 'gauge'; value: number; samples: number } | undefined {
    const id = this.#readable(subject, from, to);
    if (id === undefined) return undefined;
    const matching: [number, number][] = [];
    for (const [sid, json, kind] of this.#st.seriesByName.all(name) as [number, string, number][]) {
      const have = JSON.parse(json) as Record<string, string>;
      if (Object.entries(labels ?? {}).every(([k, v]) => have[k] === v)) matching.push([sid, kind]);
    }
    const first = matching[0];
    if (first === undefined) return undefined;
    const kind = first[1] === KIND_COUNTER ? 'counter' : 'gauge';
    const acc = new AppReadAcc(kind, new Set(matching.filter(([, k]) => k === first[1]).map(([sid]) => sid)));
    for (const seg of planRead(from, to, this.#now(), this.retention, this.#wm).segments) {
      const table = APP_TABLE[seg.table];
      if (table === 'app_raw') {
        if (kind === 'counter') acc.setBaseline(appBaseline(this.#st, id, seg.from));
        for (const [, data] of this.#st.selectApp.app_raw.all(id, seg.from, seg.to) as [number, Buffer][]) {
          acc.addRaw(data);
        }
      } else {
        for (const [, n, data] of this.#st.selectApp[table].all(id, seg.from, seg.to) as [
          number,
          number,
          Buffer,
        ][]) {
          acc.addRollup(n, data);
        }
      }
    }
    return acc.samples === 0 ? undefined : { kind, value: acc.value(), samples: acc.samples };
  }

  /**
   * Subjects with a sample or scrape since `since` (to the rollup bucket: a subject whose last data
   * falls in the minute, or past raw retention the hour, holding `since` is listed too). Rolled-up
   * minutes are looked up in m1, so only the raw tail past the watermark is scanned.
   */
  subjects(since: number): Subject[] {
    if (Number.isNaN(since)) return [];
    const rows = this.#read(
      () =>
        this.#st.subjectsSince.all({
          since: Math.max(since, this.#wm.minute, 0),
          minute: since - MINUTE_MS,
          hour: since - HOUR_MS,
        }) as [string, string, string][],
    );
    return rows.map(([environment, service, instance]) => ({ environment, service, instance }));
  }

  /** The subject's id when the window can hold data. */
  #readable(subject: Subject, from: number, to: number): number | undefined {
    if (!(from < to) || !validSubject(subject ?? {})) return undefined;
    return this.#ids.subject(subject, false);
  }

  /** Calls `visit` with each row of one table in [from, to) and a way to add it to an accumulator. */
  #rows(
    table: Table,
    id: number,
    from: number,
    to: number,
    visit: (ts: number, add: (a: WindowAcc) => void) => void,
  ) {
    if (table === 'raw') {
      for (const row of this.#st.select.raw.all(id, from, to) as Row[]) visit(row[0], (a) => a.addRaw(row));
    } else {
      for (const row of this.#st.select[table].all(id, from, to) as Row[]) {
        visit(row[0], (a) => a.addRollup(row));
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Compaction

  compact(now: number): void {
    if (this.#closed || !Number.isFinite(now)) return;
    const run = this.#db.transaction(() => {
      this.#loadWatermarks();
      const ids = (this.#st.allSubjects.all() as [number][]).map((r) => r[0]);
      const ctx = { st: this.#st, writer: this.#writer, isCounter: (id: number) => this.#ids.isCounter(id) };
      const minuteEnd = floorTo(now, MINUTE_MS);
      if (minuteEnd > this.#wm.minute) {
        rollupMinutes(ctx, this.#wm.minute, minuteEnd);
        this.#setWatermarks(minuteEnd, this.#wm.hour);
      }
      const hourEnd = Math.min(floorTo(now, HOUR_MS), floorTo(this.#wm.minute, HOUR_MS));
      const hourly = hourEnd > this.#wm.hour;
      if (hourly) {
        rollupHours(ctx, ids, this.#wm.hour, hourEnd);
        this.#setWatermarks(this.#wm.minute, hourEnd);
      }
      // Nothing is dropped before it is rolled up; raw goes a whole minute at a time.
      const r = this.retention;
      const raw = floorTo(Math.min(now - r.rawMs, this.#wm.minute), MINUTE_MS);
      const m1 = floorTo(Math.min(now - r.minuteMs, this.#wm.hour), HOUR_MS);
      const h1 = floorTo(now - r.hourMs, HOUR_MS);
      const cuts: Record<AnyTable, number> = { raw, app_raw: raw, m1, app_m1: m1, h1, app_h1: h1 };
      for (const t of TABLES) {
        if ((this.#cuts[t] ?? Number.NEGATIVE_INFINITY) >= cuts[t]) continue;
        if (t === 'raw' || t === 'app_raw') this.#st.deleteRawBefore[t].run(cuts[t]);
        else for (const id of ids) this.#st.deleteRollupBefore[t].run(id, cuts[t]);
        this.#cuts[t] = cuts[t];
      }
      if (hourly && this.#st.deleteUnusedSubjects.run().changes > 0) this.#ids.load();
    });
    run.immediate();
    // Freed pages are reused by later writes; only a surplus (a large expiry) goes back to the disk.
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const slack = Math.min(VACUUM_SLACK_PAGES, Math.max(64, Math.floor(pages / 8)));
    if (free > slack) this.#db.pragma(`incremental_vacuum(${free - slack})`);
  }

  // ------------------------------------------------------------------------------------------

  size(): { bytes: number; rows: Record<Resolution | 'app', number> } {
    const n = this.tableRows();
    return {
      bytes: this.#bytes(),
      rows: { raw: n.raw, '1m': n.m1, '1h': n.h1, app: n.app_raw + n.app_m1 + n.app_h1 },
    };
  }

  tableRows(): Record<AnyTable, number> {
    return Object.fromEntries(TABLES.map((t) => [t, this.#st.count[t].get() as number])) as Record<
      AnyTable,
      number
    >;
  }

  #bytes(): number {
    if (this.file === ':memory:' || this.file === '') {
      const pages = this.#db.pragma('page_count', { simple: true }) as number;
      return pages * (this.#db.pragma('page_size', { simple: true }) as number);
    }
    let total = 0;
    for (const f of [this.file, `${this.file}-wal`]) {
      try {
        total += statSync(f).size;
      } catch {
        // no WAL right now
      }
    }
    return total;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
