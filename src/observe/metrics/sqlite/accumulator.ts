/**
 * The columns of sample rows and how they add up. A rollup row (m1, h1) holds the same sums as the
 * rows it replaces (ticks, counts, sums, n, max, min, the latest revision), so a window read from
 * rollups equals the same window read from raw samples. Rollups are built by SQLite from these
 * definitions (rollupSql); reads fold rows in JavaScript (WindowAcc); the rollup-equality contract
 * tests hold the two together.
 *
 * The 13 latency counts are integer columns l0..l12, not a BLOB: a zero costs one header byte,
 * SQLite can sum them, and reading integers is cheaper than a Buffer per row.
 */
import type { WindowStats } from '../types.js';
import { emptyWindow, LATENCY_COUNTS } from '../window-math.js';

export const LATENCY_COLUMNS = Array.from({ length: LATENCY_COUNTS }, (_, i) => `l${i}`);

/** Raw row columns as selected (after subject_id). */
export const RAW_COLUMNS = [
  'ts',
  'interval_ms',
  'revision_id',
  'requests',
  'errors',
  'latency_sum_us',
  'inflight',
  'cpu_us',
  'rss',
  'healthy',
  'instances',
  ...LATENCY_COLUMNS,
] as const;

/** Positions in a raw row; the latency counts follow from `latency`. */
const R = {
  ts: 0,
  intervalMs: 1,
  revisionId: 2,
  requests: 3,
  errors: 4,
  latencySumUs: 5,
  inflight: 6,
  cpuUs: 7,
  rss: 8,
  healthy: 9,
  instances: 10,
  latency: 11,
} as const;

/**
 * Rollup columns after ts and revision_id, each with its aggregate over raw rows and over finer
 * rollup rows. SQL sum() of only NULLs is NULL: CPU stays "unknown" when no tick knew it.
 */
const ROLLUP_SUMS: readonly (readonly [column: string, fromRaw: string, fromRollup: string])[] = [
  ['ticks', 'count(*)', 'sum(ticks)'],
  ['up_ticks', 'sum(healthy > 0)', 'sum(up_ticks)'],
  ['covered_ms', 'sum(interval_ms)', 'sum(covered_ms)'],
  ['requests', 'sum(requests)', 'sum(requests)'],
  ['errors', 'sum(errors)', 'sum(errors)'],
  ['latency_sum_us', 'sum(latency_sum_us)', 'sum(latency_sum_us)'],
  ['inflight_sum', 'sum(inflight)', 'sum(inflight_sum)'],
  ['cpu_us', 'sum(cpu_us)', 'sum(cpu_us)'],
  ['rss_sum', 'coalesce(sum(rss), 0)', 'sum(rss_sum)'],
  ['rss_n', 'count(rss)', 'sum(rss_n)'],
  ['rss_max', 'max(rss)', 'max(rss_max)'],
  ['healthy_sum', 'sum(healthy)', 'sum(healthy_sum)'],
  ['healthy_min', 'min(healthy)', 'min(healthy_min)'],
  ['instances_sum', 'sum(instances)', 'sum(instances_sum)'],
  ...LATENCY_COLUMNS.map((c) => [c, `sum(${c})`, `sum(${c})`] as const),
];

/** Rollup row columns as selected (after subject_id); `ts` is the bucket start. */
export const ROLLUP_COLUMNS = ['ts', 'revision_id', ...ROLLUP_SUMS.map(([c]) => c)] as const;

/** Positions in a rollup row. */
const U = {
  ts: 0,
  revisionId: 1,
  ticks: 2,
  upTicks: 3,
  coveredMs: 4,
  requests: 5,
  errors: 6,
  latencySumUs: 7,
  inflightSum: 8,
  cpuUs: 9,
  rssSum: 10,
  rssN: 11,
  rssMax: 12,
  healthySum: 13,
  healthyMin: 14,
  instancesSum: 15,
  latency: 16,
} as const;

/** A raw or rollup row as selected: numbers, null where unknown; [0] is the time. */
export type Row = (number | null)[] & { 0: number };

/**
 * The statement that (re)builds the `target` rollup rows of [?, ?) from `source` (raw or a finer
 * rollup) in `bucketMs` buckets; with `perSubject`, of one subject (the first parameter).
 */
export function rollupSql(
  source: 'raw' | 'm1',
  target: 'm1' | 'h1',
  bucketMs: number,
  perSubject: boolean,
): string {
  const sums = ROLLUP_SUMS.map(([c, raw, rollup]) => `${source === 'raw' ? raw : rollup} AS ${c}`);
  const columns = ROLLUP_SUMS.map(([c]) => c);
  return `INSERT OR REPLACE INTO ${target} (subject_id, ts, revision_id, ${columns.join(', ')})
    SELECT g.subject_id, g.bucket,
      (SELECT r.revision_id FROM ${source} AS r WHERE r.subject_id = g.subject_id AND r.ts = g.last),
      ${columns.map((c) => `g.${c}`).join(', ')}
    FROM (SELECT subject_id, (ts / ${bucketMs}) * ${bucketMs} AS bucket, max(ts) AS last, ${sums.join(', ')}
      FROM ${source} WHERE ${perSubject ? 'subject_id = ? AND ' : ''}ts >= ? AND ts < ?
      GROUP BY subject_id, bucket) AS g`;
}

const min = (a: number | null, b: number): number => (a === null || b < a ? b : a);
const max = (a: number | null, b: number): number => (a === null || b > a ? b : a);

/** Folds the rows of one subject, in time order, into a window's sums. */
export class WindowAcc {
  ticks = 0;
  upTicks = 0;
  coveredMs = 0;
  requests = 0;
  errors = 0;
  latency = new Array<number>(LATENCY_COUNTS).fill(0);
  latencySumUs = 0;
  inflightSum = 0;
  cpuUs: number | null = null;
  rssSum = 0;
  rssN = 0;
  rssMax: number | null = null;
  healthySum = 0;
  healthyMin: number | null = null;
  instancesSum = 0;
  /** The revision of the latest row added. */
  revisionId = 0;

  addRaw(r: Row): void {
    const healthy = r[R.healthy] as number;
    const cpu = r[R.cpuUs] as number | null;
    const rss = r[R.rss] as number | null;
    this.ticks += 1;
    this.upTicks += healthy > 0 ? 1 : 0;
    this.coveredMs += r[R.intervalMs] as number;
    this.revisionId = r[R.revisionId] as number;
    this.requests += r[R.requests] as number;
    this.errors += r[R.errors] as number;
    for (let i = 0; i < LATENCY_COUNTS; i++) this.latency[i]! += r[R.latency + i] as number;
    this.latencySumUs += r[R.latencySumUs] as number;
    this.inflightSum += r[R.inflight] as number;
    if (cpu !== null) this.cpuUs = (this.cpuUs ?? 0) + cpu;
    if (rss !== null) {
      this.rssSum += rss;
      this.rssN += 1;
      this.rssMax = max(this.rssMax, rss);
    }
    this.healthySum += healthy;
    this.healthyMin = min(this.healthyMin, healthy);
    this.instancesSum += r[R.instances] as number;
  }

  addRollup(r: Row): void {
    const ticks = r[U.ticks] as number;
    if (ticks <= 0) return;
    const cpu = r[U.cpuUs] as number | null;
    const rssMax = r[U.rssMax] as number | null;
    const healthyMin = r[U.healthyMin] as number | null;
    this.ticks += ticks;
    this.upTicks += r[U.upTicks] as number;
    this.coveredMs += r[U.coveredMs] as number;
    this.revisionId = r[U.revisionId] as number;
    this.requests += r[U.requests] as number;
    this.errors += r[U.errors] as number;
    for (let i = 0; i < LATENCY_COUNTS; i++) this.latency[i]! += r[U.latency + i] as number;
    this.latencySumUs += r[U.latencySumUs] as number;
    this.inflightSum += r[U.inflightSum] as number;
    if (cpu !== null) this.cpuUs = (this.cpuUs ?? 0) + cpu;
    this.rssSum += r[U.rssSum] as number;
    this.rssN += r[U.rssN] as number;
    if (rssMax !== null) this.rssMax = max(this.rssMax, rssMax);
    this.healthySum += r[U.healthySum] as number;
    if (healthyMin !== null) this.healthyMin = min(this.healthyMin, healthyMin);
    this.instancesSum += r[U.instancesSum] as number;
  }

  toStats(from: number, to: number, revisionName: (id: number) => string | undefined): WindowStats {
    const w = emptyWindow(from, to);
    if (this.ticks === 0) return w;
    w.ticks = this.ticks;
    w.upTicks = this.upTicks;
    w.coveredMs = this.coveredMs;
    w.requests = this.requests;
    w.errors = this.errors;
    w.latency = [...this.latency];
    w.latencySumMs = this.latencySumUs / 1000;
    w.cpuSeconds = this.cpuUs === null ? null : this.cpuUs / 1e6;
    w.inflightAvg = this.inflightSum / this.ticks;
    w.rssAvg = this.rssN > 0 ? this.rssSum / this.rssN : null;
    w.rssMax = this.rssMax;
    w.healthyAvg = this.healthySum / this.ticks;
    w.healthyMin = this.healthyMin;
    w.instancesAvg = this.instancesSum / this.ticks;
    const revision = revisionName(this.revisionId);
    if (revision !== undefined) w.revision = revision;
    return w;
  }
}
