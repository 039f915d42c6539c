/**
 * Service level objectives (issue 5): `slo:` of a service, the objectives it holds, the
 * multiwindow multi-burn-rate alerts they generate and the error budget left. Pure types.
 */
import type { AlertRuleBase, Comparison } from '../alerts/types.js';

export type LatencyQuantile = 'p50' | 'p90' | 'p95' | 'p99';

/** `slo:` of a service as the config schema gives it (ratios 0..1, durations in ms). */
export interface ServiceSlo {
  /** Share of requests answered without a 5xx or a failed connection (99.9% = 0.999). */
  availability?: number;
  /** p95: 300 means 95% of requests are faster than 300 ms. */
  latency?: Partial<Record<LatencyQuantile, number>>;
  /** The period the objective holds over (default 30 days). */
  window?: number;
}

/** One objective of a service: availability, or one latency quantile. */
export interface SloObjective {
  service: string;
  /** 'availability' or 'latency-p95' (used in alert names). */
  name: string;
  kind: 'availability' | 'latency';
  /** Share of good requests required, 0 < objective < 1. */
  objective: number;
  /** Latency objectives only. */
  quantile?: LatencyQuantile;
  thresholdMs?: number;
  /** The SLO period (ms). */
  window: number;
}

/** One row of the burn-rate table: alert when both windows burn faster than the threshold. */
export interface BurnWindow {
  severity: 'page' | 'ticket';
  long: number;
  short: number;
  /** Share of the period's budget (in percent, kept integral so thresholds come out exact). */
  budgetPercent: number;
}

/**
 * A burn-rate alert, shaped as a rule so that expandRules() and step() take it like any other:
 * feed step() the `value` of evaluateBurn(), compared `> threshold`.
 */
export interface BurnRateAlert extends AlertRuleBase {
  service: string;
  severity: 'page' | 'ticket';
  slo: SloObjective;
  when: Comparison & { op: '>' };
  /** The long window (ms); same as longWindow, for code that reads `rule.window`. */
  window: number;
  longWindow: number;
  shortWindow: number;
  /** Burn rate both windows must exceed. */
  threshold: number;
  /** Share of the period's budget this alert fires at (0.02 = 2%). */
  budgetShare: number;
  /**
   * False when firing would need an error ratio above 1 (threshold × budget > 1), e.g. the 14.4×
   * page on a p90 objective: such an alert can never fire, worth a config warning.
   */
  reachable: boolean;
}

export interface BurnEvaluation {
  firing: boolean;
  /** Burn rate over the long window; undefined when that window has no data. */
  long?: number;
  short?: number;
  /** min(long, short) when both have data: what step() compares to the threshold. */
  value?: number;
}

export interface ErrorBudget {
  objective: number;
  /** Share of requests allowed to be bad over the period (1 − objective). */
  allowedBad: number;
  badRatio: number;
  /** Fraction of the budget used (1 = all of it, may exceed 1). */
  consumed: number;
  /** 1 − consumed: may go negative when the objective is missed. */
  remaining: number;
  /** The period the budget covers: [now − window, now). */
  from: number;
  to: number;
}
