/**
 * Which freeze window blocks a deploy now, and until when. Pure: `now` and the default zone
 * (the environment's `timezone:`, else UTC) are arguments.
 */
import { TandemError } from '../../errors.js';
import { type LocalToInstant, type Span, spansContaining } from './occurrences.js';
import type { ActiveFreeze, FreezeWindow } from './types.js';
import { DAY_MS, dayOfIsoDate, instantOfLocal, isTimeZone, unknownTimeZoneMessage } from './zone.js';

// Weekly and daily windows that leave no gap for a year never do (e.g. "Mon-Sun"); a year also
// covers both daylight-saving changes of every zone.
const HORIZON_MS = 366 * DAY_MS;

/**
 * The first window (in the given order) that contains `now`, and the first moment after `now`
 * outside every window, following overlapping and adjacent windows; undefined when deploys may go.
 * Start inclusive, end exclusive.
 */
export function activeFreeze(
  windows: readonly FreezeWindow[],
  now: Date,
  defaultZone = 'UTC',
): ActiveFreeze | undefined {
  if (!isTimeZone(defaultZone)) {
    const message = `${unknownTimeZoneMessage(defaultZone)} (environment timezone)`;
    throw new TandemError('TANDEM_FREEZE_TIMEZONE', message, { exitCode: 2 });
  }
  const at = now.getTime();
  const toInstant = memoized();
  const spansOf = (window: FreezeWindow, moment: number): Span[] =>
    spansContaining(window, window.zone ?? defaultZone, moment, toInstant);
  const window = windows.find((candidate) => spansOf(candidate, at).length > 0);
  if (window === undefined) return undefined;

  // Dated windows can bridge the gaps of weekly ones only for as long as they last.
  const horizon = at + HORIZON_MS + windows.reduce((sum, candidate) => sum + datedLength(candidate, at), 0);
  let end = at;
  for (;;) {
    const covering = windows.flatMap((candidate) => spansOf(candidate, end));
    if (covering.length === 0) return { window, endsAt: new Date(end) };
    // Every covering span ends after `end`, so this always moves forward.
    end = Math.max(...covering.map((span) => span.end));
    if (end > horizon) return { window, endsAt: null };
  }
}

/** Walking through adjacent spans converts the same local days again and again. */
function memoized(): LocalToInstant {
  const cache = new Map<string, number>();
  return (day, minute, zone) => {
    const key = `${zone} ${day} ${minute}`;
    let instant = cache.get(key);
    if (instant === undefined) {
      instant = instantOfLocal(day, minute, zone);
      cache.set(key, instant);
    }
    return instant;
  };
}

/** How long a dated window lasts after `at` (a day of slack either side covers any offset). */
function datedLength(window: FreezeWindow, at: number): number {
  if (window.kind !== 'dates') return 0;
  const from = dayOfIsoDate(window.from)! - 1;
  const to = dayOfIsoDate(window.to)! + 2;
  return Math.max(0, to * DAY_MS - Math.max(at, from * DAY_MS));
}
