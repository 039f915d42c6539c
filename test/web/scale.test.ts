import { describe, expect, it } from 'vitest';
import {
  extent,
  linearScale,
  linePath,
  nearestIndex,
  niceDomain,
  niceStep,
  timeTicks,
} from '../../web/src/lib/scale.js';

describe('chart scales', () => {
  it('maps a domain onto a range and back, inverted y included', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(100)).toBe(0);
    expect(y(25)).toBe(150);
    expect(y.invert(150)).toBe(25);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });

  it('finds the extent of finite values only', () => {
    expect(extent([3, null, 1, undefined, Number.NaN, 7])).toEqual([1, 7]);
    expect(extent([null, undefined])).toBeUndefined();
  });

  it('picks 1-2-5 steps and a domain from zero to a nice tick above the maximum', () => {
    expect(niceStep(100, 4)).toBe(50);
    expect(niceStep(7, 4)).toBe(2);
    expect(niceStep(0.3, 4)).toBeCloseTo(0.1);
    expect(niceDomain([12, 37, null])).toEqual({ domain: [0, 40], ticks: [0, 10, 20, 30, 40] });
    const small = niceDomain([0.0012, 0.0031]);
    expect(small.domain).toEqual([0, 0.004]);
    expect(small.ticks).toEqual([0, 0.001, 0.002, 0.003, 0.004]);
    // Flat zero or no data still gives an axis; minMax lifts the top (replicas: at least 1).
    expect(niceDomain([]).domain[1]).toBeGreaterThan(0);
    expect(niceDomain([0, 0], { minMax: 1 }).domain[1]).toBeGreaterThanOrEqual(1);
    // Negative values keep their sign.
    expect(niceDomain([-3, 8]).domain[0]).toBeLessThanOrEqual(-3);
  });

  it('puts time ticks on clock-friendly steps, aligned to the zone offset', () => {
    const from = Date.UTC(2025, 0, 1, 10, 7);
    const ticks = timeTicks(from, from + 3_600_000, 6);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(7);
    for (const t of ticks) expect(t % (15 * 60_000)).toBe(0);
    const step = (ticks[1] as number) - (ticks[0] as number);
    expect(step).toBe(15 * 60_000);
    // A +30 min zone: hour ticks fall on the local hour, i.e. at :30 UTC.
    const shifted = timeTicks(from, from + 12 * 3_600_000, 6, 30 * 60_000);
    for (const t of shifted) expect((t + 30 * 60_000) % 3_600_000).toBe(0);
    expect(timeTicks(5, 5)).toEqual([]);
  });

  it('breaks lines where data is missing instead of bridging the gap', () => {
    expect(
      linePath([
        [0, 10],
        [1, 20],
        [2, null],
        [3, 5],
        [4, 6.04],
      ]),
    ).toBe('M0 10L1 20 M3 5L4 6');
    expect(linePath([[0, null]])).toBe('');
  });

  it('finds the nearest point to a pointer position', () => {
    const xs = [0, 10, 20, 30];
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 3)).toBe(-1);
  });
});
