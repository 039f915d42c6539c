export { DEFAULT_PARSE_LIMITS, parsePrometheusText } from './parse-prometheus-text.js';
export type { MetricFamily, MetricType, ParseError, ParseLimits, ParseResult, Sample } from './types.js';
