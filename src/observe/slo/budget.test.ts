import { describe, expect, it } from 'vitest';
import { latencyCounts, windowStats } from '../alerts/test-stats.js';
import type { WindowStats } from '../metrics/types.js';
import { badRatio, ratioReader } from './bad-ratio.js';
import { errorBudget } from './error-budget.js';
import { sloObjectives } from './objectives.js';

const DAY = 24 * 3_600_000;
const [availability, latency] = sloObjectives('web', { availability: 0.999, latency: { p95: 75 } });
if (availability === undefined || latency === undefined) throw new Error('objectives missing');

describe('badRatio', () => {
  it('availability: errors over requests', () => {
    expect(badRatio(availability, windowStats({ requests: 1000, errors: 3 }))).toBe(0.003);
  });

  it('latency: the share of requests slower than the threshold, interpolated inside its bucket', () => {
    // 500 in (25, 50] ms, 100 in (50, 100] ms: 75 ms is half-way through the second bucket.
    expect(badRatio(latency, windowStats())).toBe(50 / 600);
    const allFast = windowStats({ latency: latencyCounts([[25, 10]]) });
    expect(badRatio(latency, allFast)).toBe(0);
  });

  it('latency: a threshold on a bucket bound splits nothing; the +Inf bucket always counts as slow', () => {
    const at = (thresholdMs: number, counts: number[]) =>
      badRatio({ ...latency, thresholdMs }, windowStats({ latency: counts }));
    expect(at(50, windowStats().latency)).toBe(100 / 600);
    expect(at(30, windowStats().latency)).toBeCloseTo(500 / 600, 12); // 4/5 of (25, 50] plus (50, 100]
    const withTimeouts = latencyCounts([
      [10, 3],
      [Number.POSITIVE_INFINITY, 1],
    ]);
    expect(at(300, withTimeouts)).toBe(0.25);
    // Beyond the last bound (5 s) the +Inf bucket cannot be split: counted as slow, pessimistically.
    expect(at(10_000, withTimeouts)).toBe(0.25);
  });

  it('is no data only without ticks; ticks with no request burn no budget', () => {
    expect(badRatio(availability, windowStats({ ticks: 0, upTicks: 0 }))).toBeUndefined();
    expect(badRatio(latency, windowStats({ ticks: 0, upTicks: 0 }))).toBeUndefined();
    expect(badRatio(availability, windowStats({ requests: 0, errors: 0 }))).toBe(0);
    expect(badRatio(latency, windowStats({ requests: 0, errors: 0, latency: latencyCounts([]) }))).toBe(0);
  });
});

describe('ratioReader', () => {
  it('reads the window that ends now', () => {
    const asked: Array<[number, number]> = [];
    const windowOf = (from: number, to: number): WindowStats => {
      asked.push([from, to]);
      return windowStats({ from, to, requests: 100, errors: 1 });
    };
    const ratioOf = ratioReader(availability, windowOf, 10 * DAY);
    expect(ratioOf(3_600_000)).toBe(0.01);
    expect(asked).toEqual([[10 * DAY - 3_600_000, 10 * DAY]]);
  });
});

describe('errorBudget', () => {
  it('reports the share of the budget consumed and left over the SLO window', () => {
    const budget = errorBudget(availability, 0.0005, 40 * DAY);
    expect(budget.objective).toBe(0.999);
    expect(budget.allowedBad).toBeCloseTo(0.001, 15);
    expect(budget.consumed).toBeCloseTo(0.5, 9);
    expect(budget.remaining).toBeCloseTo(0.5, 9);
    expect(budget.badRatio).toBe(0.0005);
    expect([budget.from, budget.to]).toEqual([10 * DAY, 40 * DAY]);
  });

  it('keeps the whole budget with no bad requests, and goes negative past it', () => {
    expect(errorBudget(availability, 0, 0)).toMatchObject({ consumed: 0, remaining: 1 });
    const overspent = errorBudget(availability, 0.003, 0);
    expect(overspent.consumed).toBeCloseTo(3, 9);
    expect(overspent.remaining).toBeCloseTo(-2, 9);
  });

  it('works for latency objectives (budget 5% for p95)', () => {
    const budget = errorBudget(latency, 0.01, 0);
    expect(budget.allowedBad).toBeCloseTo(0.05, 15);
    expect(budget.consumed).toBeCloseTo(0.2, 9);
  });
});
