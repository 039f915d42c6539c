import { describe, expect, it } from 'vitest';
import {
  dayOfIsoDate,
  instantOfWallClock,
  localDayAt,
  normalizeTimeZone,
  offsetAt,
  wallClockAt,
  weekdayOfDay,
} from './zone.js';

const HOUR = 3_600_000;
const utc = (iso: string) => Date.parse(iso);
/** Wall-clock "YYYY-MM-DDTHH:MM" counted as if the zone were UTC. */
const wall = (local: string) => Date.parse(`${local}:00Z`);
const instant = (local: string, zone: string) =>
  new Date(instantOfWallClock(wall(local), zone)).toISOString();

describe('offsets', () => {
  it('follows daylight saving in Europe/Paris and America/New_York', () => {
    expect(offsetAt(utc('2026-01-15T12:00:00Z'), 'Europe/Paris')).toBe(1 * HOUR);
    expect(offsetAt(utc('2026-07-15T12:00:00Z'), 'Europe/Paris')).toBe(2 * HOUR);
    expect(offsetAt(utc('2026-01-15T12:00:00Z'), 'America/New_York')).toBe(-5 * HOUR);
    expect(offsetAt(utc('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * HOUR);
  });

  it('handles a 30-minute offset and a zone without daylight saving', () => {
    expect(offsetAt(utc('2026-01-15T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * HOUR);
    expect(offsetAt(utc('2026-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * HOUR);
    expect(offsetAt(utc('2026-01-15T12:00:00Z'), 'Asia/Tokyo')).toBe(9 * HOUR);
    expect(offsetAt(utc('2026-07-15T12:00:00Z'), 'Asia/Tokyo')).toBe(9 * HOUR);
  });

  it('reads the wall clock with milliseconds', () => {
    expect(wallClockAt(utc('2026-07-15T12:34:56.789Z'), 'Europe/Paris')).toBe(
      utc('2026-07-15T14:34:56.789Z'),
    );
    expect(localDayAt(utc('2026-07-15T23:30:00Z'), 'Europe/Paris')).toBe(dayOfIsoDate('2026-07-16'));
  });
});

describe('wall-clock time to instant', () => {
  it('converts ordinary times', () => {
    expect(instant('2026-03-28T02:30', 'Europe/Paris')).toBe('2026-03-28T01:30:00.000Z');
    expect(instant('2026-06-01T09:00', 'Asia/Kolkata')).toBe('2026-06-01T03:30:00.000Z');
    expect(instant('2026-06-01T09:00', 'UTC')).toBe('2026-06-01T09:00:00.000Z');
  });

  it('resolves a skipped time to the next existing instant (the moment of the change)', () => {
    // Europe/Paris 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
    expect(instant('2026-03-29T02:00', 'Europe/Paris')).toBe('2026-03-29T01:00:00.000Z');
    expect(instant('2026-03-29T02:30', 'Europe/Paris')).toBe('2026-03-29T01:00:00.000Z');
    expect(instant('2026-03-29T02:59', 'Europe/Paris')).toBe('2026-03-29T01:00:00.000Z');
    expect(instant('2026-03-29T03:00', 'Europe/Paris')).toBe('2026-03-29T01:00:00.000Z');
    expect(instant('2026-03-29T01:59', 'Europe/Paris')).toBe('2026-03-29T00:59:00.000Z');
    // America/New_York 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z.
    expect(instant('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
  });

  it('resolves a repeated time to its first occurrence', () => {
    // Europe/Paris 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:30 happens twice.
    expect(instant('2026-10-25T02:30', 'Europe/Paris')).toBe('2026-10-25T00:30:00.000Z');
    expect(instant('2026-10-25T02:00', 'Europe/Paris')).toBe('2026-10-25T00:00:00.000Z');
    expect(instant('2026-10-25T03:00', 'Europe/Paris')).toBe('2026-10-25T02:00:00.000Z');
    // America/New_York 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    expect(instant('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('never maps a later wall-clock time to an earlier instant around a change', () => {
    for (const [day, zone] of [
      ['2026-03-29', 'Europe/Paris'],
      ['2026-10-25', 'Europe/Paris'],
      ['2026-03-08', 'America/New_York'],
      ['2026-11-01', 'America/New_York'],
    ] as const) {
      let previous = Number.NEGATIVE_INFINITY;
      for (let minute = 0; minute < 6 * 60; minute += 15) {
        const at = instantOfWallClock(wall(`${day}T00:00`) + minute * 60_000, zone);
        expect(at).toBeGreaterThanOrEqual(previous);
        previous = at;
      }
    }
  });
});

describe('zone names and calendar days', () => {
  it('normalizes names Intl knows and refuses the others', () => {
    expect(normalizeTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(normalizeTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(normalizeTimeZone('utc')).toBe('UTC');
    expect(normalizeTimeZone('Europe/Pariss')).toBeUndefined();
    expect(normalizeTimeZone('')).toBeUndefined();
  });

  it('numbers days and weekdays (Monday = 0)', () => {
    expect(dayOfIsoDate('1970-01-01')).toBe(0);
    expect(weekdayOfDay(0)).toBe(3);
    expect(weekdayOfDay(dayOfIsoDate('2026-03-29')!)).toBe(6);
    expect(weekdayOfDay(-1)).toBe(2);
    expect(dayOfIsoDate('2026-02-29')).toBeUndefined();
    expect(dayOfIsoDate('2026-1-01')).toBeUndefined();
  });
});
