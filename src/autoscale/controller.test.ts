import { describe, expect, it } from 'vitest';
import type { WindowStats } from '../observe/metrics/types.js';
import { AutoscaleController, type AutoscaleSpec } from './controller.js';
import { metricOf } from './metric.js';

const spec: AutoscaleSpec = { min: 1, max: 8, target: { kind: 'rps', value: 100 }, policy: {} };

function window(over: Partial<WindowStats>): WindowStats {
  return {
    from: 0,
    to: 15_000,
    ticks: 3,
    upTicks: 3,
    coveredMs: 15_000,
    requests: 0,
    errors: 0,
    latency: new Array(13).fill(0),
    latencySumMs: 0,
    cpuSeconds: null,
    inflightAvg: null,
    rssAvg: null,
    rssMax: null,
    healthyAvg: 1,
    healthyMin: 1,
    instancesAvg: 1,
    ...over,
  };
}

const noQuantile = () => undefined;

describe('metricOf', () => {
  it('spreads demand over every instance the service should have, ready or not', () => {
    // 400 req/s with 4 desired instances of which 1 is healthy: 100 each, not 400.
    const w = window({ requests: 6000, healthyAvg: 1 });
    expect(metricOf({ kind: 'rps', value: 100 }, w, 4, noQuantile)).toBe(100);
  });

  it('is undefined (no data) for an empty window, a service with nothing healthy, or p95 without requests', () => {
    expect(metricOf({ kind: 'rps', value: 1 }, window({ ticks: 0 }), 2, noQuantile)).toBeUndefined();
    expect(metricOf({ kind: 'rps', value: 1 }, window({ healthyAvg: 0 }), 2, noQuantile)).toBeUndefined();
    expect(metricOf({ kind: 'p95', value: 300 }, window({ requests: 0 }), 2, () => 5)).toBeUndefined();
    expect(
      metricOf({ kind: 'cpu', value: 0.7 }, window({ cpuSeconds: null }), 2, noQuantile),
    ).toBeUndefined();
  });

  it('reads cpu as cores per instance and p95 service-wide', () => {
    expect(metricOf({ kind: 'cpu', value: 0.7 }, window({ cpuSeconds: 15 }), 2, noQuantile)).toBe(0.5);
    expect(metricOf({ kind: 'p95', value: 300 }, window({ requests: 10 }), 2, () => 420)).toBe(420);
  });
});

describe('AutoscaleController (fake clock)', () => {
  it('scales out on a step, then holds scale-in for the stabilisation window', () => {
    const c = new AutoscaleController();
    const at = (s: number) => s * 1000;
    let current = 1;
    const run = (s: number, rps: number) => {
      const e = c.evaluate({
        environment: 'p',
        service: 'web',
        spec,
        now: at(s),
        current,
        metric: rps / current,
      });
      current = e.apply;
      return e;
    };
    expect(run(0, 50).apply).toBe(1);
    const step = run(15, 400);
    expect(step.apply).toBe(4);
    expect(step.notable).toBe(true);
    expect(step.decision.reason).toMatch(/rps 400\/instance vs target 100/);
    // Load drops: the highest recommendation of the last 5 minutes holds the count.
    expect(run(30, 50).apply).toBe(4);
    expect(run(300, 50).apply).toBe(4);
    expect(run(330, 50).apply).toBe(1);
  });

  it('holds the count on missing data and says so once', () => {
    const c = new AutoscaleController();
    const first = c.evaluate({
      environment: 'p',
      service: 'web',
      spec,
      now: 0,
      current: 3,
      metric: undefined,
    });
    expect(first.apply).toBe(3);
    expect(first.decision.limitedBy).toBe('no-data');
    expect(first.notable).toBe(true);
    const again = c.evaluate({
      environment: 'p',
      service: 'web',
      spec,
      now: 15_000,
      current: 3,
      metric: undefined,
    });
    expect(again.notable).toBe(false);
  });

  it('a fresh controller (control plane restart) does not shrink before a stabilisation window', () => {
    const c = new AutoscaleController();
    const e = c.evaluate({ environment: 'p', service: 'web', spec, now: 1_000_000, current: 4, metric: 10 });
    expect(e.apply).toBe(4);
    expect(e.decision.limitedBy).toBe('stabilisation');
  });

  it('during a rollout: grows with load, sized by traffic share, and never scales in', () => {
    const c = new AutoscaleController();
    const rollout = { weights: { r1: 80, r2: 20 }, stable: 'r1' };
    const up = c.evaluate({
      environment: 'p',
      service: 'web',
      spec,
      now: 0,
      current: 2,
      metric: 250,
      rollout,
    });
    expect(up.apply).toBe(5);
    expect(up.split).toEqual({ r1: 4, r2: 1 });
    const c2 = new AutoscaleController();
    const down = c2.evaluate({
      environment: 'p',
      service: 'web',
      spec: { ...spec, policy: { scaleDownStabilisationMs: 0 } },
      now: 0,
      current: 4,
      metric: 10,
      rollout,
    });
    expect(down.decision.desired).toBe(1);
    expect(down.apply).toBe(4);
    expect(down.summary).toMatch(/scale-in held until the rollout ends/);
  });

  it('evaluates each service at its own interval', () => {
    const c = new AutoscaleController();
    expect(c.due('p', 'web', spec, 0)).toBe(true);
    c.evaluate({ environment: 'p', service: 'web', spec, now: 0, current: 1, metric: 100 });
    expect(c.due('p', 'web', spec, 14_999)).toBe(false);
    expect(c.due('p', 'web', spec, 15_000)).toBe(true);
    expect(c.due('p', 'api', spec, 1)).toBe(true);
  });
});
