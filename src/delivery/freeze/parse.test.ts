import { describe, expect, it } from 'vitest';
import { FREEZE_EXPECTED, parseFreeze } from './parse.js';
import type { FreezeWindow } from './types.js';

function ok(text: string): FreezeWindow {
  const result = parseFreeze(text);
  if (!result.ok) throw new Error(`expected "${text}" to parse: ${result.error}`);
  return result.window;
}

function error(text: string): string {
  const result = parseFreeze(text);
  if (result.ok) throw new Error(`expected "${text}" to be refused, got ${JSON.stringify(result.window)}`);
  return result.error;
}

describe('parseFreeze: valid entries', () => {
  it('reads a weekly span that wraps over the week', () => {
    expect(ok('Fri 16:00-Mon 08:00')).toEqual({
      kind: 'weekly',
      source: 'Fri 16:00-Mon 08:00',
      start: { day: 4, minute: 960 },
      end: { day: 0, minute: 480 },
    });
  });

  it('reads whole days, including a range that wraps and a list', () => {
    expect(ok('Sat-Sun')).toMatchObject({ kind: 'daily', days: [5, 6], startMinute: 0, endMinute: 1440 });
    expect(ok('Fri-Mon')).toMatchObject({ days: [0, 4, 5, 6] });
    expect(ok('Mon,Wed-Thu')).toMatchObject({ days: [0, 2, 3] });
    expect(ok('Sunday')).toMatchObject({ days: [6] });
  });

  it('reads days with a time range that crosses midnight', () => {
    expect(ok('Mon-Fri 22:00-06:00')).toMatchObject({
      kind: 'daily',
      days: [0, 1, 2, 3, 4],
      startMinute: 1320,
      endMinute: 360,
    });
  });

  it('reads a time range alone as every day', () => {
    expect(ok('22:00-06:00')).toMatchObject({
      days: [0, 1, 2, 3, 4, 5, 6],
      startMinute: 1320,
      endMinute: 360,
    });
  });

  it('treats an end of 00:00 or 24:00 as the following midnight', () => {
    expect(ok('Mon 18:00-00:00')).toMatchObject({ startMinute: 1080, endMinute: 1440 });
    expect(ok('Mon 00:00-24:00')).toMatchObject({ startMinute: 0, endMinute: 1440 });
    expect(ok('Mon 00:00-00:00')).toMatchObject({ startMinute: 0, endMinute: 1440 });
    expect(ok('Fri 16:00-Sun 24:00')).toMatchObject({ end: { day: 0, minute: 0 } });
  });

  it('reads date ranges and single dates', () => {
    expect(ok('2026-12-24..2026-12-26')).toEqual({
      kind: 'dates',
      source: '2026-12-24..2026-12-26',
      from: '2026-12-24',
      to: '2026-12-26',
    });
    expect(ok('2026-12-31')).toMatchObject({ from: '2026-12-31', to: '2026-12-31' });
    expect(ok('2028-02-29')).toMatchObject({ from: '2028-02-29' });
  });

  it('reads an optional time zone after any form', () => {
    expect(ok('Fri 16:00-Mon 08:00 Europe/Paris')).toMatchObject({ kind: 'weekly', zone: 'Europe/Paris' });
    expect(ok('Sat-Sun America/New_York')).toMatchObject({ kind: 'daily', zone: 'America/New_York' });
    expect(ok('2026-12-24..2026-12-26 Asia/Kolkata')).toMatchObject({ kind: 'dates', zone: 'Asia/Kolkata' });
    expect(ok('22:00-06:00 UTC')).toMatchObject({ zone: 'UTC' });
    expect(ok('Sat-Sun Etc/GMT-5')).toMatchObject({ days: [5, 6], zone: 'Etc/GMT-5' });
    expect(ok('Sat-Sun').zone).toBeUndefined();
  });

  it('fixes the case of a zone but keeps aliases as written', () => {
    expect(ok('Sat-Sun europe/paris').zone).toBe('Europe/Paris');
    // ICU calls it Asia/Calcutta; the user's name is the one to show back.
    expect(ok('Sat-Sun Asia/Kolkata').zone).toBe('Asia/Kolkata');
  });

  it('accepts any case, extra spaces, spaced dashes and en dashes', () => {
    const window = ok('  fri 16:00 – MON 8:00   europe/paris ');
    expect(window).toMatchObject({ start: { day: 4, minute: 960 }, end: { day: 0, minute: 480 } });
    expect(window.source).toBe('  fri 16:00 – MON 8:00   europe/paris ');
    expect(ok('2026-12-24 .. 2026-12-26')).toMatchObject({ from: '2026-12-24', to: '2026-12-26' });
    expect(ok('Mon - Fri 22:00 - 06:00')).toMatchObject({ days: [0, 1, 2, 3, 4], startMinute: 1320 });
  });
});

describe('parseFreeze: refused entries say what was expected', () => {
  it('refuses an empty entry and unknown shapes with the list of forms', () => {
    expect(error('')).toBe(`empty freeze window: ${FREEZE_EXPECTED}`);
    expect(FREEZE_EXPECTED).toBe(
      'expected "Fri 16:00-Mon 08:00", "Sat-Sun" or "2026-12-24..2026-12-26", optionally followed by a time zone such as "Europe/Paris"',
    );
    for (const text of ['Fri 16:00', 'weekends', 'Sat Sun', '2026-12-24..2026-12-25..2026-12-26']) {
      expect(error(text)).toBe(`cannot read freeze window "${text}": ${FREEZE_EXPECTED}`);
    }
  });

  it('names an unknown day', () => {
    expect(error('Fry 16:00-Mon 08:00')).toBe(
      'unknown day "Fry" in freeze window "Fry 16:00-Mon 08:00": expected Mon, Tue, Wed, Thu, Fri, Sat or Sun',
    );
    expect(error('Sat-Sonday')).toContain('unknown day "Sonday"');
    expect(error('Mon-Tue-Wed')).toContain('cannot read days "Mon-Tue-Wed"');
  });

  it('names an invalid time', () => {
    expect(error('Fri 25:00-Mon 08:00')).toBe(
      'invalid start time "25:00" in freeze window "Fri 25:00-Mon 08:00": expected HH:MM from 00:00 to 23:59 (24:00 is allowed as an end)',
    );
    expect(error('Mon-Fri 22:00-06:60')).toContain('invalid end time "06:60"');
    expect(error('Mon-Fri 24:00-06:00')).toContain('invalid start time "24:00"');
    expect(error('Mon-Fri 22h-6h')).toContain('invalid start time "22h"');
  });

  it('names an unknown time zone', () => {
    expect(error('Sat-Sun Europe/Pariss')).toBe(
      'unknown time zone "Europe/Pariss": use an IANA name such as "Europe/Paris", "America/New_York" or "UTC" (in freeze window "Sat-Sun Europe/Pariss")',
    );
    expect(error('Fri 16:00-Mon 08:00 Mars/Olympus')).toContain('unknown time zone "Mars/Olympus"');
  });

  it('names an invalid date and a range written backwards', () => {
    expect(error('2026-02-30')).toBe(
      'invalid date "2026-02-30" in freeze window "2026-02-30": expected a calendar date as YYYY-MM-DD, such as "2026-12-24"',
    );
    expect(error('2026-12-24..2026-13-01')).toContain('invalid date "2026-13-01"');
    expect(error('2026-12-26..2026-12-24')).toBe(
      'freeze window "2026-12-26..2026-12-24" ends before it starts: write the earlier date first, as in "2026-12-24..2026-12-26"',
    );
  });

  it('refuses spans that start and end at the same moment', () => {
    expect(error('Mon 08:00-08:00')).toContain('starts and ends at 08:00');
    expect(error('Mon 08:00-Mon 08:00')).toContain('starts and ends at the same moment');
    expect(error('Sun 24:00-Mon 00:00')).toContain('invalid start time "24:00"');
    expect(error('Mon 00:00-Sun 24:00')).toContain('starts and ends at the same moment');
  });

  it('refuses cron expressions with the forms to use instead', () => {
    expect(error('0 16 * * 5')).toBe(
      'freeze window "0 16 * * 5" looks like a cron expression, which names instants rather than a span: write a range such as "Fri 16:00-Mon 08:00", "Mon-Fri 22:00-06:00" or "Sat-Sun" instead',
    );
    expect(error('0 16 1 1 5')).toContain('looks like a cron expression');
  });
});
