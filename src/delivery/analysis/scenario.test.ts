/**
 * The whole analysis path, window after window: cumulative counters → windowStats → evaluate →
 * advance, for the benchmark cases (a canary answering 500 to 30% of requests, and a
 * healthy one) at high and low traffic.
 */
import { describe, expect, it } from 'vitest';
import { resolveAnalysis } from './config.js';
import { FakeRevisionTraffic } from './fake-traffic.js';
import { evaluate } from './gates.js';
import { advance, initialState } from './run.js';
import type { AnalysisState, RevisionCounters, Verdict } from './types.js';
import { windowStats } from './window.js';

const INTERVAL_MS = 2_000;
const resolved = resolveAnalysis({
  intervalMs: INTERVAL_MS,
  errorRate: { max: 0.01, maxIncrease: 0.01 },
  p95: { max: 300, maxRatio: 2 },
});
if (!resolved.ok) throw new Error(resolved.problems.join('; '));
const config = resolved.config;

interface Case {
  name: string;
  /** Requests per window. */
  canaryRequests: number;
  stableRequests: number;
  /** Fraction of the canary's requests answered 500. */
  canaryErrors: number;
  verdicts: Verdict[];
  outcome: AnalysisState['outcome'];
  failures: number;
}

const cases: Case[] = [
  {
    name: 'bad canary, high traffic: aborts on the first window',
    canaryRequests: 200,
    stableRequests: 800,
    canaryErrors: 0.3,
    verdicts: ['fail'],
    outcome: 'fail',
    failures: 1,
  },
  {
    name: 'bad canary taking most traffic (stable too quiet to compare): absolute gate aborts',
    canaryRequests: 450,
    stableRequests: 30,
    canaryErrors: 0.3,
    verdicts: ['fail'],
    outcome: 'fail',
    failures: 1,
  },
  {
    name: 'bad canary, low traffic: pauses for a human, never aborts on thin evidence',
    canaryRequests: 10,
    stableRequests: 40,
    canaryErrors: 0.3,
    verdicts: ['inconclusive', 'inconclusive', 'inconclusive'],
    outcome: 'pause',
    failures: 0,
  },
  {
    name: 'healthy canary, high traffic: passes every window',
    canaryRequests: 200,
    stableRequests: 800,
    canaryErrors: 0,
    verdicts: ['pass', 'pass', 'pass', 'pass', 'pass', 'pass'],
    outcome: 'continue',
    failures: 0,
  },
  {
    name: 'healthy canary, low traffic: pauses, no false abort',
    canaryRequests: 10,
    stableRequests: 40,
    canaryErrors: 0,
    verdicts: ['inconclusive', 'inconclusive', 'inconclusive'],
    outcome: 'pause',
    failures: 0,
  },
];

describe.each(cases)(
  '$name',
  ({ canaryRequests, stableRequests, canaryErrors, verdicts, outcome, failures }) => {
    it(`→ ${outcome}`, () => {
      const canary = new FakeRevisionTraffic();
      const stable = new FakeRevisionTraffic().answer(5_000, 40); // history before the rollout
      let before: { canary?: RevisionCounters; stable: RevisionCounters } = { stable: stable.counters() };
      let state = initialState();

      for (let i = 1; i <= 6 && state.outcome === 'continue'; i++) {
        const bad = Math.round(canaryRequests * canaryErrors);
        canary.answer(canaryRequests - bad, 40).answer(bad, 5, '5xx');
        stable.answer(stableRequests, 40);
        const after = { canary: canary.counters(), stable: stable.counters() };
        const m = evaluate(
          config,
          windowStats(before.canary, after.canary),
          windowStats(before.stable, after.stable),
          i * INTERVAL_MS,
          INTERVAL_MS,
        );
        state = advance(state, m, config);
        before = after;
      }

      expect(state.measurements.map((m) => m.verdict)).toEqual(verdicts);
      expect(state.outcome).toBe(outcome);
      expect(state.failures).toBe(failures);
      if (outcome === 'fail') expect(state.measurements[0]?.reasons[0]).toBe('error rate 30.0% > max 1.0%');
    });
  },
);
