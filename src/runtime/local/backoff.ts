/**
 * When to restart an instance after an unplanned exit, and whether it is crash-looping. Pure: the
 * caller passes the process's start and exit times, so tests use a fake clock.
 *
 * Delays double from `initialMs` up to `maxMs`; a process that stayed up `resetAfterMs` or longer
 * counts as having worked, so the next delay is `initialMs` again. `crashLoopAfter` quick exits
 * (each sooner than `resetAfterMs` after its start) in a row mark the instance as crash-looping; it
 * keeps being retried at the capped delay.
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
  crashLoopAfter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 500,
  maxMs: 30_000,
  resetAfterMs: 10_000,
  crashLoopAfter: 3,
};

export interface RestartHistory {
  /** Restarts since the last process that stayed up: the exponent of the next delay. */
  attempt: number;
  /** Exits in a row that came sooner than `resetAfterMs` after their start. */
  quickExits: number;
}

export const NO_RESTARTS: RestartHistory = { attempt: 0, quickExits: 0 };

export interface RestartDecision {
  history: RestartHistory;
  delayMs: number;
  crashlooping: boolean;
}

/** 2^30 × any sane initial delay is far past any cap: stop growing the exponent there. */
const MAX_EXPONENT = 30;

export function afterExit(
  history: RestartHistory,
  startedAt: number,
  exitedAt: number,
  policy: BackoffPolicy,
): RestartDecision {
  const stayedUp = exitedAt - startedAt >= policy.resetAfterMs;
  const attempt = stayedUp ? 0 : history.attempt;
  const quickExits = stayedUp ? 0 : history.quickExits + 1;
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, MAX_EXPONENT));
  return {
    history: { attempt: Math.min(attempt + 1, MAX_EXPONENT), quickExits },
    delayMs,
    crashlooping: quickExits >= policy.crashLoopAfter,
  };
}

/** The policy with the caller's overrides (non-negative numbers only). */
export function backoffPolicy(overrides: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const pick = (value: number | undefined, fallback: number): number =>
    value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
  const initialMs = pick(overrides.initialMs, DEFAULT_BACKOFF.initialMs);
  return {
    initialMs,
    maxMs: Math.max(initialMs, pick(overrides.maxMs, DEFAULT_BACKOFF.maxMs)),
    resetAfterMs: pick(overrides.resetAfterMs, DEFAULT_BACKOFF.resetAfterMs),
    crashLoopAfter: Math.max(1, pick(overrides.crashLoopAfter, DEFAULT_BACKOFF.crashLoopAfter)),
  };
}
