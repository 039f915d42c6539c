export { INCIDENT_OPENED, INCIDENT_RESOLVED, ROLLOUT_OUTCOMES, UNKNOWN } from './event-feed.js';
export type { InstanceUsage } from './instances.js';
export {
  type AlertStateInput,
  type AutoscaleDirection,
  type AutoscaleOutcome,
  COUNTED_ALERT_STATES,
  DEFAULT_PIPELINE_BUCKETS_SECONDS,
  TandemMetrics,
  type TandemMetricsOptions,
} from './tandem-metrics.js';
export { LATENCY_BUCKETS_SECONDS, NO_REVISION } from './traffic.js';
