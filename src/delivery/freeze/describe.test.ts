import { describe, expect, it } from 'vitest';
import { describeFreeze, describeInstant } from './describe.js';
import { parseFreeze } from './parse.js';

function described(text: string, defaultZone?: string): string {
  const result = parseFreeze(text);
  if (!result.ok) throw new Error(result.error);
  return describeFreeze(result.window, defaultZone);
}

describe('describeFreeze', () => {
  it('describes each form with its zone', () => {
    expect(described('Fri 16:00-Mon 08:00 Europe/Paris')).toBe('Fri 16:00 – Mon 08:00 (Europe/Paris)');
    expect(described('sat-sun')).toBe('Sat–Sun (UTC)');
    expect(described('Mon-Fri 22:00-06:00')).toBe('Mon–Fri 22:00 – 06:00 (UTC)');
    expect(described('22:00-6:00')).toBe('every day 22:00 – 06:00 (UTC)');
    expect(described('2026-12-24..2026-12-26 Asia/Kolkata')).toBe('2026-12-24 – 2026-12-26 (Asia/Kolkata)');
    expect(described('2026-12-31')).toBe('2026-12-31 (UTC)');
  });

  it('shows the default zone when the entry has none', () => {
    expect(described('Sat-Sun', 'America/New_York')).toBe('Sat–Sun (America/New_York)');
    expect(described('Sat-Sun Europe/Paris', 'America/New_York')).toBe('Sat–Sun (Europe/Paris)');
  });

  it('groups days into runs, wrapping over the week', () => {
    expect(described('Fri-Mon')).toBe('Fri–Mon (UTC)');
    expect(described('Mon,Wed-Thu,Sat')).toBe('Mon, Wed–Thu, Sat (UTC)');
    expect(described('Sun-Sat')).toBe('every day (UTC)');
    expect(described('Mon 18:00-24:00')).toBe('Mon 18:00 – 24:00 (UTC)');
  });
});

describe('describeInstant', () => {
  it('shows an instant in the wall-clock time of a zone, across daylight saving', () => {
    expect(describeInstant(new Date('2026-03-30T06:00:00Z'), 'Europe/Paris')).toBe(
      'Mon 2026-03-30 08:00 (Europe/Paris)',
    );
    expect(describeInstant(new Date('2026-03-27T07:00:00Z'), 'Europe/Paris')).toBe(
      'Fri 2026-03-27 08:00 (Europe/Paris)',
    );
    expect(describeInstant(new Date('2026-06-08T03:30:00Z'), 'Asia/Kolkata')).toBe(
      'Mon 2026-06-08 09:00 (Asia/Kolkata)',
    );
  });
});
