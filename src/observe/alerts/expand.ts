/**
 * From rules to alert instances: one per (rule, environment, service) the rule applies to. A
 * rule without `service` (or `environment`) applies to every deployed one.
 */
import { fingerprintLabels } from './fingerprint.js';
import type { AlertInstance, AlertRuleBase, AlertTarget } from './types.js';

/** Labels Tandem sets on every alert; a rule's own label of the same name is overridden. */
export const RESERVED_LABELS = ['alertname', 'environment', 'service', 'severity'] as const;

export function ruleApplies(rule: AlertRuleBase, target: AlertTarget): boolean {
  return (
    (rule.service === undefined || rule.service === target.service) &&
    (rule.environment === undefined || rule.environment === target.environment)
  );
}

export function alertLabels(rule: AlertRuleBase, target: AlertTarget): Record<string, string> {
  return {
    ...rule.labels,
    alertname: rule.name,
    environment: target.environment,
    service: target.service,
    severity: rule.severity,
  };
}

export function alertInstance<R extends AlertRuleBase>(rule: R, target: AlertTarget): AlertInstance<R> {
  const labels = alertLabels(rule, target);
  return {
    rule,
    environment: target.environment,
    service: target.service,
    labels,
    annotations: {
      ...(rule.summary === undefined ? {} : { summary: rule.summary }),
      ...(rule.runbook === undefined ? {} : { runbook: rule.runbook }),
    },
    fingerprint: fingerprintLabels(labels),
  };
}

/**
 * Every alert instance, in rule order then target order; duplicate targets count once. Two
 * rules with the same name and labels would share a fingerprint: the config must keep names
 * unique.
 */
export function expandRules<R extends AlertRuleBase>(
  rules: readonly R[],
  targets: readonly AlertTarget[],
): AlertInstance<R>[] {
  const seen = new Set<string>();
  const unique = targets.filter((t) => {
    const key = `${t.environment}\u0000${t.service}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return rules.flatMap((rule) =>
    unique.filter((t) => ruleApplies(rule, t)).map((t) => alertInstance(rule, t)),
  );
}

/** Rules that match no target (a misspelt `service:` or `environment:`), for a config warning. */
export function unmatchedRules<R extends AlertRuleBase>(
  rules: readonly R[],
  targets: readonly AlertTarget[],
): R[] {
  return rules.filter((rule) => !targets.some((t) => ruleApplies(rule, t)));
}
