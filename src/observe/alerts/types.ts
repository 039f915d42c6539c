/**
 * Alert rules (issue 5) as the evaluator takes them: already parsed and defaulted, durations in
 * ms. Pure types; the config schema (src/config/observe-schema.ts) maps tandem.yaml onto them.
 */

export type Severity = 'page' | 'ticket' | 'info';

/** What an undefined measurement (no data) means for a rule. */
export type NodataPolicy = 'nodata' | 'ok' | 'firing';

export type Comparator = '>' | '>=' | '<' | '<=' | '==' | '!=';

export const BUILTIN_METRICS = [
  'error_rate',
  'rps',
  'p50',
  'p90',
  'p95',
  'p99',
  'cpu',
  'rss',
  'inflight',
  'healthy',
  'up',
] as const;

export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

export type ConditionMetric =
  | { kind: 'builtin'; name: BuiltinMetric }
  /** `rate(name{...})`: increase per second of a counter; `value(name{...})`: gauge average. */
  | { kind: 'app'; fn: 'rate' | 'value'; name: string; labels: Record<string, string> };

/** The comparison part of a condition: all the state machine needs. */
export interface Comparison {
  op: Comparator;
  /** In the metric's base unit: ratio 0..1, ms, cores, bytes, requests/s, count. */
  threshold: number;
}

/** A parsed `when:` expression. */
export interface Condition extends Comparison {
  /** The text as written (for messages and notifications). */
  text: string;
  metric: ConditionMetric;
}

/** What expansion and the state machine need from any rule (user rules and SLO burn-rate alerts). */
export interface AlertRuleBase {
  name: string;
  /** Only this service; every service when omitted. */
  service?: string;
  /** Only this environment; every environment when omitted. */
  environment?: string;
  when: Comparison;
  /** Pending this long before firing (ms, 0 = fire at once). */
  for: number;
  /** Keep firing this long after the condition first evaluates false (ms). */
  keepFiringFor: number;
  severity: Severity;
  labels: Record<string, string>;
  runbook?: string;
  summary?: string;
  nodata: NodataPolicy;
}

/** A user alert rule from tandem.yaml `alerts:`. */
export interface AlertRule extends AlertRuleBase {
  when: Condition;
  /** The window the metric is measured over (ms). */
  window: number;
}

/** An alert rule as written, before defaults (durations already in ms). */
export interface AlertRuleInput {
  name: string;
  when: string;
  service?: string;
  environment?: string;
  window?: number;
  for?: number;
  keepFiringFor?: number;
  severity?: Severity;
  labels?: Record<string, string>;
  runbook?: string;
  summary?: string;
  nodata?: NodataPolicy;
}

export type AlertStatus = 'inactive' | 'pending' | 'firing' | 'nodata';

export type AlertTransition = 'pending' | 'firing' | 'resolved' | 'nodata' | 'data-back';

/** The evaluation state of one alert instance (one rule × environment × service). */
export interface AlertState {
  status: AlertStatus;
  /** When the current status began. */
  since: number;
  /** When the condition became true in the current episode (start of pending). */
  activeAt?: number;
  /** When the current episode started firing; kept through `nodata` (the problem is not known to be over). */
  firedAt?: number;
  /** First evaluation with the condition false while firing (the keep_firing_for clock). */
  keepFiringSince?: number;
  /** When the last episode resolved. */
  resolvedAt?: number;
  /** The last measurement; undefined when it was no data. */
  lastValue?: number;
  lastEvalAt: number;
}

export interface StepResult {
  state: AlertState;
  transition?: AlertTransition;
}

/** Where alerts can exist: every (environment, service) pair that is deployed. */
export interface AlertTarget {
  environment: string;
  service: string;
}

/** One alert instance: a rule bound to an environment and a service. */
export interface AlertInstance<R extends AlertRuleBase = AlertRule> {
  rule: R;
  environment: string;
  service: string;
  /** alertname, environment, service, severity, then the rule's own labels. */
  labels: Record<string, string>;
  annotations: { summary?: string; runbook?: string };
  /** 16 hex digits, stable across restarts and label order (FNV-1a 64 of the sorted labels). */
  fingerprint: string;
}
