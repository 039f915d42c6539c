/**
 * Building rollups: raw → m1 over every subject at once (raw rows are ordered by time, so this is
 * a scan of the new minutes only), m1 → h1 subject by subject (rollups are keyed by subject).
 * Samples are summed by SQLite (accumulator.ts defines the sums), scrapes in JavaScript (their
 * values are packed in BLOBs; app-fold.ts).
 * Rollup rows are written with INSERT OR REPLACE: rebuilding a bucket (after a late sample moved
 * the watermark back) replaces it, and running twice changes nothing.
 */

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
    ctx.st.minuteRollup.run(s, e);
    rollupScrapes(ctx, s, e, scrapes);
    s = e;
  }
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
    ctx.st.hourRollup.run(id, start, end);
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
