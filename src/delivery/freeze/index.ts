/**
 * Deploy freeze windows (issue 4, DESIGN.md §3 `freeze:`): parse tandem.yaml entries, tell
 * whether one blocks a deploy at a given moment and when it ends, and describe them. Pure logic:
 * no I/O, the clock and the environment's time zone are arguments.
 */
export { activeFreeze } from './active.js';
export { describeFreeze, describeInstant } from './describe.js';
export { FREEZE_EXPECTED, parseFreeze } from './parse.js';
export type {
  ActiveFreeze,
  DailyFreeze,
  DateFreeze,
  FreezeWindow,
  ParseFreezeResult,
  Weekday,
  WeeklyFreeze,
  WeekTime,
} from './types.js';
export {
  instantOfWallClock,
  isTimeZone,
  normalizeTimeZone,
  offsetAt,
  unknownTimeZoneMessage,
} from './zone.js';
