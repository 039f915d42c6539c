export { badRatio, ratioReader } from './bad-ratio.js';
export {
  BURN_WINDOWS,
  burnRate,
  burnThreshold,
  evaluateBurn,
  type SloAlertOptions,
  sloAlerts,
  span,
} from './burn-rate.js';
export { errorBudget } from './error-budget.js';
export { DEFAULT_SLO_WINDOW, sloObjectives } from './objectives.js';
export type {
  BurnEvaluation,
  BurnRateAlert,
  BurnWindow,
  ErrorBudget,
  LatencyQuantile,
  ServiceSlo,
  SloObjective,
} from './types.js';
