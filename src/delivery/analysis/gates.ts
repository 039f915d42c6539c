/**
 * One measurement: the canary's window judged against the gates, absolutely and relative to the
 * stable revision's window over the same time. Too little traffic is `inconclusive`, never a
 * pass and never a failure (Flagger and Argo Rollouts halt or abort on "no data").
 */
import { hasGates, PERCENTILES, type Percentile } from './config.js';
import { formatLimitRatio, formatMs, formatPoints, formatRate, formatRatio } from './format.js';
import type { AnalysisConfig, Measurement, WindowStats } from './types.js';

/**
 * Judges one window. `at` is when the window ended, `windowMs` its length (both only recorded).
 * - canary.requests < minRequests: inconclusive, whatever the gates.
 * - Absolute gates (`errorRate.max`, `pN.max`) always apply.
 * - Relative gates (`errorRate.maxIncrease`, `pN.maxRatio`) need a stable window with at least
 *   minRequests requests; otherwise they are skipped, with a reason line, and the absolute gates
 *   decide alone. A skipped gate never fails nor passes: when every configured gate was skipped
 *   (e.g. only relative gates, and stable has too little traffic), the window is inconclusive.
 *   `pN.maxRatio` takes stable's latency as at least RATIO_FLOOR_MS (10 ms).
 * - No gate configured: pass on the request count alone, said so in the reasons.
 * Reasons hold one line per failed gate, then one per skipped gate (on any verdict).
 */
export function evaluate(
  config: AnalysisConfig,
  canary: WindowStats,
  stable: WindowStats | null,
  at: number,
  windowMs: number,
): Measurement {
  const measurement = (verdict: Measurement['verdict'], reasons: string[]): Measurement => ({
    at,
    windowMs,
    verdict,
    canary,
    stable,
    reasons,
  });

  if (canary.requests < config.minRequests)
    return measurement('inconclusive', [
      `too little traffic: canary got ${canary.requests} of the ${config.minRequests} requests needed in ${formatWindow(windowMs)}`,
    ]);
  if (!hasGates(config))
    return measurement('pass', ['no gates configured: only the request count was checked']);

  const judged: Judged = { evaluated: 0, failures: [], skipped: [] };
  judgeAbsolute(config, canary, judged);
  judgeRelative(config, canary, stable, judged);

  if (judged.failures.length > 0) return measurement('fail', [...judged.failures, ...judged.skipped]);
  if (judged.evaluated === 0) return measurement('inconclusive', judged.skipped);
  return measurement('pass', judged.skipped);
}

interface Judged {
  evaluated: number;
  failures: string[];
  skipped: string[];
}

function judgeAbsolute(config: AnalysisConfig, canary: WindowStats, judged: Judged): void {
  const maxRate = config.errorRate?.max;
  if (maxRate !== undefined) {
    judged.evaluated++;
    if (exceeds(canary.errorRate, maxRate))
      judged.failures.push(
        `error rate ${formatRate(canary.errorRate, maxRate)} > max ${formatRate(maxRate)}`,
      );
  }
  for (const p of PERCENTILES) {
    const max = config[p]?.max;
    if (max === undefined) continue;
    const value = latency(canary, p);
    if (value === null) {
      judged.skipped.push(`${p} gate skipped: no canary request was answered`);
      continue;
    }
    judged.evaluated++;
    if (exceeds(value, max)) judged.failures.push(`${p} ${formatMs(value, max)} > max ${formatMs(max)}`);
  }
}

function judgeRelative(
  config: AnalysisConfig,
  canary: WindowStats,
  stable: WindowStats | null,
  judged: Judged,
): void {
  const maxIncrease = config.errorRate?.maxIncrease;
  const ratios = PERCENTILES.filter((p) => config[p]?.maxRatio !== undefined);
  if (maxIncrease === undefined && ratios.length === 0) return;

  if (stable === null) {
    judged.skipped.push('relative gates skipped: no stable revision to compare with');
    return;
  }
  if (stable.requests < config.minRequests) {
    judged.skipped.push(
      `relative gates skipped: stable got ${stable.requests} of the ${config.minRequests} requests needed`,
    );
    return;
  }

  if (maxIncrease !== undefined) {
    judged.evaluated++;
    const increase = canary.errorRate - stable.errorRate;
    if (exceeds(increase, maxIncrease))
      judged.failures.push(
        `error rate ${formatRate(canary.errorRate)} is ${formatPoints(increase, maxIncrease)} above stable's ` +
          `${formatRate(stable.errorRate)} > max increase ${formatPoints(maxIncrease)}`,
      );
  }
  for (const p of ratios) {
    const maxRatio = config[p]?.maxRatio as number;
    const mine = latency(canary, p);
    const theirs = latency(stable, p);
    if (mine === null || theirs === null || theirs <= 0) {
      const whose = mine === null ? 'canary' : 'stable';
      judged.skipped.push(`${p} relative gate skipped: no ${whose} request was answered`);
      continue;
    }
    judged.evaluated++;
    const base = Math.max(theirs, RATIO_FLOOR_MS);
    const ratio = mine / base;
    if (exceeds(ratio, maxRatio))
      judged.failures.push(
        theirs >= RATIO_FLOOR_MS
          ? `${p} ${formatMs(mine)} is ${formatRatio(ratio, maxRatio)} stable's ${formatMs(theirs)} > ${formatLimitRatio(maxRatio)}`
          : `${p} ${formatMs(mine)} is ${formatRatio(ratio, maxRatio)} the ${formatMs(RATIO_FLOOR_MS)} floor (stable's ${formatMs(theirs)} is below it) > ${formatLimitRatio(maxRatio)}`,
      );
  }
}

/**
 * A relative latency gate compares stable's latency as at least this much. Below it a ratio
 * measures noise, not a slowdown: the histogram's first buckets are 1, 2, 5 and 10 ms wide, and
 * one GC pause or a process not yet warmed up moves a millisecond p95 two- or threefold (a
 * healthy canary at 3 ms against stable's 1.5 ms was aborted by `p95.maxRatio: 2`). So against
 * a stable under 10 ms, the canary fails only above maxRatio × 10 ms; the absolute gates still
 * apply as written.
 */
export const RATIO_FLOOR_MS = 10;

function latency(stats: WindowStats, p: Percentile): number | null {
  return p === 'p50' ? stats.p50Ms : p === 'p95' ? stats.p95Ms : stats.p99Ms;
}

/** Strictly above the limit; a value equal to it up to floating-point noise (0.07 - 0.01) passes. */
function exceeds(value: number, limit: number): boolean {
  return value - limit > 1e-9 * Math.max(1, Math.abs(limit));
}

function formatWindow(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
