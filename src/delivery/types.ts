/**
 * The rollout model (DESIGN.md §5): what the reconciler observes, what it asks the runtime to
 * do, and the rollout record it persists before every runtime action. Pure data, no I/O.
 */

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
}

/**
 * What the reconciler asks the runtime / data plane to do, in order. `set-traffic` lists
 * exactly the instances that may receive traffic (all healthy); `weights` are percentages per
 * revision (summing to 100, or empty when no instance is listed), in proportion to the listed
 * instances. `fail` and `complete` carry no runtime work: they are emitted once, on the step
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
 * rolled-back. `awaiting-approval` and `paused` are modelled, not driven: decide() leaves a
 * rollout in those states untouched.
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
}

export interface BlueGreenStrategy {
  name: 'blue-green';
  /** How long the old instances stay warm after the cutover (default 30 s). */
  scaleDownDelayMs?: number;
  /** Time for all new instances to become healthy before the rollout fails (default 120 s). */
  progressDeadlineMs?: number;
}

export type StrategyConfig = RollingStrategy | BlueGreenStrategy;

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
   * cutover, 1 after it. aborted: 0.
   */
  step: number;
  startedAt: number;
  /** When the current step (or the aborted state) began: the base of deadlines and delays. */
  stepStartedAt: number;
  updatedAt: number;
  /** Why the rollout was aborted. */
  reason?: string;
}

/** What a strategy's planner returns for one reconcile step of a progressing rollout. */
export interface StrategyPlan {
  step: number;
  stepStartedAt: number;
  actions: RuntimeAction[];
  /** done: the new revision serves alone; fail: abort with this reason (the planner's actions are dropped). */
  outcome: 'progressing' | 'done' | { fail: string };
}

/** A deployment strategy, written once against the observed world and runtime actions. */
export interface Strategy {
  readonly name: StrategyConfig['name'];
  /** A problem with the options (e.g. maxSurge and maxUnavailable both 0), or undefined. */
  validate(rollout: Rollout): string | undefined;
  plan(rollout: Rollout, observed: Observed): StrategyPlan;
  /** Surge and unavailability allowed while rolling back to the old revision. */
  rollbackLimits(rollout: Rollout): { maxSurge: number; maxUnavailable: number };
}
