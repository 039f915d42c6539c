import { describe, expect, it } from 'vitest';
import { type HealthState, NEW_PROCESS, recordCheck, type Thresholds } from './health-state.js';

function run(results: boolean[], thresholds: Thresholds, from: HealthState = NEW_PROCESS): boolean[] {
  const verdicts: boolean[] = [];
  let state = from;
  for (const passed of results) {
    state = recordCheck(state, passed, thresholds);
    verdicts.push(state.healthy);
  }
  return verdicts;
}

const T = { healthyThreshold: 2, unhealthyThreshold: 3 };

describe('health thresholds', () => {
  it('a new process is unhealthy until healthyThreshold passes in a row', () => {
    expect(NEW_PROCESS.healthy).toBe(false);
    expect(run([true, false, true, true, true], T)).toEqual([false, false, false, true, true]);
  });

  it('a healthy process turns unhealthy only after unhealthyThreshold failures in a row', () => {
    expect(run([true, true, false, false, true, false, false, false], T)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('an unhealthy process needs healthyThreshold passes again to recover', () => {
    const verdicts = run([true, true, false, false, false, true, true], T);
    expect(verdicts.slice(4)).toEqual([false, false, true]);
  });

  it('failures before the first healthy verdict change nothing but reset the passes', () => {
    const state = recordCheck(recordCheck(NEW_PROCESS, true, T), false, T);
    expect(state).toEqual({ healthy: false, passes: 0, failures: 1 });
  });

  it('thresholds of 1 flip on every change, and below 1 count as 1', () => {
    const one = { healthyThreshold: 1, unhealthyThreshold: 1 };
    expect(run([true, false, true], one)).toEqual([true, false, true]);
    const zero = { healthyThreshold: 0, unhealthyThreshold: 0 };
    expect(run([false, true, false], zero)).toEqual([false, true, false]);
  });
});
