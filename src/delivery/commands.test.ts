import { describe, expect, it } from 'vitest';
import { resolveAnalysis } from './analysis/config.js';
import { initialState } from './analysis/run.js';
import type { AnalysisState } from './analysis/types.js';
import {
  ABORTED_BY_OPERATOR,
  type CommandResult,
  command,
  PAUSED_BY_OPERATOR,
  type RolloutCommand,
} from './commands.js';
import { FakeRuntime } from './fake-runtime.js';
import { decide } from './rollout.js';
import { WAITING_FOR_PROMOTE } from './strategies/canary.js';
import type { Rollout, RolloutState, StrategyConfig } from './types.js';

const analysis = resolveAnalysis({ intervalMs: 2_000, errorRate: { max: 0.01 }, inconclusiveLimit: 2 });
if (!analysis.ok) throw new Error('bad analysis config');

const CANARY: StrategyConfig = {
  name: 'canary',
  steps: [
    { weight: 20, pauseMs: 60_000 },
    { weight: 50, pauseMs: null },
  ],
  analysis: analysis.config,
};

function rollout(extra: Partial<Rollout> = {}): Rollout {
  return Object.freeze({
    id: 'ro-1',
    service: 'web',
    strategy: CANARY,
    from: 'v1',
    to: 'v2',
    replicas: 2,
    state: 'progressing',
    step: 0,
    startedAt: 0,
    stepStartedAt: 1_000,
    updatedAt: 1_000,
    ...extra,
  }) as Rollout;
}

const ok = (res: CommandResult): Rollout => {
  if ('error' in res) throw new Error(`unexpected refusal: ${res.error}`);
  return res.rollout;
};
const refused = (res: CommandResult): string => {
  if (!('error' in res)) throw new Error(`unexpectedly accepted: ${JSON.stringify(res.rollout)}`);
  return res.error;
};

const NOW = 50_000;
const thin: AnalysisState = { ...initialState(), inconclusive: 2, outcome: 'pause' };

describe('command: what each command does', () => {
  it('promote requests the current step, and resumes a paused rollout with a fresh inconclusive streak', () => {
    expect(ok(command(rollout(), { type: 'promote' }, NOW))).toMatchObject({
      state: 'progressing',
      promote: 'step',
      stepStartedAt: 1_000,
      updatedAt: NOW,
    });
    const paused = rollout({
      state: 'paused',
      pausedReason:
        'too little traffic for analysis (2 inconclusive windows); tandem promote or tandem abort',
      analysis: thin,
    });
    const next = ok(command(paused, { type: 'promote' }, NOW));
    expect(next).toMatchObject({ state: 'progressing', promote: 'step', stepStartedAt: NOW });
    expect(next).not.toHaveProperty('pausedReason');
    expect(next.analysis).toMatchObject({ inconclusive: 0, outcome: 'continue' });
  });

  it('promote --full, also after a promotion of the step', () => {
    expect(ok(command(rollout(), { type: 'promote', full: true }, NOW)).promote).toBe('full');
    expect(ok(command(rollout({ promote: 'step' }), { type: 'promote', full: true }, NOW)).promote).toBe(
      'full',
    );
    // Before the rollout started: decide() will skip the steps from the start.
    expect(ok(command(rollout({ state: 'pending' }), { type: 'promote', full: true }, NOW)).promote).toBe(
      'full',
    );
  });

  it('promote at a step waiting for it', () => {
    const waiting = rollout({ state: 'paused', step: 1, pausedReason: WAITING_FOR_PROMOTE });
    expect(ok(command(waiting, { type: 'promote' }, NOW))).toMatchObject({
      state: 'progressing',
      promote: 'step',
      step: 1,
    });
  });

  it('abort records the reason and drops what was pending', () => {
    const busy = rollout({
      state: 'paused',
      pausedReason: PAUSED_BY_OPERATOR,
      promote: 'step',
      weightReachedAt: 3_000,
    });
    const next = ok(command(busy, { type: 'abort', reason: ' p99 doubled ' }, NOW));
    expect(next).toMatchObject({
      state: 'aborted',
      step: 0,
      stepStartedAt: NOW,
      reason: 'aborted by operator: p99 doubled',
    });
    for (const key of ['pausedReason', 'promote', 'weightReachedAt']) expect(next).not.toHaveProperty(key);
    expect(ok(command(rollout(), { type: 'abort' }, NOW)).reason).toBe(ABORTED_BY_OPERATOR);
    // Before it starts, and while it waits for an approval.
    expect(ok(command(rollout({ state: 'pending' }), { type: 'abort' }, NOW)).state).toBe('aborted');
    expect(ok(command(rollout({ state: 'awaiting-approval' }), { type: 'abort' }, NOW)).state).toBe(
      'aborted',
    );
  });

  it('pause drops a pending promotion; resume restarts the deadline and the inconclusive streak', () => {
    const paused = ok(command(rollout({ promote: 'step' }), { type: 'pause' }, NOW));
    expect(paused).toMatchObject({ state: 'paused', pausedReason: PAUSED_BY_OPERATOR });
    expect(paused).not.toHaveProperty('promote');
    const resumed = ok(command({ ...paused, analysis: thin }, { type: 'resume' }, NOW + 5_000));
    expect(resumed).toMatchObject({ state: 'progressing', stepStartedAt: NOW + 5_000 });
    expect(resumed).not.toHaveProperty('pausedReason');
    expect(resumed.analysis).toMatchObject({ inconclusive: 0, outcome: 'continue' });
  });

  it('never changes the record it is given', () => {
    const r = rollout({ analysis: thin, state: 'paused', pausedReason: PAUSED_BY_OPERATOR });
    const copy = structuredClone(r);
    for (const cmd of [{ type: 'promote' }, { type: 'abort' }, { type: 'resume' }] as RolloutCommand[])
      command(r, cmd, NOW);
    expect(r).toEqual(copy);
  });
});

describe('command: refusals say why and what to do', () => {
  const cases: Array<[RolloutState | string, Partial<Rollout>, RolloutCommand, RegExp]> = [
    ['promoted', { state: 'promoted' }, { type: 'promote' }, /already promoted/],
    ['promoted', { state: 'promoted' }, { type: 'abort' }, /already promoted.*deploy the previous release/],
    ['promoted', { state: 'promoted' }, { type: 'pause' }, /already promoted/],
    [
      'aborted',
      { state: 'aborted', reason: 'analysis failed: x\nlast lines' },
      { type: 'promote' },
      /was aborted \(analysis failed: x\) and is rolling back/,
    ],
    ['aborted', { state: 'aborted', reason: 'x' }, { type: 'abort' }, /was aborted/],
    ['rolled-back', { state: 'rolled-back', reason: 'x' }, { type: 'resume' }, /rolled back: deploy again/],
    [
      'awaiting-approval',
      { state: 'awaiting-approval' },
      { type: 'promote' },
      /awaiting approval: tandem approve/,
    ],
    ['awaiting-approval', { state: 'awaiting-approval' }, { type: 'pause' }, /awaiting approval/],
    ['pending', { state: 'pending' }, { type: 'pause' }, /has not started yet/],
    [
      'paused',
      { state: 'paused', pausedReason: PAUSED_BY_OPERATOR },
      { type: 'pause' },
      /already paused \(paused by operator/,
    ],
    ['progressing', {}, { type: 'resume' }, /is not paused \(it is progressing\)/],
    [
      'waiting for promote',
      { state: 'paused', pausedReason: WAITING_FOR_PROMOTE },
      { type: 'resume' },
      /tandem promote to go on/,
    ],
    ['converging', { step: 2 }, { type: 'promote' }, /past its last canary step/],
    ['converging', { step: 2 }, { type: 'pause' }, /past its last canary step.*tandem abort/],
    [
      'promote requested',
      { promote: 'step' },
      { type: 'promote' },
      /already has a promotion of step 1 under way.*--full/,
    ],
    [
      'full promote requested',
      { promote: 'full' },
      { type: 'promote', full: true },
      /already has a full promotion under way/,
    ],
    [
      'rolling',
      { strategy: { name: 'rolling' } },
      { type: 'promote' },
      /is a rolling rollout, it proceeds by itself; only a canary/,
    ],
    [
      'paused blue-green',
      { strategy: { name: 'blue-green' }, state: 'paused' },
      { type: 'promote' },
      /tandem resume it/,
    ],
  ];
  it.each(cases)('%s: %j refused', (_name, extra, cmd, message) => {
    const error = refused(command(rollout(extra), cmd, NOW));
    expect(error).toMatch(message);
    expect(error).toMatch(/^the rollout of web to v2 /);
  });
});

describe('command + decide', () => {
  it('a paused rolling rollout is left alone, and after resume its deadline counts from the resume', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 2);
    let r = rollout({
      strategy: { name: 'rolling', progressDeadlineMs: 10_000 },
      state: 'progressing',
      stepStartedAt: 0,
    });
    r = ok(command(r, { type: 'pause' }, 1_000));
    expect(decide(r, fake.observe(300_000))).toEqual({ rollout: r, actions: [] });
    r = ok(command(r, { type: 'resume' }, 300_000));
    const d = decide(r, fake.observe(300_000));
    expect(d.rollout.state).toBe('progressing');
    expect(d.actions).toEqual([{ type: 'start', revision: 'v2', count: 1 }]);
  });

  it('an aborted rollout rolls back on the next decide, with no second fail event', () => {
    const fake = new FakeRuntime({}).seed('v1', 2).seed('v2', 1);
    const r = ok(command(rollout(), { type: 'abort' }, NOW));
    const d = decide(r, fake.observe(NOW));
    expect(d.rollout.state).toBe('aborted');
    expect(d.actions).toEqual([
      { type: 'set-traffic', weights: { v1: 100 }, instances: ['v1-1', 'v1-2'] },
      { type: 'drain-and-stop', instanceIds: ['v2-3'] },
    ]);
  });

  it('promote --full on a pending canary goes straight to converging', () => {
    const fake = new FakeRuntime({}).seed('v1', 2);
    const r = ok(
      command(rollout({ state: 'pending', stepStartedAt: 0 }), { type: 'promote', full: true }, 0),
    );
    const d = decide(r, fake.observe(1_000));
    expect(d.rollout).toMatchObject({ state: 'progressing', step: 2, stepStartedAt: 1_000 });
    expect(d.rollout).not.toHaveProperty('promote');
    expect(d.actions).toEqual([{ type: 'start', revision: 'v2', count: 2 }]);
  });
});
