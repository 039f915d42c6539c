/** Canary analysis: pure math over the data plane's per-revision counters (issue 4). */
export {
  type AnalysisInput,
  type AnalysisResolution,
  DEFAULT_ANALYSIS,
  DEFAULT_FAILURE_LIMIT,
  DEFAULT_INCONCLUSIVE_LIMIT,
  DEFAULT_INTERVAL_MS,
  DEFAULT_MIN_REQUESTS,
  hasGates,
  MIN_INTERVAL_MS,
  PERCENTILES,
  type Percentile,
  resolveAnalysis,
} from './config.js';
export { evaluate } from './gates.js';
export { advance, initialState, KEPT_MEASUREMENTS, resume } from './run.js';
export type {
  AnalysisConfig,
  AnalysisState,
  Measurement,
  RevisionCounters,
  Verdict,
  WindowStats,
} from './types.js';
export { countersOf, percentile, windowStats } from './window.js';
