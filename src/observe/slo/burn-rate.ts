/**
 * Multiwindow, multi-burn-rate alerts (SRE Workbook ch. 5): an alert fires when both its long
 * and its short window burn the error budget faster than its threshold. The long window makes
 * it significant, the short one makes it stop soon after the problem does.
 *
 * threshold = share of the period's budget × period ÷ long window, so a 30-day SLO gives the
 * book's 14.4 / 6 / 3 / 1 and other periods scale (28 days: 13.44 / 5.6 / 2.8 / 0.93).
 */
import type { NodataPolicy } from '../alerts/types.js';
import { sloObjectives } from './objectives.js';
import type { BurnEvaluation, BurnRateAlert, BurnWindow, ServiceSlo, SloObjective } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const BURN_WINDOWS: readonly BurnWindow[] = Object.freeze([
  { severity: 'page', long: HOUR, short: 5 * MINUTE, budgetPercent: 2 },
  { severity: 'page', long: 6 * HOUR, short: 30 * MINUTE, budgetPercent: 5 },
  { severity: 'ticket', long: DAY, short: 2 * HOUR, budgetPercent: 10 },
  { severity: 'ticket', long: 3 * DAY, short: 6 * HOUR, budgetPercent: 10 },
]);

/** How many times faster than sustainable the budget is used: error ratio ÷ (1 − objective). */
export function burnRate(errorRatio: number, objective: number): number {
  const budget = 1 - objective;
  if (budget <= 0) return errorRatio > 0 ? Number.POSITIVE_INFINITY : 0;
  return errorRatio / budget;
}

/** The burn rate that uses `budgetPercent`% of a `periodMs` budget in `longMs`. */
export function burnThreshold(budgetPercent: number, periodMs: number, longMs: number): number {
  // Integers over integers: one rounding, so 2 × 30d ÷ (100 × 1h) is exactly the literal 14.4.
  return (budgetPercent * periodMs) / (100 * longMs);
}

export interface SloAlertOptions {
  /** What a window without data means (default 'nodata'). See badRatio() for when that is. */
  nodata?: NodataPolicy;
  runbook?: string;
}

/**
 * The burn-rate alerts of a service's SLO: four per objective, named
 * `slo-<service>-<objective>-<severity>-<long window>` (e.g. slo-web-availability-page-1h,
 * slo-web-latency-p95-ticket-3d), labelled slo=availability|latency (and quantile=p95).
 * Windows longer than the SLO period are left out. No `for`: the short window is the damping.
 */
export function sloAlerts(service: string, slo: ServiceSlo, options: SloAlertOptions = {}): BurnRateAlert[] {
  return sloObjectives(service, slo).flatMap((objective) =>
    BURN_WINDOWS.filter((w) => w.long <= objective.window).map((w) => burnAlert(objective, w, options)),
  );
}

function burnAlert(objective: SloObjective, w: BurnWindow, options: SloAlertOptions): BurnRateAlert {
  const threshold = burnThreshold(w.budgetPercent, objective.window, w.long);
  const budget = 1 - objective.objective;
  return {
    name: `slo-${objective.service}-${objective.name}-${w.severity}-${span(w.long)}`,
    service: objective.service,
    severity: w.severity,
    slo: objective,
    when: { op: '>', threshold },
    window: w.long,
    longWindow: w.long,
    shortWindow: w.short,
    threshold,
    budgetShare: w.budgetPercent / 100,
    reachable: threshold * budget <= 1,
    for: 0,
    keepFiringFor: 0,
    nodata: options.nodata ?? 'nodata',
    labels: {
      slo: objective.kind,
      ...(objective.quantile === undefined ? {} : { quantile: objective.quantile }),
    },
    summary: summary(objective, w, threshold),
    ...(options.runbook === undefined ? {} : { runbook: options.runbook }),
  };
}

/**
 * Both windows must burn faster than the threshold. A window without data (ratioOf gives
 * undefined) cannot confirm it: not firing, and `value` is undefined so that step() applies
 * the alert's nodata policy.
 */
export function evaluateBurn(
  alert: Pick<BurnRateAlert, 'slo' | 'longWindow' | 'shortWindow' | 'threshold'>,
  ratioOf: (windowMs: number) => number | undefined,
): BurnEvaluation {
  const longRatio = ratioOf(alert.longWindow);
  const shortRatio = ratioOf(alert.shortWindow);
  const long = longRatio === undefined ? undefined : burnRate(longRatio, alert.slo.objective);
  const short = shortRatio === undefined ? undefined : burnRate(shortRatio, alert.slo.objective);
  if (long === undefined || short === undefined) {
    return {
      firing: false,
      ...(long === undefined ? {} : { long }),
      ...(short === undefined ? {} : { short }),
    };
  }
  return {
    firing: long > alert.threshold && short > alert.threshold,
    long,
    short,
    value: Math.min(long, short),
  };
}

function summary(objective: SloObjective, w: BurnWindow, threshold: number): string {
  const what =
    objective.kind === 'availability'
      ? `${percent(objective.objective)} availability`
      : `${objective.quantile} under ${objective.thresholdMs} ms`;
  return (
    `${objective.service} is burning its ${what} error budget over ${round(threshold)}× the sustainable rate ` +
    `over ${span(w.long)} and ${span(w.short)} (${w.budgetPercent}% of the ${span(objective.window)} budget in ${span(w.long)})`
  );
}

/** 3600000 → "1h", 86400000 → "1d", 300000 → "5m". */
export function span(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${ms / 1000}s`;
}

function percent(ratio: number): string {
  return `${round(ratio * 100, 4)}%`;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
