/** How much of an objective's error budget the period [now − window, now) has used. */
import type { ErrorBudget, SloObjective } from './types.js';

/** `badRatioOverPeriod` is badRatio() over the whole SLO window (read from the rollups). */
export function errorBudget(
  slo: Pick<SloObjective, 'objective' | 'window'>,
  badRatioOverPeriod: number,
  now: number,
): ErrorBudget {
  const allowedBad = 1 - slo.objective;
  const consumed = allowedBad > 0 ? badRatioOverPeriod / allowedBad : badRatioOverPeriod > 0 ? Infinity : 0;
  return {
    objective: slo.objective,
    allowedBad,
    badRatio: badRatioOverPeriod,
    consumed,
    remaining: 1 - consumed,
    from: now - slo.window,
    to: now,
  };
}
