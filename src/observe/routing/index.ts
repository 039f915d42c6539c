/** Alert notification routing (issue 5): routes, grouping, silences and flap damping. */
export {
  DEFAULT_FLAP_OPTIONS,
  type FlapOptions,
  type FlapState,
  flapOptions,
  recordChange,
  settle,
} from './flapping.js';
export {
  allMatch,
  checkMatcher,
  formatMatcher,
  type Matcher,
  type MatchOp,
  matcherMatches,
  parseMatcher,
  parseMatchers,
} from './matchers.js';
export { alertGroupNotification, type GroupFlush, summarizeAlertGroup, ZERO_TIME } from './render.js';
export { type AlertRouter, type AlertRouterOptions, createAlertRouter } from './router.js';
export {
  DEFAULT_GROUP_BY,
  DEFAULT_TIMING,
  type GroupIdentity,
  groupId,
  groupOf,
  type OwnerOf,
  type RouteDecision,
  routeAlert,
  routeMatches,
  validateRoutingConfig,
} from './routes.js';
export { activeSilences, isActive, matches, type Silence, silencedBy, validateSilence } from './silences.js';
export type {
  AlertUpdate,
  AlertView,
  GroupTiming,
  MatchValue,
  ReceiverConfig,
  RouteConfig,
  RoutedNotification,
  RouteMatch,
  RoutingConfig,
} from './types.js';
