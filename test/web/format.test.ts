import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatClock,
  formatCores,
  formatDateTime,
  formatDuration,
  formatMs,
  formatPercent,
  formatRate,
  formatRelative,
  shortSha,
} from '../../web/src/lib/format.js';

describe('dashboard number formatting', () => {
  it('writes rates, ratios and latencies compactly, and no data as an em dash', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(0.004)).toBe('<0.01/s');
    expect(formatRate(12.345)).toBe('12.3/s');
    expect(formatRate(1234)).toBe('1.23k/s');
    expect(formatPercent(0.0123)).toBe('1.23%');
    expect(formatPercent(0.00001)).toBe('<0.01%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('—');
    expect(formatMs(0.42)).toBe('0.42 ms');
    expect(formatMs(123.4)).toBe('123 ms');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatCores(0.25)).toBe('0.25');
    expect(formatCores(undefined)).toBe('—');
  });

  it('writes memory in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(80 * 1024 * 1024)).toBe('80 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GiB');
  });

  it('writes durations from milliseconds to days', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(2 * 3_600_000 + 3 * 60_000)).toBe('2h 03m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 04h');
    expect(formatDuration(-1)).toBe('—');
  });

  it('writes times relative to now, and clock times in a given zone', () => {
    const now = Date.UTC(2025, 2, 4, 14, 0, 0);
    expect(formatRelative(now - 2000, now)).toBe('just now');
    expect(formatRelative(now - 12_000, now)).toBe('12 s ago');
    expect(formatRelative(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatRelative(now - 5 * 3_600_000, now)).toBe('5 h ago');
    expect(formatRelative(now - 2 * 86_400_000, now)).toBe('2 d ago');
    expect(formatRelative(now + 3 * 60_000, now)).toBe('in 3 min');
    expect(formatClock(Date.UTC(2025, 2, 4, 9, 5, 7), 'UTC')).toBe('09:05:07');
    expect(formatDateTime(Date.UTC(2025, 2, 4, 0, 5, 7), 'UTC')).toBe('2025-03-04 00:05:07');
  });

  it('shortens commit hashes but not other refs', () => {
    expect(shortSha('abc1234def5678')).toBe('abc1234');
    expect(shortSha('v1.2')).toBe('v1.2');
    expect(shortSha(null)).toBe('—');
  });
});
