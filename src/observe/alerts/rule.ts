/** From a rule as written (durations already in ms) to the typed rule, with the defaults. */
import { parseCondition } from './parse-condition.js';
import type { AlertRule, AlertRuleInput } from './types.js';

/** Defaults, the same as the config schema documents. */
export const RULE_DEFAULTS = Object.freeze({
  window: 60_000,
  for: 0,
  keepFiringFor: 0,
  severity: 'ticket',
  nodata: 'nodata',
} as const);

/** Throws a ConditionError (TANDEM_ALERT_CONDITION) when `when` does not parse. */
export function compileRule(input: AlertRuleInput): AlertRule {
  return {
    name: input.name,
    ...(input.service === undefined ? {} : { service: input.service }),
    ...(input.environment === undefined ? {} : { environment: input.environment }),
    when: parseCondition(input.when),
    window: input.window ?? RULE_DEFAULTS.window,
    for: input.for ?? RULE_DEFAULTS.for,
    keepFiringFor: input.keepFiringFor ?? RULE_DEFAULTS.keepFiringFor,
    severity: input.severity ?? RULE_DEFAULTS.severity,
    labels: { ...(input.labels ?? {}) },
    ...(input.runbook === undefined ? {} : { runbook: input.runbook }),
    ...(input.summary === undefined ? {} : { summary: input.summary }),
    nodata: input.nodata ?? RULE_DEFAULTS.nodata,
  };
}
