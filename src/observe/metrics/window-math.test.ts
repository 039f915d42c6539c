import { describe, expect, it } from 'vitest';
import type { WindowStats } from './types.js';
import {
  counterIncrease,
  cpuCores,
  emptyWindow,
  errorRatio,
  latencyCount,
  meanLatencyMs,
  mergeWindows,
  quantileMs,
  requestRate,
  shareSlowerThan,
  uptimeRatio,
} from './window-math.js';

/** Counts per LATENCY_BUCKETS_MS (1 2 5 10 25 50 100 250 500 1000 2500 5000) and +Inf. */
const hist = (byIndex: Record<number, number>) => Array.from({ length: 13 }, (_, i) => byIndex[i] ?? 0);

function win(over: Partial<WindowStats>): WindowStats {
  return { ...emptyWindow(0, 60_000), ticks: 12, coveredMs: 60_000, ...over };
}

describe('quantileMs', () => {
  it('interpolates linearly inside the bucket holding the rank, like histogram_quantile', () => {
    // 100 requests in (10, 25]: the median is halfway through the bucket.
    expect(quantileMs(hist({ 4: 100 }), 0.5)).toBeCloseTo(17.5, 9);
    // 50 in (0, 1], 50 in (100, 250]: p90 is 80% into the upper bucket.
    expect(quantileMs(hist({ 0: 50, 7: 50 }), 0.9)).toBeCloseTo(100 + 150 * 0.8, 9);
    // The first bucket starts at 0.
    expect(quantileMs(hist({ 0: 10 }), 0.5)).toBeCloseTo(0.5, 9);
    // The rank exactly at a bucket's end stays in that bucket.
    expect(quantileMs(hist({ 3: 50, 4: 50 }), 0.5)).toBe(10);
  });

  it('reports the last finite bound for a rank in +Inf, and undefined without requests', () => {
    expect(quantileMs(hist({ 12: 5 }), 0.99)).toBe(5000);
    expect(quantileMs(hist({ 1: 90, 12: 10 }), 0.95)).toBe(5000);
    expect(quantileMs(hist({}), 0.5)).toBeUndefined();
    expect(quantileMs(hist({ 4: 1 }), Number.NaN)).toBeUndefined();
  });

  it('clamps q into 0..1 and is monotonic in q', () => {
    const h = hist({ 2: 10, 5: 30, 8: 40, 10: 20 });
    expect(quantileMs(h, 2)).toBe(quantileMs(h, 1));
    expect(quantileMs(h, -1)).toBe(quantileMs(h, 0));
    let last = 0;
    for (let q = 0; q <= 1; q += 0.05) {
      const v = quantileMs(h, q)!;
      expect(v).toBeGreaterThanOrEqual(last);
      last = v;
    }
  });
});

describe('shareSlowerThan', () => {
  it('counts whole buckets above the threshold and the part above it pro rata', () => {
    const h = hist({ 3: 50, 7: 40, 12: 10 });
    expect(shareSlowerThan(h, 250)).toBeCloseTo(0.1, 9);
    expect(shareSlowerThan(h, 100)).toBeCloseTo(0.5, 9);
    // 175 ms is halfway through (100, 250].
    expect(shareSlowerThan(h, 175)).toBeCloseTo((20 + 10) / 100, 9);
    // Beyond 5 s only +Inf is left, counted whole (pessimistic).
    expect(shareSlowerThan(h, 10_000)).toBeCloseTo(0.1, 9);
    expect(shareSlowerThan(h, 0)).toBe(1);
    expect(shareSlowerThan(hist({}), 100)).toBeUndefined();
  });

  it('agrees with quantileMs: the share slower than the p90 is 10%', () => {
    const h = hist({ 1: 7, 4: 31, 6: 22, 9: 30, 11: 10 });
    expect(shareSlowerThan(h, quantileMs(h, 0.9)!)).toBeCloseTo(0.1, 9);
  });
});

describe('rates and ratios', () => {
  it('divides by the time the ticks covered, and says undefined (not 0) without data', () => {
    expect(requestRate(win({ requests: 600 }))).toBe(10);
    expect(requestRate(win({ requests: 0 }))).toBe(0);
    expect(requestRate(emptyWindow(0, 60_000))).toBeUndefined();
    expect(errorRatio(win({ requests: 200, errors: 5 }))).toBe(0.025);
    expect(errorRatio(win({ requests: 3, errors: 5 }))).toBe(1);
    expect(errorRatio(win({ requests: 0 }))).toBeUndefined();
    expect(uptimeRatio(win({ upTicks: 9 }))).toBe(0.75);
    expect(uptimeRatio(emptyWindow(0, 1))).toBeUndefined();
    expect(cpuCores(win({ cpuSeconds: 30 }))).toBe(0.5);
    expect(cpuCores(win({ cpuSeconds: null }))).toBeUndefined();
    expect(meanLatencyMs(win({ latency: hist({ 4: 4 }), latencySumMs: 60 }))).toBe(15);
    expect(meanLatencyMs(win({}))).toBeUndefined();
    expect(latencyCount(hist({ 0: 1, 12: 2 }))).toBe(3);
  });

  it('treats a counter drop as a restart from 0', () => {
    expect(counterIncrease(10, 25)).toBe(15);
    expect(counterIncrease(10, 10)).toBe(0);
    expect(counterIncrease(100, 7)).toBe(7);
  });
});

describe('mergeWindows', () => {
  it('adds counters, weights averages by ticks, keeps min/max and the latest revision', () => {
    const a = win({
      from: 0,
      to: 60_000,
      ticks: 12,
      upTicks: 12,
      requests: 100,
      errors: 1,
      latency: hist({ 4: 100 }),
      latencySumMs: 1500,
      cpuSeconds: 3,
      inflightAvg: 2,
      rssAvg: 100,
      rssMax: 120,
      healthyAvg: 1,
      healthyMin: 1,
      instancesAvg: 1,
      revision: 'r1',
    });
    const b = win({
      from: 60_000,
      to: 120_000,
      ticks: 4,
      upTicks: 2,
      coveredMs: 20_000,
      requests: 50,
      errors: 3,
      latency: hist({ 8: 50 }),
      latencySumMs: 20_000,
      cpuSeconds: null,
      inflightAvg: 6,
      rssAvg: 200,
      rssMax: 250,
      healthyAvg: 0.5,
      healthyMin: 0,
      instancesAvg: 2,
      revision: 'r2',
    });
    const m = mergeWindows([b, emptyWindow(120_000, 180_000), a])!;
    expect(m).toEqual({
      from: 0,
      to: 180_000,
      ticks: 16,
      upTicks: 14,
      coveredMs: 80_000,
      requests: 150,
      errors: 4,
      latency: hist({ 4: 100, 8: 50 }),
      latencySumMs: 21_500,
      cpuSeconds: 3,
      inflightAvg: (2 * 12 + 6 * 4) / 16,
      rssAvg: (100 * 12 + 200 * 4) / 16,
      rssMax: 250,
      healthyAvg: (12 + 2) / 16,
      healthyMin: 0,
      instancesAvg: (12 + 8) / 16,
      revision: 'r2',
    });
    expect(mergeWindows([])).toBeUndefined();
    expect(mergeWindows([emptyWindow(0, 1)])!.ticks).toBe(0);
    expect(mergeWindows([emptyWindow(0, 1)])!.inflightAvg).toBeNull();
  });
});
