import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS, hasGates, resolveAnalysis } from './config.js';

function problemsOf(input: Parameters<typeof resolveAnalysis>[0]): string[] {
  const resolved = resolveAnalysis(input);
  return resolved.ok ? [] : resolved.problems;
}

describe('resolveAnalysis', () => {
  it('fills in the defaults: 10 s interval, 50 requests, first failure aborts, 3 inconclusive pause', () => {
    const expected = { intervalMs: 10_000, minRequests: 50, failureLimit: 1, inconclusiveLimit: 3 };
    expect(resolveAnalysis()).toEqual({ ok: true, config: expected });
    expect(resolveAnalysis({})).toEqual({ ok: true, config: expected });
    expect(DEFAULT_ANALYSIS).toEqual(expected);
  });

  it('keeps the values and gates given, copied', () => {
    const input = {
      intervalMs: 2_000,
      minRequests: 20,
      failureLimit: 3,
      inconclusiveLimit: 5,
      errorRate: { max: 0.01, maxIncrease: 0.005 },
      p95: { max: 300, maxRatio: 1.5 },
    };
    const resolved = resolveAnalysis(input);
    expect(resolved).toEqual({ ok: true, config: input });
    if (resolved.ok) expect(resolved.config.errorRate).not.toBe(input.errorRate);
  });

  it('accepts an interval of 1 s and refuses a shorter one', () => {
    expect(problemsOf({ intervalMs: 1_000 })).toEqual([]);
    expect(problemsOf({ intervalMs: 500 })).toEqual(['interval must be at least 1s (got 500ms)']);
  });

  it('refuses rates outside 0%..100%', () => {
    expect(problemsOf({ errorRate: { max: 0, maxIncrease: 1 } })).toEqual([]);
    expect(problemsOf({ errorRate: { max: 1.5, maxIncrease: -0.01 } })).toEqual([
      'errorRate.max must be a rate between 0% and 100% (got 150%)',
      'errorRate.maxIncrease must be a rate between 0% and 100% (got -1%)',
    ]);
    expect(problemsOf({ errorRate: { max: Number.NaN } })).toEqual([
      'errorRate.max must be a rate between 0% and 100% (got NaN)',
    ]);
  });

  it('refuses latency limits and ratios that are not above 0', () => {
    expect(problemsOf({ p50: { max: 0 }, p95: { maxRatio: 0 }, p99: { maxRatio: -2 } })).toEqual([
      'p50.max must be a latency above 0 such as 300ms (got 0)',
      'p95.maxRatio must be a number above 0 such as 2 (got 0)',
      'p99.maxRatio must be a number above 0 such as 2 (got -2)',
    ]);
  });

  it('refuses counts that are not whole numbers from 1', () => {
    expect(problemsOf({ minRequests: 0, failureLimit: 1.5, inconclusiveLimit: -1 })).toEqual([
      'minRequests must be a whole number >= 1 (got 0)',
      'failureLimit must be a whole number >= 1 (got 1.5)',
      'inconclusiveLimit must be a whole number >= 1 (got -1)',
    ]);
  });
});

describe('hasGates', () => {
  it('is false with only the defaults, true with any absolute or relative gate', () => {
    expect(hasGates(DEFAULT_ANALYSIS)).toBe(false);
    expect(hasGates({ ...DEFAULT_ANALYSIS, p95: {} })).toBe(false);
    expect(hasGates({ ...DEFAULT_ANALYSIS, errorRate: { maxIncrease: 0.01 } })).toBe(true);
    expect(hasGates({ ...DEFAULT_ANALYSIS, p99: { maxRatio: 2 } })).toBe(true);
  });
});
