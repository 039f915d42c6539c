export {
  openSqliteMetricsStore,
  type SqliteMetricsStore,
  type SqliteMetricsStoreOptions,
} from './sqlite/index.js';
export type {
  AppPoint,
  AppSample,
  MetricsSource,
  MetricsStore,
  Resolution,
  Retention,
  Sample,
  Subject,
  WindowStats,
} from './types.js';
export { DEFAULT_RETENTION } from './types.js';
export {
  counterIncrease,
  cpuCores,
  emptyWindow,
  errorRatio,
  LATENCY_COUNTS,
  latencyCount,
  meanLatencyMs,
  mergeWindows,
  quantileMs,
  requestRate,
  shareSlowerThan,
  uptimeRatio,
} from './window-math.js';
