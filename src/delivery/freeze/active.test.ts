import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { activeFreeze } from './active.js';
import { parseFreeze } from './parse.js';
import type { FreezeWindow } from './types.js';

function win(text: string): FreezeWindow {
  const result = parseFreeze(text);
  if (!result.ok) throw new Error(result.error);
  return result.window;
}

const at = (iso: string) => new Date(iso);
const justBefore = (iso: string) => new Date(Date.parse(iso) - 1);

/** When deploys may go again, or 'open' when nothing blocks them at `now`. */
function endsAt(texts: string[], now: Date, defaultZone?: string): string | null {
  const active = activeFreeze(texts.map(win), now, defaultZone);
  if (active === undefined) return 'open';
  return active.endsAt === null ? null : active.endsAt.toISOString();
}

describe('activeFreeze: boundaries', () => {
  it('includes the start and excludes the end', () => {
    const weekend = ['Fri 16:00-Mon 08:00'];
    // 2026-06-05 is a Friday.
    expect(endsAt(weekend, justBefore('2026-06-05T16:00:00Z'))).toBe('open');
    expect(endsAt(weekend, at('2026-06-05T16:00:00Z'))).toBe('2026-06-08T08:00:00.000Z');
    expect(endsAt(weekend, justBefore('2026-06-08T08:00:00Z'))).toBe('2026-06-08T08:00:00.000Z');
    expect(endsAt(weekend, at('2026-06-08T08:00:00Z'))).toBe('open');
  });

  it('returns the window that blocks, or undefined', () => {
    const windows = [win('Mon-Fri 22:00-06:00'), win('Sat-Sun')];
    expect(activeFreeze(windows, at('2026-06-06T12:00:00Z'))?.window).toBe(windows[1]);
    expect(activeFreeze(windows, at('2026-06-03T12:00:00Z'))).toBeUndefined();
    expect(activeFreeze([], at('2026-06-03T12:00:00Z'))).toBeUndefined();
  });
});

describe('activeFreeze: wrapping', () => {
  it('wraps a weekly span over the end of the week', () => {
    const span = ['Sat 18:00-Tue 06:00'];
    expect(endsAt(span, at('2026-06-07T23:59:00Z'))).toBe('2026-06-09T06:00:00.000Z'); // Sunday night
    expect(endsAt(span, at('2026-06-08T12:00:00Z'))).toBe('2026-06-09T06:00:00.000Z'); // Monday
    expect(endsAt(span, at('2026-06-10T12:00:00Z'))).toBe('open'); // Wednesday
  });

  it('wraps nearly a whole week when the end comes just before the start', () => {
    const span = ['Mon 10:00-Mon 08:00'];
    expect(endsAt(span, at('2026-06-08T09:00:00Z'))).toBe('open');
    expect(endsAt(span, at('2026-06-14T12:00:00Z'))).toBe('2026-06-15T08:00:00.000Z');
  });

  it('runs a nightly span past midnight into the next day, only from the listed days', () => {
    const nights = ['Mon-Fri 22:00-06:00'];
    expect(endsAt(nights, at('2026-06-05T22:00:00Z'))).toBe('2026-06-06T06:00:00.000Z'); // Fri night
    expect(endsAt(nights, at('2026-06-06T05:59:00Z'))).toBe('2026-06-06T06:00:00.000Z'); // Sat early
    expect(endsAt(nights, at('2026-06-06T22:00:00Z'))).toBe('open'); // Sat night: not listed
    expect(endsAt(nights, at('2026-06-08T05:00:00Z'))).toBe('open'); // Mon early: Sunday's night
    expect(endsAt(nights, at('2026-06-08T23:00:00Z'))).toBe('2026-06-09T06:00:00.000Z');
  });

  it('freezes whole days and wrapped day ranges', () => {
    expect(endsAt(['Sat-Sun'], at('2026-06-06T00:00:00Z'))).toBe('2026-06-08T00:00:00.000Z');
    expect(endsAt(['Sat-Sun'], justBefore('2026-06-06T00:00:00Z'))).toBe('open');
    expect(endsAt(['Fri-Mon'], at('2026-06-05T10:00:00Z'))).toBe('2026-06-09T00:00:00.000Z');
  });

  it('freezes date ranges inclusively', () => {
    const holidays = ['2026-12-24..2026-12-26'];
    expect(endsAt(holidays, justBefore('2026-12-24T00:00:00Z'))).toBe('open');
    expect(endsAt(holidays, at('2026-12-24T00:00:00Z'))).toBe('2026-12-27T00:00:00.000Z');
    expect(endsAt(holidays, at('2026-12-26T23:59:59Z'))).toBe('2026-12-27T00:00:00.000Z');
    expect(endsAt(holidays, at('2026-12-27T00:00:00Z'))).toBe('open');
    expect(endsAt(['2026-12-31'], at('2026-12-31T12:00:00Z'))).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('activeFreeze: time zones', () => {
  it('uses the zone of the entry, else the default zone, else UTC', () => {
    // Friday 15:30Z is 17:30 in Paris (summer) and 11:30 in New York.
    const now = at('2026-06-05T15:30:00Z');
    expect(endsAt(['Fri 16:00-Mon 08:00'], now)).toBe('open');
    expect(endsAt(['Fri 16:00-Mon 08:00 Europe/Paris'], now)).toBe('2026-06-08T06:00:00.000Z');
    expect(endsAt(['Fri 16:00-Mon 08:00'], now, 'Europe/Paris')).toBe('2026-06-08T06:00:00.000Z');
    expect(endsAt(['Fri 16:00-Mon 08:00 America/New_York'], now, 'Europe/Paris')).toBe('open');
  });

  it('handles a 30-minute offset (Asia/Kolkata) and a zone without daylight saving (Asia/Tokyo)', () => {
    const office = ['Mon-Fri 09:00-17:00 Asia/Kolkata'];
    expect(endsAt(office, justBefore('2026-06-08T03:30:00Z'))).toBe('open');
    expect(endsAt(office, at('2026-06-08T03:30:00Z'))).toBe('2026-06-08T11:30:00.000Z');
    const tokyo = ['Fri 18:00-Mon 09:00 Asia/Tokyo'];
    expect(endsAt(tokyo, at('2026-01-09T09:00:00Z'))).toBe('2026-01-12T00:00:00.000Z');
    expect(endsAt(tokyo, at('2026-07-10T09:00:00Z'))).toBe('2026-07-13T00:00:00.000Z');
  });

  it('takes local days in the zone for date ranges', () => {
    const holidays = ['2026-12-24..2026-12-26 Europe/Paris'];
    expect(endsAt(holidays, at('2026-12-23T23:00:00Z'))).toBe('2026-12-26T23:00:00.000Z');
    expect(endsAt(holidays, justBefore('2026-12-23T23:00:00Z'))).toBe('open');
  });

  it('refuses an unknown default zone with a stable code', () => {
    let thrown: unknown;
    try {
      activeFreeze([win('Sat-Sun')], at('2026-06-06T00:00:00Z'), 'Mars/Olympus');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TandemError);
    expect(thrown).toMatchObject({ code: 'TANDEM_FREEZE_TIMEZONE', exitCode: 2 });
    expect((thrown as Error).message).toContain('unknown time zone "Mars/Olympus"');
  });
});

describe('activeFreeze: daylight-saving changes', () => {
  const length = (texts: string[], start: string) =>
    Date.parse(endsAt(texts, at(start))!) - Date.parse(start);
  const HOUR = 3_600_000;

  it('gives a window the length of its wall-clock span in Europe/Paris', () => {
    const night = ['Sun 01:00-04:00 Europe/Paris'];
    // 2026-03-29 01:00 CET = 00:00Z; 02:00→03:00 is skipped, 04:00 CEST = 02:00Z: 2 hours.
    expect(length(night, '2026-03-29T00:00:00Z')).toBe(2 * HOUR);
    expect(endsAt(night, justBefore('2026-03-29T00:00:00Z'))).toBe('open');
    // 2026-10-25 01:00 CEST = 23:00Z the day before; 03:00→02:00 repeats, 04:00 CET = 03:00Z: 4 hours.
    expect(length(night, '2026-10-24T23:00:00Z')).toBe(4 * HOUR);
    expect(endsAt(night, justBefore('2026-10-24T23:00:00Z'))).toBe('open');
    // An ordinary Sunday: 3 hours.
    expect(length(night, '2026-06-06T23:00:00Z')).toBe(3 * HOUR);
  });

  it('does the same in America/New_York', () => {
    const night = ['Sun 00:00-04:00 America/New_York'];
    // 2026-03-08: 02:00 EST → 03:00 EDT; 00:00 EST = 05:00Z, 04:00 EDT = 08:00Z.
    expect(length(night, '2026-03-08T05:00:00Z')).toBe(3 * HOUR);
    // 2026-11-01: 02:00 EDT → 01:00 EST; 00:00 EDT = 04:00Z, 04:00 EST = 09:00Z.
    expect(length(night, '2026-11-01T04:00:00Z')).toBe(5 * HOUR);
  });

  it('starts a window at a skipped time at the next existing instant', () => {
    const skipped = ['Sun 02:30-05:00 Europe/Paris'];
    // 02:30 does not exist on 2026-03-29: the window starts at 03:00 CEST = 01:00Z.
    expect(endsAt(skipped, justBefore('2026-03-29T01:00:00Z'))).toBe('open');
    expect(endsAt(skipped, at('2026-03-29T01:00:00Z'))).toBe('2026-03-29T03:00:00.000Z');
    // A window entirely inside the skipped hour is empty that day.
    const inside = ['Sun 02:10-02:50 Europe/Paris'];
    expect(endsAt(inside, at('2026-03-29T01:00:00Z'))).toBe('open');
    expect(endsAt(inside, at('2026-03-29T00:30:00Z'))).toBe('open');
  });

  it('takes the first occurrence of a repeated time', () => {
    // 02:30 happens at 00:30Z (CEST) and 01:30Z (CET) on 2026-10-25.
    const starts = ['Sun 02:30-05:00 Europe/Paris'];
    expect(endsAt(starts, justBefore('2026-10-25T00:30:00Z'))).toBe('open');
    expect(endsAt(starts, at('2026-10-25T00:30:00Z'))).toBe('2026-10-25T04:00:00.000Z');
    const ends = ['Sun 01:00-02:30 Europe/Paris'];
    expect(endsAt(ends, at('2026-10-25T00:00:00Z'))).toBe('2026-10-25T00:30:00.000Z');
    // The repeated 02:15 (CET, 01:15Z) comes after the end: not frozen.
    expect(endsAt(ends, at('2026-10-25T01:15:00Z'))).toBe('open');
  });

  it('keeps a nightly window crossing a change in one piece', () => {
    const nights = ['Sat 22:00-06:00 Europe/Paris'];
    // Sat 22:00 CET = 21:00Z; Sun 06:00 CEST = 04:00Z.
    expect(endsAt(nights, at('2026-03-28T21:00:00Z'))).toBe('2026-03-29T04:00:00.000Z');
    expect(endsAt(nights, at('2026-03-29T01:00:00Z'))).toBe('2026-03-29T04:00:00.000Z');
  });
});

describe('activeFreeze: endsAt through overlapping and adjacent windows', () => {
  it('follows an adjacent window', () => {
    const windows = ['Fri 16:00-Mon 08:00', 'Mon 08:00-Mon 12:00'];
    expect(endsAt(windows, at('2026-06-06T12:00:00Z'))).toBe('2026-06-08T12:00:00.000Z');
  });

  it('follows a chain of overlapping windows, in any order and across zones', () => {
    const windows = [
      'Mon 00:00-Mon 06:00',
      'Sat-Sun',
      'Fri 20:00-Sat 01:00',
      'Mon 05:00-Mon 09:00 Europe/Paris',
    ];
    // Fri 20:00 → Sat 01:00 → Mon 00:00 → Mon 06:00Z, then Paris 05:00-09:00 CEST = 03:00Z-07:00Z.
    expect(endsAt(windows, at('2026-06-05T21:00:00Z'))).toBe('2026-06-08T07:00:00.000Z');
    expect(activeFreeze(windows.map(win), at('2026-06-05T21:00:00Z'))?.window.source).toBe(
      'Fri 20:00-Sat 01:00',
    );
  });

  it('stops at a gap, however small', () => {
    const windows = ['Fri 16:00-Mon 08:00', 'Mon 08:01-Mon 12:00'];
    expect(endsAt(windows, at('2026-06-06T12:00:00Z'))).toBe('2026-06-08T08:00:00.000Z');
  });

  it('extends a holiday by an adjacent weekend', () => {
    // 2026-12-24 is a Thursday; the holidays run into Saturday, the weekend to Monday 00:00.
    expect(endsAt(['2026-12-24..2026-12-26', 'Sat-Sun'], at('2026-12-25T10:00:00Z'))).toBe(
      '2026-12-28T00:00:00.000Z',
    );
  });

  it('reports no end when the windows leave no gap', () => {
    expect(endsAt(['Mon-Sun'], at('2026-06-05T12:00:00Z'))).toBeNull();
    expect(endsAt(['Fri 16:00-Mon 08:00', 'Mon 08:00-Fri 16:00'], at('2026-06-05T12:00:00Z'))).toBeNull();
    // A far-away dated window does not make the search walk to it.
    expect(endsAt(['Mon-Sun', '2099-01-01'], at('2026-06-05T12:00:00Z'))).toBeNull();
  });

  it('finds an end behind a long run of whole days', () => {
    // Sunday 2026-06-14 bridges two Mon-Sat runs; the next Sunday is open.
    expect(endsAt(['Mon-Sat', '2026-06-14'], at('2026-06-08T12:00:00Z'))).toBe('2026-06-21T00:00:00.000Z');
    expect(endsAt(['2026-06-01..2026-09-30', 'Mon-Fri 22:00-06:00'], at('2026-07-01T00:00:00Z'))).toBe(
      '2026-10-01T06:00:00.000Z',
    );
  });
});
