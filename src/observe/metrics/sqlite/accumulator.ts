/**
 * Folds raw rows and rollup rows of one subject into exact sums, from which both WindowStats (reads)
 * and the next rollup row (compaction) are built. Because a rollup row holds the same sums as the
 * raw rows it replaces (ticks, counts, sums, n, max, min), a window read from rollups equals the
 * same window read from raw samples.
 */
import type { WindowStats } from '../types.js';
import { emptyWindow, LATENCY_COUNTS } from '../window-math.js';
import { addLatency, type ByteWriter, encodeLatency } from './codec.js';

/** Column order of raw rows as selected (after subject_id). */
export const RAW_COLUMNS = [
  'ts',
  'interval_ms',
  'revision_id',
  'requests',
  'errors',
  'latency',
  'latency_sum_us',
  'inflight',
  'cpu_us',
  'rss',
  'healthy',
  'instances',
] as const;

export type RawRow = [
  ts: number,
  intervalMs: number,
  revisionId: number,
  requests: number,
  errors: number,
  latency: Uint8Array | null,
  latencySumUs: number,
  inflight: number,
  cpuUs: number | null,
  rss: number | null,
  healthy: number,
  instances: number,
];

/** Column order of rollup rows (m1, h1) as selected (after subject_id); `ts` is the bucket start. */
export const ROLLUP_COLUMNS = [
  'ts',
  'ticks',
  'up_ticks',
  'covered_ms',
  'revision_id',
  'requests',
  'errors',
  'latency',
  'latency_sum_us',
  'inflight_sum',
  'cpu_us',
  'rss_sum',
  'rss_n',
  'rss_max',
  'healthy_sum',
  'healthy_min',
  'instances_sum',
] as const;

export type RollupRow = [
  ts: number,
  ticks: number,
  upTicks: number,
  coveredMs: number,
  revisionId: number,
  requests: number,
  errors: number,
  latency: Uint8Array | null,
  latencySumUs: number,
  inflightSum: number,
  cpuUs: number | null,
  rssSum: number,
  rssN: number,
  rssMax: number | null,
  healthySum: number,
  healthyMin: number | null,
  instancesSum: number,
];

const min = (a: number | null, b: number): number => (a === null || b < a ? b : a);
const max = (a: number | null, b: number): number => (a === null || b > a ? b : a);

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
  /** The revision of the latest row added (rows come in time order). */
  revisionId = 0;

  addRaw(r: RawRow): void {
    this.ticks += 1;
    this.upTicks += r[10] > 0 ? 1 : 0;
    this.coveredMs += r[1];
    this.revisionId = r[2];
    this.requests += r[3];
    this.errors += r[4];
    addLatency(this.latency, r[5]);
    this.latencySumUs += r[6];
    this.inflightSum += r[7];
    if (r[8] !== null) this.cpuUs = (this.cpuUs ?? 0) + r[8];
    if (r[9] !== null) {
      this.rssSum += r[9];
      this.rssN += 1;
      this.rssMax = max(this.rssMax, r[9]);
    }
    this.healthySum += r[10];
    this.healthyMin = min(this.healthyMin, r[10]);
    this.instancesSum += r[11];
  }

  addRollup(r: RollupRow): void {
    if (r[1] <= 0) return;
    this.ticks += r[1];
    this.upTicks += r[2];
    this.coveredMs += r[3];
    this.revisionId = r[4];
    this.requests += r[5];
    this.errors += r[6];
    addLatency(this.latency, r[7]);
    this.latencySumUs += r[8];
    this.inflightSum += r[9];
    if (r[10] !== null) this.cpuUs = (this.cpuUs ?? 0) + r[10];
    this.rssSum += r[11];
    this.rssN += r[12];
    if (r[13] !== null) this.rssMax = max(this.rssMax, r[13]);
    this.healthySum += r[14];
    if (r[15] !== null) this.healthyMin = min(this.healthyMin, r[15]);
    this.instancesSum += r[16];
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

  /** The rollup row for bucket `ts` (same order as ROLLUP_COLUMNS). */
  toRollupRow(ts: number, writer: ByteWriter): RollupRow {
    return [
      ts,
      this.ticks,
      this.upTicks,
      this.coveredMs,
      this.revisionId,
      this.requests,
      this.errors,
      encodeLatency(this.latency, writer),
      this.latencySumUs,
      this.inflightSum,
      this.cpuUs,
      this.rssSum,
      this.rssN,
      this.rssMax,
      this.healthySum,
      this.healthyMin,
      this.instancesSum,
    ];
  }
}
