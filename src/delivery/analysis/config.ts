/** Defaults and validation of the `analysis:` gates; the config loader maps tandem.yaml onto these. */
import type { AnalysisConfig } from './types.js';

export const DEFAULT_INTERVAL_MS = 10_000;
/** Below 1 s a window holds too few requests to judge at ordinary traffic. */
export const MIN_INTERVAL_MS = 1_000;
export const DEFAULT_MIN_REQUESTS = 50;
export const DEFAULT_FAILURE_LIMIT = 1;
export const DEFAULT_INCONCLUSIVE_LIMIT = 3;

export const DEFAULT_ANALYSIS: Readonly<AnalysisConfig> = Object.freeze({
  intervalMs: DEFAULT_INTERVAL_MS,
  minRequests: DEFAULT_MIN_REQUESTS,
  failureLimit: DEFAULT_FAILURE_LIMIT,
  inconclusiveLimit: DEFAULT_INCONCLUSIVE_LIMIT,
});

export const PERCENTILES = ['p50', 'p95', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];

export type AnalysisInput = Partial<AnalysisConfig>;

export type AnalysisResolution = { ok: true; config: AnalysisConfig } | { ok: false; problems: string[] };

/**
 * Fills in the defaults and checks every value; all problems are reported at once, one
 * human-readable line each, named by the key of tandem.yaml's `analysis:`.
 */
export function resolveAnalysis(partial: AnalysisInput = {}): AnalysisResolution {
  const config: AnalysisConfig = {
    intervalMs: partial.intervalMs ?? DEFAULT_INTERVAL_MS,
    minRequests: partial.minRequests ?? DEFAULT_MIN_REQUESTS,
    failureLimit: partial.failureLimit ?? DEFAULT_FAILURE_LIMIT,
    inconclusiveLimit: partial.inconclusiveLimit ?? DEFAULT_INCONCLUSIVE_LIMIT,
  };
  if (partial.errorRate) config.errorRate = { ...partial.errorRate };
  for (const p of PERCENTILES) {
    const gate = partial[p];
    if (gate) config[p] = { ...gate };
  }

  const problems: string[] = [];
  if (!Number.isFinite(config.intervalMs) || config.intervalMs < MIN_INTERVAL_MS)
    problems.push(`interval must be at least 1s (got ${describeMs(config.intervalMs)})`);
  checkCount(problems, 'minRequests', config.minRequests);
  checkCount(problems, 'failureLimit', config.failureLimit);
  checkCount(problems, 'inconclusiveLimit', config.inconclusiveLimit);
  checkFraction(problems, 'errorRate.max', config.errorRate?.max);
  checkFraction(problems, 'errorRate.maxIncrease', config.errorRate?.maxIncrease);
  for (const p of PERCENTILES) {
    const max = config[p]?.max;
    if (max !== undefined && !(Number.isFinite(max) && max > 0))
      problems.push(`${p}.max must be a latency above 0 such as 300ms (got ${max})`);
    const ratio = config[p]?.maxRatio;
    if (ratio !== undefined && !(Number.isFinite(ratio) && ratio > 0))
      problems.push(`${p}.maxRatio must be a number above 0 such as 2 (got ${ratio})`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Whether any gate is set: without one, a measurement only checks the request count. */
export function hasGates(config: AnalysisConfig): boolean {
  return (
    config.errorRate?.max !== undefined ||
    config.errorRate?.maxIncrease !== undefined ||
    PERCENTILES.some((p) => config[p]?.max !== undefined || config[p]?.maxRatio !== undefined)
  );
}

function checkCount(problems: string[], key: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1))
    problems.push(`${key} must be a whole number >= 1 (got ${value})`);
}

function checkFraction(problems: string[], key: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value <= 1))
    problems.push(`${key} must be a rate between 0% and 100% (got ${describeFraction(value)})`);
}

function describeMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms}ms` : String(ms);
}

function describeFraction(value: number): string {
  return Number.isFinite(value) ? `${Number((value * 100).toPrecision(6))}%` : String(value);
}
