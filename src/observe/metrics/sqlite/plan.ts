/**
 * Which tables a read takes its rows from. Pure.
 *
 * A read is served at the finest resolution whose retention still covers `from`. Rollups exist
 * only up to their watermark (the first bucket not yet rolled up), so a rollup read continues from
 * the next finer table after it: [from, hour wm) from h1, [hour wm, minute wm) from m1, the rest
 * from raw. Rollup rows belong to a range by their bucket start and raw rows by their time, and the
 * watermarks are bucket-aligned, so no sample is counted twice.
 *
 * A raw-resolution read takes the whole minutes inside it that are already rolled up from m1 (the
 * same sums, exactly: one row per subject and minute instead of twelve) and only its edges and
 * the not-yet-rolled-up tail from raw, whose rows are ordered by time across subjects (cheap to
 * append, costly to scan for one subject over a long range). Likewise whole hours come from h1.
 */
import type { Resolution, Retention } from '../types.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

export type Table = 'raw' | 'm1' | 'h1';

export interface Watermarks {
  /** Start of the first minute not yet rolled up into m1 (0: none yet). */
  minute: number;
  /** Start of the first hour not yet rolled up into h1. Never after `minute`. */
  hour: number;
}

export interface Segment {
  table: Table;
  from: number;
  to: number;
}

export interface ReadPlan {
  resolution: Resolution;
  segments: Segment[];
}

export const floorTo = (t: number, size: number): number => Math.floor(t / size) * size;
export const ceilTo = (t: number, size: number): number => Math.ceil(t / size) * size;

export function resolutionFor(from: number, now: number, retention: Retention): Resolution {
  if (from >= now - retention.rawMs) return 'raw';
  if (from >= now - retention.minuteMs) return '1m';
  return '1h';
}

/**
 * The segments of a read of [from, to), in time order. `stepMs` is the step of a series() read
 * (default: one window).
 *
 * Whole buckets of a coarser table that lie inside the read (and inside one step) are taken from
 * that table: an hour of h1 is exactly the sum of its 60 m1 rows, a minute of m1 that of its raw
 * ticks, so the result is the one the chosen resolution gives, from 1/60 of the rows (a 3-day SLO
 * window reads ~70 h1 rows and two edges instead of 4320 m1 rows).
 */
export function planRead(
  from: number,
  to: number,
  now: number,
  retention: Retention,
  wm: Watermarks,
  stepMs = to - from,
): ReadPlan {
  const resolution = resolutionFor(from, now, retention);
  const segments: Segment[] = [];
  const add = (table: Table, a: number, b: number) => {
    const s = Math.max(from, a);
    const e = Math.min(to, b);
    if (s < e) segments.push({ table, from: s, to: e });
  };
  if (resolution === '1h') {
    add('h1', from, wm.hour);
    add('m1', wm.hour, wm.minute);
    add('raw', wm.minute, to);
    return { resolution, segments };
  }
  const fits = (size: number) => stepMs >= to - from || (from % size === 0 && stepMs % size === 0);
  const useM1 = resolution === '1m' || (fits(MINUTE_MS) && retention.minuteMs >= retention.rawMs);
  // Where m1 (or at 1m resolution, m1 by bucket start) serves the read; raw serves the rest.
  const [mFrom, mTo] =
    resolution === '1m'
      ? [from, Math.max(from, Math.min(to, wm.minute))]
      : useM1
        ? [
            ceilTo(from, MINUTE_MS),
            Math.max(ceilTo(from, MINUTE_MS), Math.min(floorTo(to, MINUTE_MS), wm.minute)),
          ]
        : [to, to];
  // The whole rolled-up hours inside the m1 part.
  let hFrom = ceilTo(mFrom, HOUR_MS);
  let hTo = Math.min(floorTo(mTo, HOUR_MS), wm.hour);
  if (!(useM1 && fits(HOUR_MS) && retention.hourMs >= retention.minuteMs && hFrom < hTo)) hFrom = hTo = mTo;
  add('raw', from, mFrom);
  add('m1', mFrom, hFrom);
  add('h1', hFrom, hTo);
  add('m1', hTo, mTo);
  add('raw', mTo, to);
  return { resolution, segments };
}

/** The size of one row's bucket in a table (0 for raw samples, which are points). */
export function bucketMs(table: Table): number {
  return table === 'm1' ? MINUTE_MS : table === 'h1' ? HOUR_MS : 0;
}
