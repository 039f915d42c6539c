import { describe, expect, it } from 'vitest';
import { compare, measure, measureWithReason } from './measure.js';
import { parseCondition } from './parse-condition.js';
import { latencyCounts, windowStats } from './test-stats.js';

const m = (when: string, overrides = {}, app?: Parameters<typeof measure>[2]) =>
  measure(parseCondition(when), windowStats(overrides), app);

describe('measure: built-in metrics', () => {
  it('error_rate is errors over requests, capped at 1', () => {
    expect(m('error_rate > 1%')).toBe(0.01);
    expect(m('error_rate > 1%', { errors: 700 })).toBe(1);
  });

  it('rps divides requests by the time the ticks cover', () => {
    expect(m('rps > 1')).toBe(10);
    // Only half the window was covered (the service started 30 s ago): the rate over that half.
    expect(m('rps > 1', { requests: 300, coveredMs: 30_000 })).toBe(10);
    expect(m('rps > 1', { requests: 0 })).toBe(0);
  });

  it('latency quantiles come from the histogram', () => {
    expect(m('p50 > 1')).toBe(40);
    expect(m('p90 > 1')).toBe(70);
    expect(m('p95 > 1')).toBe(85);
    expect(m('p99 > 1')).toBe(97);
    // In the +Inf bucket: the last finite bound, a lower bound of the truth (as Prometheus).
    expect(m('p99 > 1', { latency: latencyCounts([[Number.POSITIVE_INFINITY, 5]]) })).toBe(5000);
  });

  it('cpu is cores per instance, rss bytes per instance', () => {
    expect(m('cpu > 1')).toBe(0.5);
    expect(m('cpu > 1', { cpuSeconds: 60, instancesAvg: 2 })).toBe(0.5);
    expect(m('rss > 1')).toBe(200e6);
    expect(m('rss > 1', { rssAvg: 600e6, instancesAvg: 3 })).toBe(200e6);
  });

  it('inflight is the average, healthy the minimum, up the share of ticks with a healthy instance', () => {
    expect(m('inflight > 1', { inflightAvg: 7.5 })).toBe(7.5);
    expect(m('healthy < 1', { healthyAvg: 1.8, healthyMin: 0 })).toBe(0);
    expect(m('up < 1', { upTicks: 9 })).toBe(0.75);
  });
});

describe('measure: no data is undefined, never 0', () => {
  it('every metric has no data when the window has no tick', () => {
    for (const when of [
      'error_rate > 1%',
      'rps > 1',
      'p95 > 1',
      'cpu > 1',
      'rss > 1',
      'inflight > 1',
      'healthy < 1',
      'up < 1',
    ]) {
      expect(m(when, { ticks: 0, upTicks: 0 }), when).toBeUndefined();
    }
  });

  it('error_rate with no request is no data (0 of 0 is not 0%), while rps is a real 0', () => {
    const measured = measureWithReason(
      parseCondition('error_rate > 1%'),
      windowStats({ requests: 0, errors: 0 }),
    );
    expect(measured).toEqual({ value: undefined, reason: 'no requests in the window' });
    expect(m('rps > 1', { requests: 0, errors: 0 })).toBe(0);
  });

  it('latency with no request that has a latency is no data', () => {
    expect(m('p95 > 1', { latency: latencyCounts([]) })).toBeUndefined();
  });

  it('unmeasured cpu, rss, inflight and health are no data; so are cpu and rss with no instance', () => {
    expect(m('cpu > 1', { cpuSeconds: null })).toBeUndefined();
    expect(m('cpu > 1', { instancesAvg: 0 })).toBeUndefined();
    expect(m('rss > 1', { rssAvg: null })).toBeUndefined();
    expect(m('rss > 1', { instancesAvg: null })).toBeUndefined();
    expect(m('inflight > 1', { inflightAvg: null })).toBeUndefined();
    expect(m('healthy < 1', { healthyMin: null })).toBeUndefined();
  });
});

describe('measure: application metrics', () => {
  const counter = () => ({ kind: 'counter' as const, value: 120, samples: 4 });
  const gauge = () => ({ kind: 'gauge' as const, value: 42, samples: 4 });

  it('rate() is the increase per second over the window; value() the gauge average', () => {
    let asked: unknown;
    const app = (name: string, labels: Record<string, string>) => {
      asked = { name, labels };
      return counter();
    };
    expect(m('rate(jobs_total{queue="mail"}) > 1', {}, app)).toBe(2);
    expect(asked).toEqual({ name: 'jobs_total', labels: { queue: 'mail' } });
    expect(m('value(depth) > 1', {}, gauge)).toBe(42);
  });

  it('is no data without a reader, a sample, or with the wrong kind (saying which function to use)', () => {
    expect(m('rate(jobs_total) > 1')).toBeUndefined();
    expect(m('rate(jobs_total) > 1', {}, () => undefined)).toBeUndefined();
    expect(m('rate(jobs_total) > 1', {}, () => ({ ...counter(), samples: 0 }))).toBeUndefined();
    expect(measureWithReason(parseCondition('rate(depth) > 1'), windowStats(), gauge)).toEqual({
      value: undefined,
      reason: 'depth is a gauge: use value(depth)',
    });
    expect(m('value(jobs_total) > 1', {}, counter)).toBeUndefined();
  });

  it('does not depend on data-plane ticks', () => {
    expect(m('value(depth) > 1', { ticks: 0 }, gauge)).toBe(42);
  });
});

describe('compare', () => {
  it.each([
    ['>', 5, false],
    ['>', 6, true],
    ['>=', 5, true],
    ['<', 5, false],
    ['<=', 5, true],
    ['==', 5, true],
    ['!=', 5, false],
    ['!=', 4, true],
  ] as const)('%s 5 with %d is %s', (op, value, expected) => {
    expect(compare({ op, threshold: 5 }, value)).toBe(expected);
  });
});
