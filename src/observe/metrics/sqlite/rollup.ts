/**
 * Building rollups: raw → m1 over every subject at once (raw rows are ordered by time, so this is
 * a scan of the new minutes only), m1 → h1 subject by subject (rollups are keyed by subject).
 * Rollup rows are written with INSERT OR REPLACE: rebuilding a bucket (after a late sample moved
 * the watermark back) replaces it, and running twice changes nothing.
 */
import { type RawRow, type RollupRow, WindowAcc } from './accumulator.js';
import { AppRollupBuilder, appValues } from './app-fold.js';
import type { ByteWriter } from './codec.js';
import { floorTo, HOUR_MS, MINUTE_MS } from './plan.js';
import type { Statements } from './statements.js';

export interface RollupContext {
  st: Statements;
  writer: ByteWriter;
  isCounter: (seriesId: number) => boolean;
}

/** Raw minutes are rolled up this many at a time, so a long backlog never sits in memory whole. */
const CHUNK_MS = 10 * MINUTE_MS;
/** How far back in raw the previous scrape of a counter is looked for (longest scrape interval). */
const BASELINE_LOOKBACK_MS = 15 * MINUTE_MS;

/**
 * The values of the subject's latest app row before `t`: a raw scrape in the lookback, else the
 * last value in the latest complete m1 or h1 bucket. The first step of a counter in a window is
 * taken from these, by reads and by the minute rollup alike, so that both give the same increase.
 */
export function appBaseline(st: Statements, id: number, t: number): Map<number, number> {
  const data = (st.lastApp.app_raw.get(id, t - 1, t - BASELINE_LOOKBACK_MS) ??
    st.lastApp.app_m1.get(id, t - MINUTE_MS) ??
    st.lastApp.app_h1.get(id, t - HOUR_MS)) as Buffer | undefined;
  return data === undefined ? new Map() : appValues(data);
}

/** Rolls raw samples and scrapes in [start, end) (minute-aligned) into m1 rows, all subjects. */
export function rollupMinutes(ctx: RollupContext, start: number, end: number): void {
  const scrapes = new Map<number, AppRollupBuilder>();
  let s = start;
  while (s < end) {
    // Skip stretches without data in one step (a store that was stopped for days).
    const first = Math.min(
      (ctx.st.firstRaw.get(s) as number | null) ?? Number.POSITIVE_INFINITY,
      (ctx.st.firstAppRaw.get(s) as number | null) ?? Number.POSITIVE_INFINITY,
    );
    if (first >= end) break;
    s = Math.max(s, floorTo(first, MINUTE_MS));
    const e = Math.min(end, s + CHUNK_MS);
    rollupSamples(ctx, s, e);
    rollupScrapes(ctx, s, e, scrapes);
    s = e;
  }
}

function rollupSamples(ctx: RollupContext, start: number, end: number): void {
  const open = new Map<number, { bucket: number; acc: WindowAcc }>();
  const flush = (id: number, o: { bucket: number; acc: WindowAcc }) =>
    ctx.st.insertRollup.m1.run(id, ...o.acc.toRollupRow(o.bucket, ctx.writer));
  // [...RAW_COLUMNS, subject_id]: the row is a RawRow as it comes.
  for (const row of ctx.st.rawRange.all(start, end) as (RawRow & { 12: number })[]) {
    const id = row[12];
    const bucket = floorTo(row[0], MINUTE_MS);
    let o = open.get(id);
    if (o === undefined || o.bucket !== bucket) {
      if (o !== undefined) flush(id, o);
      o = { bucket, acc: new WindowAcc() };
      open.set(id, o);
    }
    o.acc.addRaw(row);
  }
  for (const [id, o] of open) flush(id, o);
}

/** `builders` carries each subject's counter values from one chunk to the next. */
function rollupScrapes(
  ctx: RollupContext,
  start: number,
  end: number,
  builders: Map<number, AppRollupBuilder>,
): void {
  const buckets = new Map<number, number>();
  const flush = (id: number) => {
    const row = builders.get(id)!.flush(ctx.writer);
    if (row !== undefined) ctx.st.insertAppRollup.app_m1.run(id, buckets.get(id)!, row.n, row.data);
  };
  for (const [ts, data, id] of ctx.st.appRawRange.all(start, end) as [number, Buffer, number][]) {
    const bucket = floorTo(ts, MINUTE_MS);
    let builder = builders.get(id);
    if (builder === undefined) {
      builder = new AppRollupBuilder(ctx.isCounter, appBaseline(ctx.st, id, bucket));
      builders.set(id, builder);
    } else if (buckets.get(id) !== bucket) flush(id);
    buckets.set(id, bucket);
    builder.addRaw(data);
  }
  // The chunk ends on a minute boundary: every open bucket is complete.
  for (const id of buckets.keys()) flush(id);
}

/** Rolls the subjects' m1 rows in [start, end) (hour-aligned) into h1 rows. */
export function rollupHours(ctx: RollupContext, ids: readonly number[], start: number, end: number): void {
  for (const id of ids) {
    let acc: WindowAcc | undefined;
    let bucket = 0;
    const flush = () => {
      if (acc !== undefined) ctx.st.insertRollup.h1.run(id, ...acc.toRollupRow(bucket, ctx.writer));
    };
    for (const row of ctx.st.select.m1.all(id, start, end) as RollupRow[]) {
      const b = floorTo(row[0], HOUR_MS);
      if (acc === undefined || b !== bucket) {
        flush();
        acc = new WindowAcc();
        bucket = b;
      }
      acc.addRollup(row);
    }
    flush();

    const builder = new AppRollupBuilder(ctx.isCounter);
    let appBucket = 0;
    const flushApp = () => {
      const row = builder.flush(ctx.writer);
      if (row !== undefined) ctx.st.insertAppRollup.app_h1.run(id, appBucket, row.n, row.data);
    };
    for (const [ts, n, data] of ctx.st.selectApp.app_m1.all(id, start, end) as [number, number, Buffer][]) {
      const b = floorTo(ts, HOUR_MS);
      if (b !== appBucket) {
        flushApp();
        appBucket = b;
      }
      builder.addRollup(n, data);
    }
    flushApp();
  }
}
