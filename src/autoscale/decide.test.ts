import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { DEFAULT_POLICY } from './policy.js';
import type { DecideInput, Recommendation } from './types.js';

const rps = (value: number) => ({ kind: 'rps' as const, value });

function once(over: Partial<DecideInput>) {
  return decide({
    now: 1_000_000,
    current: 1,
    min: 1,
    max: 10,
    target: rps(100),
    metric: 100,
    history: [],
    ...over,
  });
}

/** Runs the loop every 15 s on a fake clock; `metricAt(t, current)` returns the per-instance average. */
function simulate(opts: {
  start: number;
  min?: number;
  max?: number;
  seconds: number;
  metricAt: (t: number, current: number) => number | undefined;
}) {
  let current = opts.start;
  let history: Recommendation[] = [];
  let lastScaleAt: number | undefined;
  const counts: number[] = [];
  const changes: { t: number; from: number; to: number }[] = [];
  for (let t = 0; t <= opts.seconds * 1000; t += DEFAULT_POLICY.evaluationIntervalMs) {
    const d = decide({
      now: t,
      current,
      min: opts.min ?? 1,
      max: opts.max ?? 20,
      target: rps(100),
      metric: opts.metricAt(t, current),
      history,
      lastScaleAt,
    });
    history = d.history;
    if (d.desired !== current) {
      changes.push({ t, from: current, to: d.desired });
      current = d.desired;
      lastScaleAt = t;
    }
    counts.push(current);
  }
  return { counts, changes, current };
}

describe('decide: the Kubernetes HPA documentation examples', () => {
  it('1 replica at 200m against a 100m target scales to 2', () => {
    const d = once({ current: 1, target: { kind: 'cpu', value: 100 }, metric: 200 });
    expect(d.desired).toBe(2);
    expect(d.ratio).toBe(2);
    expect(d.limitedBy).toBeUndefined();
  });

  it('50m against 100m halves the replicas (after the stabilisation window has nothing higher)', () => {
    const d = once({ current: 4, target: { kind: 'cpu', value: 100 }, metric: 50 });
    expect(d.desired).toBe(2);
    expect(d.recommendation).toBe(2);
  });

  it('rounds up: 3 replicas at ratio 1.5 → ceil(4.5) = 5', () => {
    expect(once({ current: 3, metric: 150 }).desired).toBe(5);
  });
});

describe('decide: tolerance', () => {
  it.each([
    [90, 'at exactly −10%'],
    [110, 'at exactly +10%'],
    [105, 'inside'],
  ])('holds at metric %d (%s)', (metric) => {
    const d = once({ current: 3, metric });
    expect(d.desired).toBe(3);
    expect(d.limitedBy).toBe('tolerance');
    expect(d.reason).toContain('within tolerance');
  });

  it('scales just outside the band, both ways', () => {
    expect(once({ current: 3, metric: 111 }).desired).toBe(4);
    expect(once({ current: 10, metric: 89 }).desired).toBe(9);
  });

  it('honours a configured tolerance', () => {
    expect(once({ current: 3, metric: 120, policy: { tolerance: 0.25 } }).desired).toBe(3);
    expect(once({ current: 3, metric: 120, policy: { tolerance: 0.05 } }).desired).toBe(4);
  });
});

describe('decide: scale-up policy', () => {
  it('allows +4 instances when that is more than +100%', () => {
    const d = once({ current: 2, metric: 1000 });
    expect(d.recommendation).toBe(10);
    expect(d.desired).toBe(6);
    expect(d.limitedBy).toBe('scale-up-policy');
    expect(d.reason).toContain('scale-up limited to 6');
  });

  it('allows +100% when that is more than +4', () => {
    const d = once({ current: 6, max: 50, metric: 1000 });
    expect(d.desired).toBe(12);
    expect(d.limitedBy).toBe('scale-up-policy');
  });

  it('does not scale up again within the same period', () => {
    const d = once({ now: 100_000, current: 2, metric: 300, lastScaleAt: 95_000 });
    expect(d.desired).toBe(2);
    expect(d.limitedBy).toBe('scale-up-policy');
    expect(once({ now: 100_000, current: 2, metric: 300, lastScaleAt: 85_000 }).desired).toBe(6);
  });

  it('uses configured limits', () => {
    const d = once({ current: 2, metric: 1000, policy: { scaleUpPercent: 50, scaleUpInstances: 1 } });
    expect(d.desired).toBe(3);
  });
});

describe('decide: scale-down stabilisation', () => {
  it('a dip inside 300 s does not scale down; once the high recommendation ages out, it does', () => {
    const high = once({ now: 0, current: 4, metric: 100 }); // recommendation 4
    const dip = once({ now: 60_000, current: 4, metric: 40, history: high.history });
    expect(dip.recommendation).toBe(2);
    expect(dip.desired).toBe(4);
    expect(dip.limitedBy).toBe('stabilisation');
    expect(dip.reason).toContain('highest recommendation in the last 300s is 4');

    const still = once({ now: 299_000, current: 4, metric: 40, history: dip.history });
    expect(still.desired).toBe(4);
    const after = once({ now: 301_000, current: 4, metric: 40, history: still.history });
    expect(after.desired).toBe(2);
    expect(after.history.every((r) => r.at > 1_000)).toBe(true);
  });

  it('scales up at once even with lower recommendations in the window', () => {
    const low = once({ now: 0, current: 4, metric: 50 });
    const spike = once({ now: 15_000, current: 4, metric: 200, history: low.history });
    expect(spike.desired).toBe(8);
  });

  it('returns the history pruned to the window', () => {
    const old: Recommendation[] = [
      { at: 0, replicas: 9 },
      { at: 500_000, replicas: 3 },
    ];
    const d = once({ now: 600_000, current: 3, metric: 100, history: old });
    expect(d.history).toEqual([
      { at: 500_000, replicas: 3 },
      { at: 600_000, replicas: 3 },
    ]);
  });

  it('uses a configured window', () => {
    const high = once({ now: 0, current: 4, metric: 100, policy: { scaleDownStabilisationMs: 30_000 } });
    const later = once({
      now: 31_000,
      current: 4,
      metric: 40,
      history: high.history,
      policy: { scaleDownStabilisationMs: 30_000 },
    });
    expect(later.desired).toBe(2);
  });
});

describe('decide: missing data', () => {
  it.each([undefined, Number.NaN])('holds the current count on %s, never drops to min', (metric) => {
    const d = once({ current: 7, min: 1, metric });
    expect(d.desired).toBe(7);
    expect(d.ratio).toBeUndefined();
    expect(d.limitedBy).toBe('no-data');
    expect(d.reason).toContain('no data');
  });

  it('keeps the window history so stabilisation still works when data returns', () => {
    const high = once({ now: 0, current: 6, metric: 100 });
    const gap = once({ now: 15_000, current: 6, metric: undefined, history: high.history });
    const back = once({ now: 30_000, current: 6, metric: 10, history: gap.history });
    expect(back.desired).toBe(6);
  });

  it('still corrects a count outside [min, max]', () => {
    expect(once({ current: 1, min: 3, metric: undefined }).desired).toBe(3);
    expect(once({ current: 12, max: 10, metric: undefined })).toMatchObject({
      desired: 10,
      limitedBy: 'max',
    });
  });
});

describe('decide: min and max', () => {
  it('clamps the recommendation to max and min', () => {
    expect(once({ current: 8, max: 10, metric: 500 })).toMatchObject({ desired: 10, limitedBy: 'max' });
    expect(once({ current: 4, min: 3, metric: 10 })).toMatchObject({ desired: 3, limitedBy: 'min' });
  });

  it('corrects a current count below min or above max even within tolerance', () => {
    expect(once({ current: 1, min: 2, metric: 100 })).toMatchObject({ desired: 2, limitedBy: 'min' });
    expect(once({ current: 15, max: 10, metric: 100 })).toMatchObject({ desired: 10, limitedBy: 'max' });
  });

  it('rejects nonsense settings with an actionable error', () => {
    expect(() => once({ min: 5, max: 2 })).toThrow(/max must be/);
    expect(() => once({ target: rps(0) })).toThrow(/positive/);
  });
});

describe('decide: explains itself', () => {
  it('records inputs and a readable reason', () => {
    const d = once({ current: 2, metric: 212 });
    expect(d.reason).toBe('rps 212/instance vs target 100: ratio 2.12 → 5; 2 → 5');
    expect(d.inputs).toMatchObject({ current: 2, metric: 212, target: rps(100), policy: DEFAULT_POLICY });
  });
});

describe('decide: simulated load (fake clock, 15 s loop)', () => {
  it('step from 50 to 400 req/s total: scales out at the first evaluation after the step, in only after 300 s', () => {
    const totalAt = (t: number) => (t < 60_000 ? 50 : t < 180_000 ? 400 : 50);
    const run = simulate({ start: 1, seconds: 600, metricAt: (t, current) => totalAt(t) / current });
    expect(run.changes[0]).toEqual({ t: 60_000, from: 1, to: 4 });
    const down = run.changes.find((c) => c.to < c.from);
    expect(down?.t).toBeGreaterThanOrEqual(180_000 + 285_000);
    expect(run.current).toBe(1);
  });

  it('does not flap under a noisy steady load: at most one change in 5 minutes', () => {
    // Deterministic ±8% noise around 400 req/s total.
    const noise = [0.95, 1.06, 0.92, 1.08, 1.0, 0.97, 1.04, 0.93, 1.07, 0.99];
    const run = simulate({
      start: 4,
      seconds: 300,
      metricAt: (t, current) => (400 * noise[(t / 15_000) % noise.length]!) / current,
    });
    expect(run.changes.length).toBeLessThanOrEqual(1);
  });

  it('does not flap with ±20% noise either, thanks to the stabilisation window', () => {
    const noise = [0.8, 1.2, 0.85, 1.15, 1.0, 0.82, 1.18, 0.9, 1.1, 0.95];
    const run = simulate({
      start: 4,
      seconds: 300,
      metricAt: (t, current) => (400 * noise[(t / 15_000) % noise.length]!) / current,
    });
    expect(run.changes.length).toBeLessThanOrEqual(1);
  });
});
