/**
 * A freeze window as instants: each occurrence is a span of wall-clock time in the window's zone,
 * turned into [start, end) instants with the rules of zone.ts (so a "Sun 01:00-04:00" span lasts
 * 2 h on a spring-forward Sunday and 4 h on a fall-back Sunday in Europe/Paris).
 */
import type { FreezeWindow } from './types.js';
import { dayOfIsoDate, instantOfLocal, localDayAt, weekdayOfDay } from './zone.js';

/** [start, end) in ms since the epoch; start inclusive, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/** A span of wall-clock time: from `startMinute` of local day `day`, lasting `minutes`. */
interface LocalSpan {
  day: number;
  startMinute: number;
  minutes: number;
}

// An occurrence starts at most 8 local days before any moment it covers (a weekly span is
// shorter than 7 days and may start late on its first day); one day after covers the offset.
const DAYS_BEFORE = 8;
const DAYS_AFTER = 1;

/** Local day + minutes → instant; instantOfLocal, or a memo of it when asking many times. */
export type LocalToInstant = (day: number, minute: number, zone: string) => number;

/** The occurrences of a window that contain `at`. */
export function spansContaining(
  window: FreezeWindow,
  zone: string,
  at: number,
  toInstant: LocalToInstant = instantOfLocal,
): Span[] {
  const found: Span[] = [];
  for (const local of localSpansNear(window, zone, at)) {
    const start = toInstant(local.day, local.startMinute, zone);
    if (start > at) continue;
    const end = toInstant(local.day, local.startMinute + local.minutes, zone);
    if (at < end) found.push({ start, end });
  }
  return found;
}

function localSpansNear(window: FreezeWindow, zone: string, at: number): LocalSpan[] {
  if (window.kind === 'dates') {
    const from = dayOfIsoDate(window.from)!;
    const to = dayOfIsoDate(window.to)!;
    return [{ day: from, startMinute: 0, minutes: (to - from + 1) * 1440 }];
  }
  const today = localDayAt(at, zone);
  const spans: LocalSpan[] = [];
  for (let day = today - DAYS_BEFORE; day <= today + DAYS_AFTER; day++) {
    const weekday = weekdayOfDay(day);
    if (window.kind === 'weekly') {
      if (weekday !== window.start.day) continue;
      const start = window.start.day * 1440 + window.start.minute;
      const end = window.end.day * 1440 + window.end.minute;
      // The end comes first in the week: the span wraps over Sunday night.
      const minutes = end > start ? end - start : end + 7 * 1440 - start;
      spans.push({ day, startMinute: window.start.minute, minutes });
    } else if (window.days.includes(weekday)) {
      const crossesMidnight = window.endMinute <= window.startMinute;
      const minutes = window.endMinute - window.startMinute + (crossesMidnight ? 1440 : 0);
      spans.push({ day, startMinute: window.startMinute, minutes });
    }
  }
  return spans;
}
