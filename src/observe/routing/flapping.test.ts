import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAP_OPTIONS, flapOptions, recordChange, settle, stableState } from './flapping.js';

const M = 60_000;

describe('flap detection', () => {
  const o = DEFAULT_FLAP_OPTIONS;

  it('defaults to more than 4 changes in 10 minutes, stable for 5', () => {
    expect(o).toEqual({ threshold: 4, windowMs: 10 * M, stableMs: 5 * M });
    expect(flapOptions({ threshold: 0, windowMs: -1, stableMs: Number.NaN })).toEqual(o);
    expect(flapOptions({ threshold: 2 }).threshold).toBe(2);
  });

  it('flaps on the 5th change within the window, not the 4th', () => {
    let s = stableState();
    for (const t of [0, M, 2 * M, 3 * M]) s = recordChange(s, t, o);
    expect(s.flapping).toBe(false);
    s = recordChange(s, 4 * M, o);
    expect(s.flapping).toBe(true);
  });

  it('does not count changes older than the window', () => {
    let s = stableState();
    for (const t of [0, 3 * M, 6 * M, 9 * M, 12 * M]) s = recordChange(s, t, o);
    expect(s.flapping).toBe(false);
    expect(s.changes).toEqual([3 * M, 6 * M, 9 * M, 12 * M]);
  });

  it('stops flapping after stableMs without a change, and forgets old changes', () => {
    let s = stableState();
    for (const t of [0, M, 2 * M, 3 * M, 4 * M]) s = recordChange(s, t, o);
    expect(settle(s, 9 * M - 1, o).flapping).toBe(true);
    s = settle(s, 9 * M, o);
    expect(s.flapping).toBe(false);
    expect(settle(s, 20 * M, o).changes).toEqual([]);
  });

  it('stays flapping for stableMs even when that is longer than the window', () => {
    const long = { threshold: 1, windowMs: M, stableMs: 5 * M };
    let s = recordChange(recordChange(stableState(), 0, long), 10_000, long);
    expect(s.flapping).toBe(true);
    s = settle(s, 3 * M, long);
    expect(s.changes).toEqual([]);
    expect(s.flapping).toBe(true);
    expect(settle(s, 5 * M + 10_000, long).flapping).toBe(false);
  });
});
