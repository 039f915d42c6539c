import { describe, expect, it } from 'vitest';
import { afterExit, backoffPolicy, DEFAULT_BACKOFF, NO_RESTARTS, type RestartHistory } from './backoff.js';

/** Runs exits against a fake clock: each entry is how long that process stayed up (ms). */
function simulate(uptimes: number[], policy = DEFAULT_BACKOFF) {
  let history: RestartHistory = NO_RESTARTS;
  let clock = 1_000_000;
  const out: { delayMs: number; crashlooping: boolean }[] = [];
  for (const up of uptimes) {
    const startedAt = clock;
    clock += up;
    const decision = afterExit(history, startedAt, clock, policy);
    history = decision.history;
    out.push({ delayMs: decision.delayMs, crashlooping: decision.crashlooping });
    clock += decision.delayMs;
  }
  return out;
}

describe('restart backoff', () => {
  it('doubles from 0.5 s and caps at 30 s while the process keeps dying quickly', () => {
    const delays = simulate(Array(10).fill(100)).map((d) => d.delayMs);
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('reports a crash loop from the third quick exit in a row, and keeps retrying', () => {
    const loops = simulate([50, 50, 50, 50, 50]).map((d) => d.crashlooping);
    expect(loops).toEqual([false, false, true, true, true]);
  });

  it('starts over after a process that stayed up for resetAfter', () => {
    const decisions = simulate([100, 100, 100, 100, 10_000, 100, 100]);
    expect(decisions.map((d) => d.delayMs)).toEqual([500, 1_000, 2_000, 4_000, 500, 1_000, 2_000]);
    expect(decisions.map((d) => d.crashlooping)).toEqual([false, false, true, true, false, false, false]);
  });

  it('treats an uptime just under resetAfter as quick', () => {
    const decisions = simulate([9_999, 9_999, 9_999]);
    expect(decisions.map((d) => d.delayMs)).toEqual([500, 1_000, 2_000]);
    expect(decisions.at(-1)?.crashlooping).toBe(true);
  });

  it('never overflows after very many restarts', () => {
    const last = simulate(Array(2_000).fill(1)).at(-1);
    expect(last).toEqual({ delayMs: 30_000, crashlooping: true });
  });

  it('takes overrides and falls back on nonsense', () => {
    const policy = backoffPolicy({ initialMs: 20, maxMs: 100, resetAfterMs: 1_000 });
    expect(simulate([1, 1, 1, 1, 1], policy).map((d) => d.delayMs)).toEqual([20, 40, 80, 100, 100]);
    expect(backoffPolicy({ initialMs: -1, maxMs: Number.NaN })).toEqual(DEFAULT_BACKOFF);
    // A cap below the first delay would make the first delay the longest: lift the cap.
    expect(backoffPolicy({ initialMs: 50, maxMs: 10 }).maxMs).toBe(50);
  });
});
