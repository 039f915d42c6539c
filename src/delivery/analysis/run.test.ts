import { describe, expect, it } from 'vitest';
import { advance, initialState, KEPT_MEASUREMENTS, resume } from './run.js';
import type { AnalysisState, Measurement, Verdict } from './types.js';

function measurement(verdict: Verdict, at = 0): Measurement {
  const window = { requests: 100, errorRate: 0, p50Ms: 20, p95Ms: 50, p99Ms: 80 };
  return { at, windowMs: 10_000, verdict, canary: window, stable: window, reasons: [] };
}

function run(
  verdicts: Verdict[],
  limits: { failureLimit: number; inconclusiveLimit: number },
): AnalysisState {
  return verdicts.reduce((state, v, i) => advance(state, measurement(v, i), limits), initialState());
}

const DEFAULT_LIMITS = { failureLimit: 1, inconclusiveLimit: 3 };

it('starts with no measurement and continues', () => {
  expect(initialState()).toEqual({ measurements: [], failures: 0, inconclusive: 0, outcome: 'continue' });
});

describe('failures', () => {
  it('with failureLimit 1, the first failure fails the run', () => {
    expect(run(['pass', 'pass'], DEFAULT_LIMITS).outcome).toBe('continue');
    expect(run(['pass', 'fail'], DEFAULT_LIMITS)).toMatchObject({ failures: 1, outcome: 'fail' });
  });

  it('with failureLimit 3, failures accumulate even when not consecutive', () => {
    const limits = { failureLimit: 3, inconclusiveLimit: 3 };
    expect(run(['fail', 'pass', 'fail', 'pass'], limits)).toMatchObject({ failures: 2, outcome: 'continue' });
    expect(run(['fail', 'pass', 'fail', 'pass', 'fail'], limits)).toMatchObject({
      failures: 3,
      outcome: 'fail',
    });
  });

  it('a failed run stays failed, whatever comes next', () => {
    expect(run(['fail', 'pass', 'pass', 'inconclusive'], DEFAULT_LIMITS).outcome).toBe('fail');
  });
});

describe('inconclusive measurements', () => {
  it('never count as failures', () => {
    const state = run(Array<Verdict>(10).fill('inconclusive'), { failureLimit: 1, inconclusiveLimit: 100 });
    expect(state).toMatchObject({ failures: 0, inconclusive: 10, outcome: 'continue' });
  });

  it('pause the run once inconclusiveLimit of them come in a row', () => {
    expect(run(['inconclusive', 'inconclusive'], DEFAULT_LIMITS).outcome).toBe('continue');
    expect(run(['inconclusive', 'inconclusive', 'inconclusive'], DEFAULT_LIMITS)).toMatchObject({
      inconclusive: 3,
      outcome: 'pause',
    });
  });

  it('start counting again after a pass', () => {
    const state = run(
      ['inconclusive', 'inconclusive', 'pass', 'inconclusive', 'inconclusive'],
      DEFAULT_LIMITS,
    );
    expect(state).toMatchObject({ inconclusive: 2, outcome: 'continue' });
  });

  it('start counting again after a fail', () => {
    const limits = { failureLimit: 3, inconclusiveLimit: 3 };
    const state = run(['inconclusive', 'inconclusive', 'fail', 'inconclusive'], limits);
    expect(state).toMatchObject({ failures: 1, inconclusive: 1, outcome: 'continue' });
  });

  it('a pass after a pause continues the run', () => {
    const state = run(['inconclusive', 'inconclusive', 'inconclusive', 'pass'], DEFAULT_LIMITS);
    expect(state).toMatchObject({ inconclusive: 0, outcome: 'continue' });
  });
});

describe('resume', () => {
  it('restarts the inconclusive streak so the run does not pause again at once, keeping failures', () => {
    const limits = { failureLimit: 3, inconclusiveLimit: 2 };
    const paused = run(['fail', 'inconclusive', 'inconclusive'], limits);
    expect(paused.outcome).toBe('pause');
    const resumed = resume(paused, limits);
    expect(resumed).toMatchObject({ failures: 1, inconclusive: 0, outcome: 'continue' });
    expect(advance(resumed, measurement('inconclusive'), limits).outcome).toBe('continue');
  });

  it('does not revive a failed run', () => {
    expect(resume(run(['fail'], DEFAULT_LIMITS), DEFAULT_LIMITS).outcome).toBe('fail');
  });
});

it(`keeps the last ${KEPT_MEASUREMENTS} measurements, oldest first`, () => {
  const state = run(Array<Verdict>(60).fill('pass'), DEFAULT_LIMITS);
  expect(state.measurements).toHaveLength(50);
  expect(state.measurements[0]?.at).toBe(10);
  expect(state.measurements.at(-1)?.at).toBe(59);
});

it('never changes the state it is given', () => {
  const before = run(['pass'], DEFAULT_LIMITS);
  const copy = structuredClone(before);
  advance(before, measurement('fail'), DEFAULT_LIMITS);
  expect(before).toEqual(copy);
});
