/** Human-readable freeze windows and instants, for CLI messages and the event log. */
import type { FreezeWindow, Weekday } from './types.js';
import { DAY_MS, MINUTE_MS, wallClockAt, weekdayOfDay } from './zone.js';

const DAY_LABELS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * "Fri 16:00 – Mon 08:00 (Europe/Paris)", "Sat–Sun (UTC)", "Mon–Fri 22:00 – 06:00 (UTC)",
 * "2026-12-24 – 2026-12-26 (UTC)". A window without a zone shows `defaultZone`.
 */
export function describeFreeze(window: FreezeWindow, defaultZone = 'UTC'): string {
  return `${describeSpan(window)} (${window.zone ?? defaultZone})`;
}

function describeSpan(window: FreezeWindow): string {
  switch (window.kind) {
    case 'weekly':
      return `${DAY_LABELS[window.start.day]} ${clock(window.start.minute)} – ${DAY_LABELS[window.end.day]} ${clock(window.end.minute)}`;
    case 'daily': {
      const days = describeDays(window.days);
      if (window.startMinute === 0 && window.endMinute === 1440) return days;
      return `${days} ${clock(window.startMinute)} – ${clock(window.endMinute)}`;
    }
    case 'dates':
      return window.from === window.to ? window.from : `${window.from} – ${window.to}`;
  }
}

/** "Wed 2026-03-25 08:00 (Europe/Paris)": when a freeze ends, in the window's zone. */
export function describeInstant(at: Date, zone: string): string {
  const wall = wallClockAt(at.getTime(), zone);
  const day = Math.floor(wall / DAY_MS);
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
  const minute = Math.floor((wall - day * DAY_MS) / MINUTE_MS);
  return `${DAY_LABELS[weekdayOfDay(day)]} ${date} ${clock(minute)} (${zone})`;
}

/** Runs of consecutive days, wrapping over the week: [0, 4, 5, 6] → "Fri–Mon". */
function describeDays(days: readonly Weekday[]): string {
  if (days.length === 7) return 'every day';
  const has = (day: number) => days.includes((((day % 7) + 7) % 7) as Weekday);
  const runs: string[] = [];
  for (let first = 0; first < 7; first++) {
    if (!has(first) || has(first - 1)) continue;
    let last = first;
    while (has(last + 1)) last++;
    const from = DAY_LABELS[first];
    const to = DAY_LABELS[last % 7];
    runs.push(first === last ? `${from}` : `${from}–${to}`);
  }
  return runs.join(', ');
}

function clock(minute: number): string {
  const hours = Math.floor(minute / 60);
  return `${String(hours).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
