import { describe, expect, it } from 'vitest';
import { splitByTraffic } from './split-by-traffic.js';

describe('splitByTraffic', () => {
  it('splits by share with largest-remainder rounding, summing to the total', () => {
    expect(splitByTraffic(10, { stable: 90, canary: 10 })).toEqual({ stable: 9, canary: 1 });
    expect(splitByTraffic(10, { stable: 75, canary: 25 })).toEqual({ stable: 7, canary: 3 });
    expect(splitByTraffic(4, { stable: 50, canary: 50 })).toEqual({ stable: 2, canary: 2 });
  });

  it('gives every revision with traffic at least one instance', () => {
    expect(splitByTraffic(10, { stable: 99, canary: 1 })).toEqual({ stable: 9, canary: 1 });
    expect(splitByTraffic(1, { stable: 95, canary: 5 })).toEqual({ stable: 1, canary: 1 });
  });

  it('gives a revision with zero weight no instances', () => {
    expect(splitByTraffic(5, { stable: 100, canary: 0 })).toEqual({ stable: 5, canary: 0 });
  });

  it('is deterministic on ties', () => {
    expect(splitByTraffic(3, { b: 50, a: 50 })).toEqual({ a: 2, b: 1 });
  });

  it('handles weights that do not sum to 100 and a zero total', () => {
    expect(splitByTraffic(6, { stable: 2, canary: 1 })).toEqual({ stable: 4, canary: 2 });
    expect(splitByTraffic(0, { stable: 100 })).toEqual({ stable: 1 });
    expect(splitByTraffic(5, {})).toEqual({});
  });

  it('rejects negative weights and totals', () => {
    expect(() => splitByTraffic(3, { stable: -1 })).toThrow(/weight/);
    expect(() => splitByTraffic(-1, { stable: 100 })).toThrow(/total/);
  });
});
