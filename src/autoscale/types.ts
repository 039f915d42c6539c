import type { Policy } from './policy.js';

export type TargetKind = 'cpu' | 'rps' | 'p95' | 'inflight';

export interface Target {
  kind: TargetKind;
  /** Desired per-instance average, in the metric's own unit. */
  value: number;
}

/** A past recommendation (already clamped to [min, max]); kept for the stabilisation windows. */
export interface Recommendation {
  at: number;
  replicas: number;
}

export interface DecideInput {
  now: number;
  current: number;
  min: number;
  max: number;
  target: Target;
  /** Per-instance average; undefined means the metric is missing (not zero). */
  metric: number | undefined;
  history: readonly Recommendation[];
  /** When the count last changed; used to apply the scale-up policy per period. */
  lastScaleAt?: number;
  policy?: Partial<Policy>;
}

export type LimitedBy = 'max' | 'min' | 'scale-up-policy' | 'stabilisation' | 'tolerance' | 'no-data';

export interface Decision {
  /** The instance count to run now. */
  desired: number;
  /** This evaluation's own recommendation (after the ratio and [min, max], before stabilisation and rate limits). */
  recommendation: number;
  /** metric / target; undefined when the metric is missing. */
  ratio: number | undefined;
  reason: string;
  limitedBy?: LimitedBy;
  /** The inputs the decision was made from, for `tandem status` and the history. */
  inputs: {
    now: number;
    current: number;
    min: number;
    max: number;
    target: Target;
    metric: number | undefined;
    lastScaleAt: number | undefined;
    policy: Policy;
  };
  /** History to pass to the next call: this recommendation added, entries outside the windows dropped. */
  history: Recommendation[];
}
