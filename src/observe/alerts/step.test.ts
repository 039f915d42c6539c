import { describe, expect, it } from 'vitest';
import { isActive, type StepRule, step } from './step.js';
import type { AlertState, AlertTransition } from './types.js';

const MIN = 60_000;

function rule(overrides: Partial<StepRule> = {}): StepRule {
  return { when: { op: '>', threshold: 0.05 }, for: 0, keepFiringFor: 0, nodata: 'nodata', ...overrides };
}

/** A fake clock: one evaluation per minute from t = 0, feeding `values` in order. */
function run(r: StepRule, values: ReadonlyArray<number | undefined>, start?: AlertState) {
  let state = start;
  const transitions: Array<AlertTransition | undefined> = [];
  const states: AlertState[] = [];
  values.forEach((value, i) => {
    const result = step(state, value, r, i * MIN);
    state = result.state;
    transitions.push(result.transition);
    states.push(result.state);
  });
  return { transitions, states, last: states[states.length - 1] as AlertState };
}

const BAD = 0.1; // above the 5% threshold
const GOOD = 0.01;

describe('step: for', () => {
  it('fires at once with for 0, and resolves at once without keep_firing_for', () => {
    const { transitions, states } = run(rule(), [GOOD, BAD, BAD, GOOD, GOOD]);
    expect(transitions).toEqual([undefined, 'firing', undefined, 'resolved', undefined]);
    expect(states[1]).toMatchObject({
      status: 'firing',
      since: MIN,
      activeAt: MIN,
      firedAt: MIN,
      lastValue: BAD,
    });
    expect(states[3]).toEqual({
      status: 'inactive',
      since: 3 * MIN,
      resolvedAt: 3 * MIN,
      lastValue: GOOD,
      lastEvalAt: 3 * MIN,
    });
  });

  it('stays pending for `for`, then fires, keeping the time it became active', () => {
    const { transitions, states } = run(rule({ for: 2 * MIN }), [BAD, BAD, BAD, BAD]);
    expect(transitions).toEqual(['pending', undefined, 'firing', undefined]);
    expect(states[1]).toMatchObject({ status: 'pending', since: 0, activeAt: 0 });
    expect(states[2]).toMatchObject({ status: 'firing', since: 2 * MIN, activeAt: 0, firedAt: 2 * MIN });
    expect(isActive(states[1])).toBe(false);
    expect(isActive(states[2])).toBe(true);
  });

  it('goes back to inactive silently when the condition clears while pending', () => {
    const { transitions, states } = run(rule({ for: 2 * MIN }), [BAD, GOOD]);
    expect(transitions).toEqual(['pending', undefined]);
    expect(states[1]).toEqual({ status: 'inactive', since: MIN, lastValue: GOOD, lastEvalAt: MIN });
  });

  it('starts with no previous state as inactive', () => {
    expect(step(undefined, GOOD, rule(), 5)).toEqual({
      state: { status: 'inactive', since: 5, lastValue: GOOD, lastEvalAt: 5 },
    });
  });
});

describe('step: keep_firing_for', () => {
  it('keeps firing from the first false evaluation until keep_firing_for has passed', () => {
    const { transitions, states } = run(rule({ keepFiringFor: 3 * MIN }), [BAD, GOOD, GOOD, GOOD, GOOD]);
    expect(transitions).toEqual(['firing', undefined, undefined, undefined, 'resolved']);
    expect(states[1]).toMatchObject({ status: 'firing', keepFiringSince: MIN, firedAt: 0 });
    expect(states[3]).toMatchObject({ status: 'firing', keepFiringSince: MIN });
    expect(states[4]).toMatchObject({ status: 'inactive', since: 4 * MIN, resolvedAt: 4 * MIN });
  });

  it('restarts the keep_firing_for clock when the condition holds again', () => {
    const { transitions, states } = run(rule({ keepFiringFor: 2 * MIN }), [BAD, GOOD, BAD, GOOD, GOOD, GOOD]);
    expect(transitions).toEqual(['firing', undefined, undefined, undefined, undefined, 'resolved']);
    expect(states[2]).not.toHaveProperty('keepFiringSince');
    expect(states[3]).toMatchObject({ keepFiringSince: 3 * MIN });
    expect(states[5]).toMatchObject({ status: 'inactive', resolvedAt: 5 * MIN });
  });
});

describe('step: flapping input', () => {
  it('never fires when the condition never holds for `for` in a row', () => {
    const { transitions, last } = run(rule({ for: 2 * MIN }), [BAD, GOOD, BAD, GOOD, BAD, GOOD, BAD]);
    expect(transitions).toEqual([
      'pending',
      undefined,
      'pending',
      undefined,
      'pending',
      undefined,
      'pending',
    ]);
    expect(last).toMatchObject({ status: 'pending', activeAt: 6 * MIN });
  });

  it('fires and resolves on every flip without keep_firing_for', () => {
    const { transitions } = run(rule(), [BAD, GOOD, BAD, GOOD]);
    expect(transitions).toEqual(['firing', 'resolved', 'firing', 'resolved']);
  });

  it('stays firing through the flips with keep_firing_for, as one episode', () => {
    const { transitions, states } = run(rule({ keepFiringFor: 2 * MIN }), [BAD, GOOD, BAD, GOOD, BAD, GOOD]);
    expect(transitions).toEqual(['firing', undefined, undefined, undefined, undefined, undefined]);
    expect(states.every((s) => s.status === 'firing' && s.firedAt === 0)).toBe(true);
  });
});

describe('step: nodata policy "nodata" (default)', () => {
  it('moves to nodata from inactive, stays there quietly, and reports data-back', () => {
    const { transitions, states } = run(rule(), [GOOD, undefined, undefined, GOOD]);
    expect(transitions).toEqual([undefined, 'nodata', undefined, 'data-back']);
    expect(states[1]).toEqual({ status: 'nodata', since: MIN, lastEvalAt: MIN });
    expect(states[2]).toEqual({ status: 'nodata', since: MIN, lastEvalAt: 2 * MIN });
    expect(states[3]).toEqual({ status: 'inactive', since: 3 * MIN, lastValue: GOOD, lastEvalAt: 3 * MIN });
    expect(isActive(states[1])).toBe(false);
  });

  it('enters nodata on the very first evaluation', () => {
    expect(step(undefined, undefined, rule(), 0)).toEqual({
      state: { status: 'nodata', since: 0, lastEvalAt: 0 },
      transition: 'nodata',
    });
  });

  it('drops a pending alert, whose `for` starts again when data is back', () => {
    const { transitions, states } = run(rule({ for: 2 * MIN }), [BAD, undefined, BAD, BAD, BAD]);
    expect(transitions).toEqual(['pending', 'nodata', 'data-back', undefined, 'firing']);
    expect(states[1]).not.toHaveProperty('activeAt');
    expect(states[2]).toMatchObject({ status: 'pending', since: 2 * MIN, activeAt: 2 * MIN });
    expect(states[4]).toMatchObject({ status: 'firing', firedAt: 4 * MIN });
  });

  it('reports firing rather than data-back when data comes back already firing (for 0)', () => {
    const { transitions, last } = run(rule(), [undefined, BAD]);
    expect(transitions).toEqual(['nodata', 'firing']);
    expect(last).toMatchObject({ status: 'firing', firedAt: MIN });
  });

  it('keeps a firing episode active through nodata; data back and still bad continues it', () => {
    const { transitions, states } = run(rule(), [BAD, undefined, undefined, BAD]);
    expect(transitions).toEqual(['firing', 'nodata', undefined, 'data-back']);
    expect(states[1]).toMatchObject({ status: 'nodata', since: MIN, firedAt: 0 });
    expect(states[1]).not.toHaveProperty('lastValue');
    expect(isActive(states[1])).toBe(true);
    expect(states[3]).toMatchObject({ status: 'firing', since: 3 * MIN, firedAt: 0, lastValue: BAD });
  });

  it('resolves a firing episode when data comes back good', () => {
    const { transitions, last } = run(rule(), [BAD, undefined, GOOD]);
    expect(transitions).toEqual(['firing', 'nodata', 'resolved']);
    expect(last).toMatchObject({ status: 'inactive', resolvedAt: 2 * MIN });
    expect(isActive(last)).toBe(false);
  });

  it('applies keep_firing_for after data comes back good', () => {
    const { transitions, states } = run(rule({ keepFiringFor: 2 * MIN }), [BAD, undefined, GOOD, GOOD, GOOD]);
    expect(transitions).toEqual(['firing', 'nodata', 'data-back', undefined, 'resolved']);
    expect(states[2]).toMatchObject({ status: 'firing', keepFiringSince: 2 * MIN });
    expect(states[4]).toMatchObject({ status: 'inactive', resolvedAt: 4 * MIN });
  });

  it('keeps the keep_firing_for clock that was running when data went missing', () => {
    const { transitions } = run(rule({ keepFiringFor: 3 * MIN }), [BAD, GOOD, undefined, GOOD, GOOD]);
    expect(transitions).toEqual(['firing', undefined, 'nodata', 'data-back', 'resolved']);
  });
});

describe('step: nodata policies "ok" and "firing"', () => {
  it('"ok" treats no data as the condition being false', () => {
    const { transitions, last } = run(rule({ nodata: 'ok' }), [undefined, BAD, undefined]);
    expect(transitions).toEqual([undefined, 'firing', 'resolved']);
    expect(last).toMatchObject({ status: 'inactive', resolvedAt: 2 * MIN });
    expect(last).not.toHaveProperty('lastValue');
  });

  it('"ok" still honours keep_firing_for', () => {
    const { transitions } = run(rule({ nodata: 'ok', keepFiringFor: MIN }), [BAD, undefined, undefined]);
    expect(transitions).toEqual(['firing', undefined, 'resolved']);
  });

  it('"firing" treats no data as the condition holding, through pending', () => {
    const { transitions, states } = run(rule({ nodata: 'firing', for: MIN }), [undefined, undefined, GOOD]);
    expect(transitions).toEqual(['pending', 'firing', 'resolved']);
    expect(states[1]).toMatchObject({ status: 'firing', activeAt: 0, firedAt: MIN });
  });

  it('"firing" keeps a firing alert firing when data goes missing', () => {
    const { transitions, last } = run(rule({ nodata: 'firing' }), [BAD, undefined]);
    expect(transitions).toEqual(['firing', undefined]);
    expect(last).toMatchObject({ status: 'firing', firedAt: 0 });
  });
});

describe('step: comparisons', () => {
  it('uses the rule comparison (healthy < 1)', () => {
    const { transitions } = run(rule({ when: { op: '<', threshold: 1 } }), [2, 1, 0, 1]);
    expect(transitions).toEqual([undefined, undefined, 'firing', 'resolved']);
  });

  it('remembers when an episode last resolved across later episodes', () => {
    const { last } = run(rule({ for: 5 * MIN }), [BAD, BAD, BAD, BAD, BAD, BAD, GOOD, BAD]);
    expect(last).toMatchObject({ status: 'pending', activeAt: 7 * MIN, resolvedAt: 6 * MIN });
  });
});
