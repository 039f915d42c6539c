import { describe, expect, it } from 'vitest';
import { expandRules } from '../alerts/expand.js';
import { isActive, step } from '../alerts/step.js';
import type { AlertState } from '../alerts/types.js';
import { BURN_WINDOWS, burnRate, burnThreshold, evaluateBurn, sloAlerts, span } from './burn-rate.js';
import { sloObjectives } from './objectives.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('burnRate', () => {
  it('is the error ratio over the budget', () => {
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4, 9);
    expect(burnRate(0.001, 0.999)).toBeCloseTo(1, 9);
    expect(burnRate(0, 0.999)).toBe(0);
    expect(burnRate(0.05, 0.95)).toBeCloseTo(1, 9);
  });

  it('has no budget to burn at a 100% objective', () => {
    expect(burnRate(0, 1)).toBe(0);
    expect(burnRate(0.001, 1)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('burn-rate thresholds scale with the SLO period', () => {
  const thresholds = (period: number) =>
    BURN_WINDOWS.map((w) => burnThreshold(w.budgetPercent, period, w.long));

  it('gives exactly 14.4 / 6 / 3 / 1 for 30 days (the SRE Workbook table)', () => {
    expect(thresholds(30 * DAY)).toEqual([14.4, 6, 3, 1]);
  });

  it('gives 13.44 / 5.6 / 2.8 / 0.933 for 28 days', () => {
    const [a, b, c, d] = thresholds(28 * DAY);
    expect(a).toBeCloseTo(13.44, 12);
    expect(b).toBeCloseTo(5.6, 12);
    expect(c).toBeCloseTo(2.8, 12);
    expect(d).toBeCloseTo(28 / 30, 12);
  });

  it('pairs each long window with a short one of 1/12 of it', () => {
    expect(BURN_WINDOWS.map((w) => [w.severity, span(w.long), span(w.short), w.long / w.short])).toEqual([
      ['page', '1h', '5m', 12],
      ['page', '6h', '30m', 12],
      ['ticket', '1d', '2h', 12],
      ['ticket', '3d', '6h', 12],
    ]);
  });
});

describe('sloAlerts', () => {
  it('generates four rule-shaped alerts per objective', () => {
    const alerts = sloAlerts('web', { availability: 0.999, latency: { p95: 300 } });
    expect(alerts.map((a) => a.name)).toEqual([
      'slo-web-availability-page-1h',
      'slo-web-availability-page-6h',
      'slo-web-availability-ticket-1d',
      'slo-web-availability-ticket-3d',
      'slo-web-latency-p95-page-1h',
      'slo-web-latency-p95-page-6h',
      'slo-web-latency-p95-ticket-1d',
      'slo-web-latency-p95-ticket-3d',
    ]);
    const [page] = alerts;
    expect(page).toMatchObject({
      service: 'web',
      severity: 'page',
      when: { op: '>', threshold: 14.4 },
      window: HOUR,
      longWindow: HOUR,
      shortWindow: 5 * MIN,
      threshold: 14.4,
      budgetShare: 0.02,
      reachable: true,
      for: 0,
      keepFiringFor: 0,
      nodata: 'nodata',
      labels: { slo: 'availability' },
      slo: { kind: 'availability', objective: 0.999, window: 30 * DAY },
    });
    expect(page?.summary).toBe(
      'web is burning its 99.9% availability error budget over 14.4× the sustainable rate over 1h and 5m ' +
        '(2% of the 30d budget in 1h)',
    );
    expect(alerts[4]).toMatchObject({
      labels: { slo: 'latency', quantile: 'p95' },
      slo: { objective: 0.95, thresholdMs: 300 },
    });
    expect(alerts.map((a) => a.threshold)).toEqual([14.4, 6, 3, 1, 14.4, 6, 3, 1]);
  });

  it('uses the SLO window for the thresholds, and leaves out windows longer than it', () => {
    expect(sloAlerts('web', { availability: 0.99, window: 28 * DAY }).map((a) => a.threshold)[0]).toBeCloseTo(
      13.44,
      12,
    );
    expect(sloAlerts('web', { availability: 0.99, window: DAY }).map((a) => a.name)).toEqual([
      'slo-web-availability-page-1h',
      'slo-web-availability-page-6h',
      'slo-web-availability-ticket-1d',
    ]);
  });

  it('flags alerts that could only fire above a 100% error ratio', () => {
    const alerts = sloAlerts('web', { latency: { p90: 500 } });
    // budget 10%: 14.4× needs 144% slow requests, 6× needs 60%.
    expect(alerts.map((a) => a.reachable)).toEqual([false, true, true, true]);
  });

  it('takes a nodata policy and a runbook', () => {
    const [alert] = sloAlerts(
      'web',
      { availability: 0.99 },
      { nodata: 'ok', runbook: 'https://rb.example/slo' },
    );
    expect(alert).toMatchObject({ nodata: 'ok', runbook: 'https://rb.example/slo' });
  });

  it('rejects objectives without a budget, and non-positive latencies and windows', () => {
    expect(() => sloObjectives('web', { availability: 1 })).toThrow(
      expect.objectContaining({ code: 'TANDEM_SLO', exitCode: 2 }),
    );
    expect(() => sloObjectives('web', { availability: 1 })).toThrow('100% leaves no error budget');
    expect(() => sloObjectives('web', { latency: { p99: 0 } })).toThrow(
      'latency p99 must be a positive duration',
    );
    expect(() => sloObjectives('web', { availability: 0.99, window: 0 })).toThrow(
      'the window must be positive',
    );
  });
});

describe('evaluateBurn', () => {
  const [page1h] = sloAlerts('web', { availability: 0.999 });
  if (page1h === undefined) throw new Error('no alert');
  const ratios =
    (long: number | undefined, short: number | undefined) =>
    (windowMs: number): number | undefined =>
      windowMs === HOUR ? long : windowMs === 5 * MIN ? short : Number.NaN;

  it('fires only when both windows burn faster than the threshold', () => {
    expect(evaluateBurn(page1h, ratios(0.02, 0.03))).toEqual({
      firing: true,
      long: expect.closeTo(20, 9),
      short: expect.closeTo(30, 9),
      value: expect.closeTo(20, 9),
    });
    // A spike that is over (short window recovered): not firing.
    expect(evaluateBurn(page1h, ratios(0.02, 0.001)).firing).toBe(false);
    // A fresh spike not yet significant over the hour: not firing.
    expect(evaluateBurn(page1h, ratios(0.005, 0.5)).firing).toBe(false);
  });

  it('treats a missing window as no data: not firing, no value', () => {
    const missingShort = evaluateBurn(page1h, ratios(0.5, undefined));
    expect(missingShort).toEqual({ firing: false, long: expect.closeTo(500, 9) });
    expect(evaluateBurn(page1h, ratios(undefined, 0.5))).toEqual({
      firing: false,
      short: expect.closeTo(500, 9),
    });
    expect(evaluateBurn(page1h, ratios(undefined, undefined))).toEqual({ firing: false });
  });

  it('asks for exactly the long and the short window', () => {
    const asked: number[] = [];
    evaluateBurn(page1h, (w) => {
      asked.push(w);
      return 0;
    });
    expect(asked).toEqual([HOUR, 5 * MIN]);
  });
});

describe('burn-rate alerts through the alert state machine', () => {
  it('expand per environment and fire, go nodata and resolve like any page alert', () => {
    const alerts = sloAlerts('web', { availability: 0.999 });
    const instances = expandRules(alerts, [
      { environment: 'production', service: 'web' },
      { environment: 'production', service: 'api' },
    ]);
    expect(instances).toHaveLength(4);
    const [page] = instances;
    expect(page?.labels).toEqual({
      alertname: 'slo-web-availability-page-1h',
      environment: 'production',
      service: 'web',
      severity: 'page',
      slo: 'availability',
    });

    const rule = page?.rule;
    if (rule === undefined) throw new Error('no alert');
    let state: AlertState | undefined;
    const transitions: Array<string | undefined> = [];
    const feed = (long: number | undefined, short: number | undefined, now: number) => {
      const { value } = evaluateBurn(rule, (w) => (w === rule.longWindow ? long : short));
      const result = step(state, value, rule, now);
      state = result.state;
      transitions.push(result.transition);
    };
    feed(0.0005, 0.0005, 0);
    feed(0.02, 0.05, MIN);
    expect(isActive(state)).toBe(true);
    feed(0.02, undefined, 2 * MIN);
    expect(state?.status).toBe('nodata');
    expect(isActive(state)).toBe(true);
    feed(0.02, 0.0001, 3 * MIN);
    expect(transitions).toEqual([undefined, 'firing', 'nodata', 'resolved']);
  });
});
