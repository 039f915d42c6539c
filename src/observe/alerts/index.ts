export { ConditionError } from './condition-error.js';
export { UNITS } from './condition-units.js';
export {
  alertInstance,
  alertLabels,
  expandRules,
  RESERVED_LABELS,
  ruleApplies,
  unmatchedRules,
} from './expand.js';
export { fingerprintLabels } from './fingerprint.js';
export { type AppReader, compare, type Measured, measure, measureWithReason } from './measure.js';
export { parseCondition } from './parse-condition.js';
export { compileRule, RULE_DEFAULTS } from './rule.js';
export { isActive, type StepRule, step } from './step.js';
export {
  type AlertInstance,
  type AlertRule,
  type AlertRuleBase,
  type AlertRuleInput,
  type AlertState,
  type AlertStatus,
  type AlertTarget,
  type AlertTransition,
  BUILTIN_METRICS,
  type BuiltinMetric,
  type Comparator,
  type Comparison,
  type Condition,
  type ConditionMetric,
  type NodataPolicy,
  type Severity,
  type StepResult,
} from './types.js';
