/**
 * Deploy freeze windows (issue 4): entries of an environment's `freeze:` list in tandem.yaml.
 * A window is wall-clock time in a time zone, so it follows daylight-saving changes; the
 * grammar is documented in parse.ts, the time-zone rules in zone.ts.
 */

/** Monday = 0 … Sunday = 6 (ISO order, so "Mon-Fri" is an ascending range). */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** A wall-clock moment of the week: a day and minutes since that day's midnight (0..1439). */
export interface WeekTime {
  day: Weekday;
  minute: number;
}

interface FreezeWindowBase {
  /** The entry as written in tandem.yaml, for messages and the event log. */
  source: string;
  /** IANA time zone named in the entry; absent: the environment's `timezone:`, else UTC. */
  zone?: string;
}

/** "Fri 16:00-Mon 08:00": one span per week; wraps over the week when the end comes first. */
export interface WeeklyFreeze extends FreezeWindowBase {
  kind: 'weekly';
  start: WeekTime;
  end: WeekTime;
}

/**
 * "Sat-Sun" or "Mon-Fri 22:00-06:00": a span starting on each listed day. Whole days are
 * 0..1440; an end at or before the start is on the next day (the span crosses midnight).
 */
export interface DailyFreeze extends FreezeWindowBase {
  kind: 'daily';
  /** Ascending, without duplicates. */
  days: readonly Weekday[];
  startMinute: number;
  /** 1..1440. */
  endMinute: number;
}

/** "2026-12-24..2026-12-26": whole days, both ends inclusive. */
export interface DateFreeze extends FreezeWindowBase {
  kind: 'dates';
  /** YYYY-MM-DD. */
  from: string;
  /** YYYY-MM-DD, not before `from`. */
  to: string;
}

export type FreezeWindow = WeeklyFreeze | DailyFreeze | DateFreeze;

export type ParseFreezeResult = { ok: true; window: FreezeWindow } | { ok: false; error: string };

/** The window that blocks deploys now, and when deploys are allowed again. */
export interface ActiveFreeze {
  window: FreezeWindow;
  /**
   * The first moment after now outside every window (overlapping and adjacent windows are
   * followed through). null when the windows leave no gap for more than a year (e.g. "Mon-Sun").
   */
  endsAt: Date | null;
}
