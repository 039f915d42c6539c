/** An analysis run: measurements folded into what the rollout should do next. */
import type { AnalysisConfig, AnalysisState, Measurement } from './types.js';

/** Measurements kept in the state (older ones are in the event log only). */
export const KEPT_MEASUREMENTS = 50;

export function initialState(): AnalysisState {
  return { measurements: [], failures: 0, inconclusive: 0, outcome: 'continue' };
}

/**
 * Adds one measurement. Failures accumulate over the run (they need not be consecutive);
 * inconclusive ones count only while consecutive: a pass or a fail resets the streak, and an
 * inconclusive measurement never counts as a failure. The outcome is `fail` once failures reach
 * failureLimit (for good: failures never go down), else `pause` while the inconclusive streak is
 * at inconclusiveLimit or more, else `continue`. Never mutates `state`.
 */
export function advance(
  state: AnalysisState,
  m: Measurement,
  config: Pick<AnalysisConfig, 'failureLimit' | 'inconclusiveLimit'>,
): AnalysisState {
  const failures = state.failures + (m.verdict === 'fail' ? 1 : 0);
  const inconclusive = m.verdict === 'inconclusive' ? state.inconclusive + 1 : 0;
  return {
    measurements: [...state.measurements, m].slice(-KEPT_MEASUREMENTS),
    failures,
    inconclusive,
    outcome: outcomeOf(failures, inconclusive, config),
  };
}

/**
 * A human resumed a rollout paused for too little traffic: the inconclusive streak starts over,
 * so the next inconclusive measurement does not pause it again at once. Failures are kept.
 */
export function resume(
  state: AnalysisState,
  config: Pick<AnalysisConfig, 'failureLimit' | 'inconclusiveLimit'>,
): AnalysisState {
  return { ...state, inconclusive: 0, outcome: outcomeOf(state.failures, 0, config) };
}

function outcomeOf(
  failures: number,
  inconclusive: number,
  config: Pick<AnalysisConfig, 'failureLimit' | 'inconclusiveLimit'>,
): AnalysisState['outcome'] {
  if (failures >= config.failureLimit) return 'fail';
  if (inconclusive >= config.inconclusiveLimit) return 'pause';
  return 'continue';
}
