/**
 * Autoscaling policy: the Kubernetes HPA v2 defaults (horizontal-pod-autoscale.md, "Default behavior").
 * All times are milliseconds so callers can pass `Date.now()`-style clocks straight through.
 */
export interface Policy {
  /** How often the caller should run `decide` (the HPA sync period). */
  evaluationIntervalMs: number;
  /** No change while |metric / target − 1| stays within this fraction. */
  tolerance: number;
  /** Scale-up may add this percentage of the current count per period… */
  scaleUpPercent: number;
  /** …or this many instances, whichever is larger (HPA `selectPolicy: Max`). */
  scaleUpInstances: number;
  scaleUpPeriodMs: number;
  /** Scale-up uses the lowest recommendation in this window (0 = react at once). */
  scaleUpStabilisationMs: number;
  /** Scale-down uses the highest recommendation in this window, so dips do not shrink the service. */
  scaleDownStabilisationMs: number;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  evaluationIntervalMs: 15_000,
  tolerance: 0.1,
  scaleUpPercent: 100,
  scaleUpInstances: 4,
  scaleUpPeriodMs: 15_000,
  scaleUpStabilisationMs: 0,
  scaleDownStabilisationMs: 300_000,
});

export function resolvePolicy(overrides: Partial<Policy> = {}): Policy {
  const merged: Policy = { ...DEFAULT_POLICY };
  for (const [key, value] of Object.entries(overrides) as [keyof Policy, number | undefined][]) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
