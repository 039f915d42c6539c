/**
 * When to retry a failed delivery. Pure, so the backoff math is tested without waiting.
 *
 * Delays double from `initialDelayMs` (1 s → 2 s → 4 s …) up to `maxDelayMs`. A receiver's
 * Retry-After replaces the computed delay, capped at `maxDelayMs` too, so one rate-limited
 * receiver cannot hold its queue for an hour. No jitter: there is one sender (the control
 * plane) per receiver, so there is no herd to spread out, and tests stay deterministic.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/** 2^30 × any sane initial delay is far past any cap: stop growing the exponent there. */
const MAX_EXPONENT = 30;

/** The wait after the `failedAttempts`-th failed attempt (1 for the first failure). */
export function retryDelayMs(
  failedAttempts: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    return Math.min(policy.maxDelayMs, Math.max(0, retryAfterMs));
  }
  const exponent = Math.min(Math.max(0, failedAttempts - 1), MAX_EXPONENT);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
}

/** The default policy with the caller's overrides; nonsense values (negative, NaN) fall back. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const pick = (value: number | undefined, fallback: number, min: number): number =>
    value !== undefined && Number.isFinite(value) && value >= min ? value : fallback;
  const initialDelayMs = pick(overrides.initialDelayMs, DEFAULT_RETRY_POLICY.initialDelayMs, 0);
  return {
    maxAttempts: Math.floor(pick(overrides.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts, 1)),
    initialDelayMs,
    maxDelayMs: Math.max(initialDelayMs, pick(overrides.maxDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs, 0)),
  };
}
