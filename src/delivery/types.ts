/**
 * The rollout model (DESIGN.md §5): what the reconciler observes, what it asks the runtime to
 * do, and the rollout record it persists before every runtime action. Pure data, no I/O.
 */
import type { AnalysisConfig, AnalysisState, Measurement } from './analysis/types.js';

/** One instance as the runtime reports it. Time is in ms on the control plane's clock. */
export interface ObservedInstance {
  id: string;
  revision: string;
  state: 'starting' | 'running' | 'stopping' | 'exited' | 'crashlooping';
  healthy: boolean;
  inTraffic: boolean;
  startedAt: number;
}

/** The observed world of one service at one moment. */
export interface Observed {
  now: number;
  instances: ObservedInstance[];
  /**
   * The data plane's weight per revision now (its listener's traffic groups), so a change of
   * weight alone is seen. Undefined when unknown (not reported, or a service without a
   * listener): rolling and blue-green then compare instance sets only, and a canary re-sends its
   * weights at every step (idempotent) since it cannot tell whether they were applied.
   */
  weights?: Record<string, number>;
  /**
   * The control plane's latest analysis window of the new revision (rollout.to) against the old
   * one (rollout.from) over the same time, if any: a canary's comparison, or a rolling or
   * blue-green rollout's verification (where the old revision has little or no traffic). decide() folds it in once (a measurement whose `at` is not after the
   * last one folded is ignored), so the same measurement may be passed on every reconcile.
   */
  measurement?: Measurement;
}

/**
 * What the reconciler asks the runtime / data plane to do, in order. `set-traffic` lists
 * exactly the instances that may receive traffic (all healthy); `weights` are percentages per
 * revision (summing to 100, or empty when no instance is listed): in proportion to the listed
 * instances, except on a canary's steps where they are the step's weight. `fail` and `complete` carry no runtime work: they are emitted once, on the step
 * whose returned state is `aborted` or `promoted`, for the caller's events and notifications.
 */
export type Action =
  | { type: 'start'; revision: string; count: number }
  | { type: 'set-traffic'; weights: Record<string, number>; instances: string[] }
  | { type: 'drain-and-stop'; instanceIds: string[] }
  | { type: 'fail'; reason: string }
  | { type: 'complete' };

export type RuntimeAction = Extract<Action, { type: 'start' | 'set-traffic' | 'drain-and-stop' }>;

/**
 * pending → (awaiting-approval) → progressing[step] → (paused) → promoted, or → aborted →
 * rolled-back. decide() leaves an `awaiting-approval` rollout untouched, and a `paused` one too
 * unless its strategy holds paused rollouts (canary: see strategies/canary.ts). Manual moves
 * (promote, abort, pause, resume) are commands.ts.
 */
export type RolloutState =
  | 'pending'
  | 'awaiting-approval'
  | 'progressing'
  | 'paused'
  | 'promoted'
  | 'aborted'
  | 'rolled-back';

export const TERMINAL_STATES: ReadonlySet<RolloutState> = new Set(['promoted', 'rolled-back']);

/** Defaults of the issue: maxSurge 1, maxUnavailable 0, progressDeadline 120 s, scaleDownDelay 30 s. */
export const DEFAULT_MAX_SURGE = 1;
export const DEFAULT_MAX_UNAVAILABLE = 0;
export const DEFAULT_PROGRESS_DEADLINE_MS = 120_000;
export const DEFAULT_SCALE_DOWN_DELAY_MS = 30_000;

export interface RollingStrategy {
  name: 'rolling';
  /** Instances allowed above `replicas` during the rollout (default 1). */
  maxSurge?: number;
  /** Healthy serving instances allowed below `replicas` during the rollout (default 0). */
  maxUnavailable?: number;
  /** Time without progress (a new instance becoming healthy) before the rollout fails (default 120 s). */
  progressDeadlineMs?: number;
  /**
   * How long the new revision is verified once it serves alone (`verify:`); undefined or 0:
   * promoted at once. See strategies/verification.ts.
   */
  verifyMs?: number;
  /** Gates checked on every window while verifying (defaults filled in); used only with verifyMs. */
  analysis?: AnalysisConfig;
}

export interface BlueGreenStrategy {
  name: 'blue-green';
  /** How long the old instances stay warm after the cutover (default 30 s). */
  scaleDownDelayMs?: number;
  /** Time for all new instances to become healthy before the rollout fails (default 120 s). */
  progressDeadlineMs?: number;
  /**
   * How long the new revision is verified after the cutover (`verify:`), when longer than the
   * bake window (scaleDownDelay). See strategies/verification.ts.
   */
  verifyMs?: number;
  /** Gates checked on every window from the cutover to the end of the bake window or verifyMs. */
  analysis?: AnalysisConfig;
}

/** One canary step: the canary's share of traffic, then how long to hold it. */
export interface CanaryStep {
  /** Percent of traffic on the canary, 1..100, strictly increasing from step to step. */
  weight: number;
  /**
   * How long to hold the weight once it is in place (ms): undefined = no hold, null = until
   * `tandem promote`.
   */
  pauseMs?: number | null;
}

export interface CanaryStrategy {
  name: 'canary';
  steps: CanaryStep[];
  /** Gates checked on every analysis window while the canary takes traffic (defaults filled in). */
  analysis?: AnalysisConfig;
  /**
   * Time for a step's canary instances to be healthy and in traffic, and after the last step
   * for all new instances to be healthy, before the rollout fails (default 120 s).
   */
  progressDeadlineMs?: number;
}

export type StrategyConfig = RollingStrategy | BlueGreenStrategy | CanaryStrategy;

/** The persisted rollout record. */
export interface Rollout {
  id: string;
  service: string;
  strategy: StrategyConfig;
  /** The revision serving before the rollout; null on a first deploy. */
  from: string | null;
  to: string;
  replicas: number;
  state: RolloutState;
  /**
   * progressing: rolling = new instances healthy in traffic; blue-green = 0 before the
   * cutover, 1 after it; canary = the index of the current step, steps.length once past the
   * last step (converging on the new revision). aborted: 0.
   */
  step: number;
  startedAt: number;
  /** When the current step (or the aborted state) began: the base of deadlines and delays. */
  stepStartedAt: number;
  updatedAt: number;
  /** Why the rollout was aborted. */
  reason?: string;
  /** Why the rollout is paused (state `paused`). */
  pausedReason?: string;
  /** `tandem promote` asked for: the current canary step (`step`) or all remaining ones (`full`). */
  promote?: 'step' | 'full';
  /** Analysis so far (canary, or verification): every measurement folded in (the last ones kept) and the outcome. */
  analysis?: AnalysisState;
  /** Canary: when the current step's instances and weight were first seen in place (its hold counts from here). */
  weightReachedAt?: number;
  /** Canary: when the canary first took traffic; analysis windows that started earlier are ignored. */
  canarySince?: number;
  /**
   * Rolling and blue-green with verification: when the new revision was first seen serving alone
   * (rolling: converged; blue-green: the cutover in place). Verification counts from here, and
   * analysis windows that started earlier are ignored.
   */
  verifySince?: number;
}

/** Rollout fields a strategy may change besides step and stepStartedAt (undefined clears one). */
export type RolloutPatch = Partial<
  Pick<Rollout, 'promote' | 'analysis' | 'weightReachedAt' | 'canarySince' | 'verifySince'>
>;

/** What a strategy's planner returns for one reconcile step of a progressing (or held paused) rollout. */
export interface StrategyPlan {
  step: number;
  stepStartedAt: number;
  actions: RuntimeAction[];
  /**
   * progressing: stay in the current state (progressing, or paused) and apply the actions;
   * done: the new revision serves alone; fail: abort with this reason (the planner's actions
   * are dropped); pause: apply the actions and pause with this reason.
   */
  outcome: 'progressing' | 'done' | { fail: string } | { pause: string };
  /** Applied to the record whatever the outcome (a failed analysis keeps its measurements). */
  patch?: RolloutPatch;
}

/** A deployment strategy, written once against the observed world and runtime actions. */
export interface Strategy {
  readonly name: StrategyConfig['name'];
  /** A problem with the options (e.g. maxSurge and maxUnavailable both 0), or undefined. */
  validate(rollout: Rollout): string | undefined;
  plan(rollout: Rollout, observed: Observed): StrategyPlan;
  /**
   * A strategy that holds a paused rollout (keeps its current step's instances and traffic
   * healthy, aborts on what would abort it while progressing) plans it here; without it
   * decide() leaves paused rollouts untouched.
   */
  planPaused?(rollout: Rollout, observed: Observed): StrategyPlan;
  /** Surge and unavailability allowed while rolling back to the old revision (as observed now). */
  rollbackLimits(rollout: Rollout, observed: Observed): { maxSurge: number; maxUnavailable: number };
}
