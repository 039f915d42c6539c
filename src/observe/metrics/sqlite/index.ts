export {
  MAX_SERIES_POINTS,
  openSqliteMetricsStore,
  type SqliteMetricsStore,
  type SqliteMetricsStoreOptions,
} from './store.js';
