/** `autoscale:` of tandem.yaml (already validated, durations in ms) → the controller's spec. Pure. */
import type { AutoscaleConfig } from '../config/observe-schema.js';
import type { AutoscaleSpec } from './controller.js';
import type { Policy } from './policy.js';
import type { Target } from './types.js';

export function autoscaleSpecOf(config: AutoscaleConfig): AutoscaleSpec {
  const t = config.target;
  const target: Target =
    'cpu' in t
      ? { kind: 'cpu', value: t.cpu }
      : 'rps' in t
        ? { kind: 'rps', value: t.rps }
        : 'p95' in t
          ? { kind: 'p95', value: t.p95 }
          : { kind: 'inflight', value: t.inflight };
  const policy: Partial<Policy> = {};
  if (config.interval !== undefined) policy.evaluationIntervalMs = config.interval;
  if (config.tolerance !== undefined) policy.tolerance = config.tolerance;
  if (config.scaleUp?.percent !== undefined) policy.scaleUpPercent = config.scaleUp.percent;
  if (config.scaleUp?.instances !== undefined) policy.scaleUpInstances = config.scaleUp.instances;
  if (config.scaleUp?.period !== undefined) policy.scaleUpPeriodMs = config.scaleUp.period;
  if (config.scaleUp?.stabilization !== undefined)
    policy.scaleUpStabilisationMs = config.scaleUp.stabilization;
  if (config.scaleDown?.stabilization !== undefined)
    policy.scaleDownStabilisationMs = config.scaleDown.stabilization;
  return { min: config.min, max: config.max, target, policy };
}

/** The count a deploy starts from: the running count (or the configured one) kept within [min, max]. */
export function clampReplicas(spec: AutoscaleSpec, replicas: number): number {
  return Math.min(spec.max, Math.max(spec.min, replicas));
}
