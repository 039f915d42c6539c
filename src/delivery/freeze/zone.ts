/**
 * Wall-clock arithmetic in IANA time zones with Intl.DateTimeFormat only (Node ships full ICU).
 *
 * A wall-clock time is counted in ms "as if the zone were UTC" (`wallMs`), a local day as the
 * number of days since 1970-01-01 on the zone's calendar. Turning wall-clock time into an instant:
 * - a time that does not exist (skipped by a spring-forward change, e.g. 02:30 on 2026-03-29 in
 *   Europe/Paris) resolves to the next existing instant: the moment of the change (03:00 CEST);
 * - a time that happens twice (repeated by a fall-back change, e.g. 02:30 on 2026-10-25 in
 *   Europe/Paris) resolves to its first occurrence (02:30 CEST, before the clocks go back).
 * Both rules keep the mapping non-decreasing, so a window never ends before it starts.
 */
import type { Weekday } from './types.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

// Building a formatter is slow next to formatting; one per zone, kept for the process.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (found === undefined) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, found);
  }
  return found;
}

/**
 * The zone's name to keep, or undefined when Intl does not know it. Case is fixed when Intl
 * reports the same name ("europe/paris" → "Europe/Paris"); aliases stay as written ("Asia/Kolkata"
 * is not turned into ICU's "Asia/Calcutta").
 */
export function normalizeTimeZone(zone: string): string | undefined {
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
  } catch {
    return undefined;
  }
}

export function isTimeZone(zone: string): boolean {
  return normalizeTimeZone(zone) !== undefined;
}

/** What to tell a user whose time zone is unknown (also for the environment's `timezone:`). */
export function unknownTimeZoneMessage(zone: string): string {
  return `unknown time zone "${zone}": use an IANA name such as "Europe/Paris", "America/New_York" or "UTC"`;
}

/** The zone's wall-clock time at an instant, in ms as if the zone were UTC. */
export function wallClockAt(instantMs: number, zone: string): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter(zone).formatToParts(instantMs)) {
    const value = Number(part.value);
    if (part.type === 'year') year = value;
    else if (part.type === 'month') month = value;
    else if (part.type === 'day') day = value;
    else if (part.type === 'hour') hour = value;
    else if (part.type === 'minute') minute = value;
    else if (part.type === 'second') second = value;
  }
  const millis = ((instantMs % 1000) + 1000) % 1000;
  return Date.UTC(year, month - 1, day, hour, minute, second) + millis;
}

/** The zone's offset from UTC at an instant, in ms (Paris in summer: +2 h). */
export function offsetAt(instantMs: number, zone: string): number {
  return wallClockAt(instantMs, zone) - instantMs;
}

/** The instant of a wall-clock time in a zone (skipped → next existing instant, repeated → first). */
export function instantOfWallClock(wallMs: number, zone: string): number {
  // Offsets a day either side bracket any change near this time (no zone changes twice a day).
  const offsets = new Set([offsetAt(wallMs - DAY_MS, zone), offsetAt(wallMs + DAY_MS, zone)]);
  const exact = [...offsets]
    .map((offset) => wallMs - offset)
    .filter((instant) => wallClockAt(instant, zone) === wallMs)
    .sort((a, b) => a - b);
  if (exact[0] !== undefined) return exact[0];
  return changeBetween(wallMs, [...offsets], zone);
}

/**
 * A skipped wall-clock time: the change happened between the instants this time would have with
 * the old and the new offset; the first instant with the new offset is the next existing one.
 */
function changeBetween(wallMs: number, offsets: number[], zone: string): number {
  const instants = offsets.map((offset) => wallMs - offset);
  let lo = Math.min(...instants);
  let hi = Math.max(...instants);
  const before = offsetAt(lo, zone);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The local day (days since 1970-01-01 on the zone's calendar) at an instant. */
export function localDayAt(instantMs: number, zone: string): number {
  return Math.floor(wallClockAt(instantMs, zone) / DAY_MS);
}

/** The instant a local day starts, plus `minute` minutes of wall-clock time (may exceed 1440). */
export function instantOfLocal(day: number, minute: number, zone: string): number {
  return instantOfWallClock(day * DAY_MS + minute * MINUTE_MS, zone);
}

/** Monday = 0 … Sunday = 6; 1970-01-01 was a Thursday. */
export function weekdayOfDay(day: number): Weekday {
  return ((((day + 3) % 7) + 7) % 7) as Weekday;
}

/** Day number of a valid "YYYY-MM-DD", or undefined ("2026-02-30" is not a date). */
export function dayOfIsoDate(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}
