/**
 * The health verdict of one process from its consecutive check results: `healthyThreshold` passes
 * in a row make it healthy, `unhealthyThreshold` failures in a row make a healthy one unhealthy, so
 * a single slow or lost check flips nothing. A new process starts unhealthy. Pure.
 */

export interface Thresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface HealthState {
  healthy: boolean;
  /** Consecutive passes (0 after a failure). */
  passes: number;
  /** Consecutive failures (0 after a pass). */
  failures: number;
}

export const NEW_PROCESS: HealthState = { healthy: false, passes: 0, failures: 0 };

export function recordCheck(state: HealthState, passed: boolean, thresholds: Thresholds): HealthState {
  // A threshold below 1 would mean "healthy without a check": treat it as 1.
  const healthyAfter = Math.max(1, thresholds.healthyThreshold);
  const unhealthyAfter = Math.max(1, thresholds.unhealthyThreshold);
  if (passed) {
    const passes = state.passes + 1;
    return { healthy: state.healthy || passes >= healthyAfter, passes, failures: 0 };
  }
  const failures = state.failures + 1;
  return { healthy: state.healthy && failures < unhealthyAfter, passes: 0, failures };
}
