export { decide } from './decide.js';
export { DEFAULT_POLICY, type Policy, resolvePolicy } from './policy.js';
export { splitByTraffic } from './split-by-traffic.js';
export type { DecideInput, Decision, LimitedBy, Recommendation, Target, TargetKind } from './types.js';
