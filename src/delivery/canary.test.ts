import { describe, expect, it } from 'vitest';
import { resolveAnalysis } from './analysis/config.js';
import { evaluate } from './analysis/gates.js';
import type { AnalysisConfig, Measurement } from './analysis/types.js';
import { command, type RolloutCommand } from './commands.js';
import { FakeRuntime } from './fake-runtime.js';
import { decide } from './rollout.js';
import { canaryCount, WAITING_FOR_PROMOTE } from './strategies/canary.js';
import type { Action, CanaryStrategy, Observed, Rollout, RuntimeAction } from './types.js';
import { TERMINAL_STATES } from './types.js';

const TICK = 1_000;

function rollout(strategy: Omit<CanaryStrategy, 'name'>, extra: Partial<Rollout> = {}): Rollout {
  return {
    id: 'ro-1',
    service: 'web',
    strategy: { name: 'canary', ...strategy },
    from: 'v1',
    to: 'v2',
    replicas: 4,
    state: 'pending',
    step: 0,
    startedAt: 0,
    stepStartedAt: 0,
    updatedAt: 0,
    ...extra,
  };
}

const runtimeActions = (actions: Action[]): RuntimeAction[] =>
  actions.filter((a): a is RuntimeAction => a.type !== 'fail' && a.type !== 'complete');

const analysisConfig = (extra: Partial<AnalysisConfig> = {}): AnalysisConfig => {
  const resolved = resolveAnalysis({
    intervalMs: 2_000,
    minRequests: 50,
    errorRate: { max: 0.01 },
    ...extra,
  });
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  return resolved.config;
};

type CanaryTraffic = 'good' | 'bad' | 'thin';

/**
 * The control plane's analysis as decide() sees it: every intervalMs a window ends and is judged
 * by the real gates; the latest one is passed on every reconcile (decide() folds it once).
 */
function measurer(
  config: AnalysisConfig,
  traffic: (windowEnd: number) => CanaryTraffic,
  stableRequests: (windowEnd: number) => number = () => 900,
) {
  return (now: number): Measurement | undefined => {
    const at = Math.floor(now / config.intervalMs) * config.intervalMs;
    if (at <= 0) return undefined;
    const kind = traffic(at);
    const canary = {
      requests: kind === 'thin' ? 5 : 100,
      errorRate: kind === 'bad' ? 0.31 : 0,
      p50Ms: 10,
      p95Ms: 20,
      p99Ms: 30,
    };
    const stable = { requests: stableRequests(at), errorRate: 0, p50Ms: 10, p95Ms: 20, p99Ms: 30 };
    return evaluate(config, canary, stable, at, config.intervalMs);
  };
}

interface Tick {
  now: number;
  before: Observed;
  rollout: Rollout;
  actions: Action[];
  /** Weights and traffic after the actions were applied. */
  weights: Record<string, number>;
  inTraffic: string[];
  live: { v1: number; v2: number };
}

interface DriveOptions {
  measure?: (now: number) => Measurement | undefined;
  /** Operator commands, each applied once to the stored record before the first reconcile at or after its time. */
  commands?: Record<number, RolloutCommand>;
  /** At this tick the control plane dies after persisting the record, before acting... */
  crashAt?: number;
  /** ...and comes back this many ticks later. */
  downTicks?: number;
  maxTicks?: number;
  stopWhen?: (r: Rollout) => boolean;
}

/**
 * Drives decide() against the fake runtime and the fake clock. After every decide: the same
 * inputs give the same decision (crash before persisting), the stored record gives the same
 * runtime actions (crash between persisting and acting), the record survives JSON (the store),
 * and traffic never points at no healthy instance while one exists.
 */
function drive(start: Rollout, fake: FakeRuntime, o: DriveOptions = {}) {
  let r = start;
  let now = 0;
  const ticks: Tick[] = [];
  const errors: string[] = [];
  const pending = Object.entries(o.commands ?? {})
    .map(([at, cmd]) => ({ at: Number(at), cmd }))
    .sort((a, b) => a.at - b.at);
  for (let k = 0; k < (o.maxTicks ?? 300); k++) {
    while (pending.length > 0 && pending[0]!.at <= now) {
      const res = command(r, pending.shift()!.cmd, now);
      if ('error' in res) errors.push(res.error);
      else r = res.rollout;
    }
    const m = o.measure?.(now);
    const before = fake.observe(now, m ? { measurement: m } : {});
    const d = decide(r, before);
    expect(decide(r, before)).toEqual(d);
    const again = decide(d.rollout, before);
    expect(runtimeActions(again.actions), `re-decide at ${now}`).toEqual(runtimeActions(d.actions));
    expect(again.rollout.state).toBe(d.rollout.state);
    r = JSON.parse(JSON.stringify(d.rollout));
    const crashed = k === o.crashAt;
    if (!crashed) fake.apply(d.actions, now);
    expect(fake.trafficProblem(), `at ${now}`).toBeUndefined();
    ticks.push({
      now,
      before,
      rollout: r,
      actions: d.actions,
      weights: { ...fake.weights },
      inTraffic: fake.inTraffic().map((i) => i.id),
      live: { v1: fake.live('v1').length, v2: fake.live('v2').length },
    });
    if (TERMINAL_STATES.has(r.state) || o.stopWhen?.(r)) break;
    for (let t = 0; t < (crashed ? 1 + (o.downTicks ?? 0) : 1); t++) {
      fake.tick();
      now += TICK;
    }
  }
  return { rollout: r, ticks, errors, last: ticks.at(-1)! };
}

const setTraffic = (ticks: Tick[]) =>
  ticks
    .flatMap((t) => t.actions)
    .filter((a): a is Extract<Action, { type: 'set-traffic' }> => a.type === 'set-traffic');

/** (state, step) each time it changes. */
const transitions = (ticks: Tick[]) => {
  const out: string[] = [];
  for (const t of ticks) {
    const s = `${t.rollout.state}${t.rollout.state === 'progressing' ? ` ${t.rollout.step}` : ''}`;
    if (out.at(-1) !== s) out.push(s);
  }
  return out;
};

const firstAt = (ticks: Tick[], pred: (t: Tick) => boolean) => ticks.find(pred)!;

const THREE_STEPS = {
  steps: [
    { weight: 10, pauseMs: 5_000 },
    { weight: 50, pauseMs: 3_000 },
    { weight: 100, pauseMs: 2_000 },
  ],
};

describe('canary: steps (fake runtime, fake clock)', () => {
  it('goes 10% → 50% → 100% with stable at full strength, holds each pause, then converges and promotes', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4);
    const out = drive(rollout(THREE_STEPS), fake);
    expect(out.rollout.state).toBe('promoted');
    expect(transitions(out.ticks)).toEqual([
      'progressing 0',
      'progressing 1',
      'progressing 2',
      'progressing 3',
      'promoted',
    ]);
    // Explicit weights per step, each sent once; the last step already has all traffic, so converging sends none.
    expect(setTraffic(out.ticks).map((a) => [a.weights, a.instances.length])).toEqual([
      [{ v1: 90, v2: 10 }, 5],
      [{ v1: 50, v2: 50 }, 6],
      [{ v2: 100 }, 4],
    ]);
    // Canary instances per step: ceil(4 × w / 100); stable keeps all 4 until the last step is over.
    for (const t of out.ticks) {
      const { step, state } = t.rollout;
      if (state === 'progressing' && step < 3) {
        expect(t.live.v1, `stable at ${t.now}`).toBe(4);
        expect(t.live.v2, `canary at ${t.now}`).toBeLessThanOrEqual([1, 2, 4][step]!);
      }
    }
    expect(fake.started).toEqual({ v2: 4 });
    expect(fake.live('v1')).toHaveLength(0);
    expect(fake.inTraffic().map((i) => i.revision)).toEqual(['v2', 'v2', 'v2', 'v2']);
    // Each step is held for its pause from when its weight was in place.
    for (const [step, pause] of [
      [0, 5_000],
      [1, 3_000],
      [2, 2_000],
    ] as const) {
      const reached = firstAt(
        out.ticks,
        (t) => t.rollout.step === step && t.rollout.weightReachedAt !== undefined,
      );
      const left = firstAt(out.ticks, (t) => t.rollout.step > step || t.rollout.state === 'promoted');
      expect(reached.rollout.weightReachedAt).toBe(reached.now);
      expect(left.now - reached.now, `hold of step ${step}`).toBe(pause);
    }
    expect(out.ticks.flatMap((t) => t.actions).filter((a) => a.type === 'complete')).toHaveLength(1);
  });

  it('sets a step weight only once all its canary instances are healthy (the previous weight holds meanwhile)', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 4 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 25 }, { weight: 75 }] }), fake);
    expect(out.rollout.state).toBe('promoted');
    const traffic = setTraffic(out.ticks);
    expect(traffic[0]).toMatchObject({ weights: { v1: 75, v2: 25 } });
    expect(traffic[0]!.instances.filter((id) => id.startsWith('v2'))).toHaveLength(1);
    expect(traffic[1]).toMatchObject({ weights: { v1: 25, v2: 75 } });
    expect(traffic[1]!.instances.filter((id) => id.startsWith('v2'))).toHaveLength(3);
    // While the 75% step's extra instances start, the canary stays at 25% on its one instance.
    const ramping = out.ticks.filter((t) => t.rollout.step === 1 && t.live.v2 === 3 && t.weights.v2 !== 75);
    expect(ramping.length).toBeGreaterThan(0);
    for (const t of ramping) expect(t.weights).toEqual({ v1: 75, v2: 25 });
    // After the last listed step (75%), it converges in proportion to healthy instances and promotes.
    expect(fake.live('v2')).toHaveLength(4);
    expect(fake.live('v1')).toHaveLength(0);
    expect(fake.started).toEqual({ v2: 4 });
  });

  it('a first deploy (no stable revision) skips the steps', () => {
    const fake = new FakeRuntime({ v1: { healthyAfter: 2 } });
    const out = drive(rollout(THREE_STEPS, { from: null, to: 'v1', replicas: 2 }), fake);
    expect(out.rollout.state).toBe('promoted');
    expect(out.ticks.flatMap((t) => t.actions)).toEqual([
      { type: 'start', revision: 'v1', count: 2 },
      { type: 'set-traffic', weights: { v1: 100 }, instances: ['v1-1', 'v1-2'] },
      { type: 'complete' },
    ]);
  });

  it('pauses at a step without a pause until tandem promote, holding its traffic', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const strategy = {
      steps: [
        { weight: 25, pauseMs: null },
        { weight: 50, pauseMs: 1_000 },
      ],
    };
    const out = drive(rollout(strategy), fake, { commands: { 20000: { type: 'promote' } } });
    expect(out.rollout.state).toBe('promoted');
    expect(transitions(out.ticks)).toEqual([
      'progressing 0',
      'paused',
      'progressing 1',
      'progressing 2',
      'promoted',
    ]);
    const paused = out.ticks.filter((t) => t.rollout.state === 'paused');
    expect(paused[0]!.rollout.pausedReason).toBe(WAITING_FOR_PROMOTE);
    expect(paused.at(-1)!.now).toBe(19_000);
    // Nothing moves while it waits.
    for (const t of paused.slice(1)) {
      expect(runtimeActions(t.actions)).toEqual([]);
      expect(t.weights).toEqual({ v1: 75, v2: 25 });
    }
    const promoted = firstAt(out.ticks, (t) => t.now === 20_000);
    expect(promoted.rollout).toMatchObject({ state: 'progressing', step: 1 });
    expect(promoted.rollout.promote).toBeUndefined();
  });

  it('promote advances the current step before its pause is over, and only that step', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const strategy = {
      steps: [
        { weight: 25, pauseMs: 60_000 },
        { weight: 50, pauseMs: 60_000 },
      ],
    };
    const out = drive(rollout(strategy), fake, {
      commands: { 5000: { type: 'promote' } },
      stopWhen: (r) => r.step === 1 && r.weightReachedAt !== undefined,
      maxTicks: 30,
    });
    expect(out.rollout).toMatchObject({ state: 'progressing', step: 1 });
    expect(firstAt(out.ticks, (t) => t.rollout.step === 1).now).toBe(5_000);
    expect(out.last.weights).toEqual({ v1: 50, v2: 50 });
  });

  it('promote --full skips the remaining steps and the analysis', () => {
    const config = analysisConfig();
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(rollout({ ...THREE_STEPS, analysis: config }), fake, {
      commands: { 3000: { type: 'promote', full: true } },
      // Bad windows from then on: they must not abort a rollout promoted by hand.
      measure: measurer(config, (at) => (at > 3_000 ? 'bad' : 'good')),
    });
    expect(out.rollout.state).toBe('promoted');
    expect(transitions(out.ticks)).toEqual(['progressing 0', 'progressing 3', 'promoted']);
    expect(firstAt(out.ticks, (t) => t.rollout.step === 3).now).toBe(3_000);
    expect((out.rollout.analysis?.measurements ?? []).every((m) => m.at <= 3_000)).toBe(true);
    expect(fake.started).toEqual({ v2: 4 });
  });

  it('fails when a step’s canary instances are not healthy within the progress deadline, and rolls back', () => {
    const fake = new FakeRuntime({ v2: {} }).seed('v1', 3);
    const out = drive(
      rollout({ steps: [{ weight: 20 }], progressDeadlineMs: 10_000 }, { replicas: 3 }),
      fake,
    );
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toBe('canary step 1 (20%): 0 of 1 canary instances healthy after 10000 ms');
    expect(firstAt(out.ticks, (t) => t.rollout.state === 'aborted').now).toBe(11_000);
    for (const t of out.ticks) expect(t.inTraffic.every((id) => id.startsWith('v1'))).toBe(true);
    expect(fake.live('v2')).toHaveLength(0);
    expect(fake.live('v1')).toHaveLength(3);
  });

  it('aborts at once on a crash-looping canary and puts all traffic back on stable in one update', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    let ticked = 0;
    // The canary serves for a while, then crash-loops.
    fake.tick = ((orig) =>
      function (this: FakeRuntime) {
        orig.call(this);
        if (++ticked === 6)
          for (const i of this.instances)
            if (i.revision === 'v2') Object.assign(i, { state: 'crashlooping', healthy: false });
      })(fake.tick);
    const out = drive(rollout({ steps: [{ weight: 25, pauseMs: 60_000 }] }), fake);
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/^instance v2-\d+ is crashlooping$/);
    const aborted = firstAt(out.ticks, (t) => t.rollout.state === 'aborted');
    expect(aborted.now).toBe(6_000);
    expect(aborted.actions[0]).toEqual({
      type: 'set-traffic',
      weights: { v1: 100 },
      instances: ['v1-1', 'v1-2', 'v1-3', 'v1-4'],
    });
    expect(setTraffic(out.ticks.filter((t) => t.now >= aborted.now))).toHaveLength(1);
    expect(fake.live('v2')).toHaveLength(0);
  });

  it('keeps stable at full strength during the steps: a stable instance that dies is replaced', () => {
    const fake = new FakeRuntime({ v1: { healthyAfter: 2 }, v2: { healthyAfter: 1 } }).seed('v1', 4);
    fake.tick = ((orig) =>
      function (this: FakeRuntime) {
        orig.call(this);
        const victim = this.instances.find((i) => i.id === 'v1-2');
        if (victim && victim.state === 'running') Object.assign(victim, { state: 'exited', healthy: false });
      })(fake.tick);
    const out = drive(rollout({ steps: [{ weight: 25, pauseMs: 5_000 }] }), fake);
    expect(out.rollout.state).toBe('promoted');
    expect(fake.started.v1).toBe(1);
  });

  it('does without reported weights: sends the step’s weights on every reconcile and still promotes', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }, { reportWeights: false }).seed('v1', 4);
    const out = drive(
      rollout({
        steps: [
          { weight: 25, pauseMs: 2_000 },
          { weight: 50, pauseMs: 2_000 },
        ],
      }),
      fake,
    );
    expect(out.rollout.state).toBe('promoted');
    const weights = setTraffic(out.ticks).map((a) => JSON.stringify(a.weights));
    expect(weights).toContain(JSON.stringify({ v1: 75, v2: 25 }));
    expect(weights).toContain(JSON.stringify({ v1: 50, v2: 50 }));
    // At 50% the instance set (4 stable + 2 canary) is new, and the weight is sent with it.
    const step1 = out.ticks.filter((t) => t.rollout.step === 1 && t.rollout.weightReachedAt !== undefined);
    expect(step1.length).toBeGreaterThan(0);
    for (const t of step1) expect(t.weights).toEqual({ v1: 50, v2: 50 });
  });
});

describe('canary: analysis', () => {
  it('a failing window aborts with the failed gate as reason; traffic goes back to stable in one update before the canary drains', () => {
    const config = analysisConfig();
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: 60_000 }], analysis: config }), fake, {
      measure: measurer(config, (at) => (at >= 8_000 ? 'bad' : 'good')),
    });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toBe('analysis failed: error rate 31.0% > max 1.0%');
    const aborted = firstAt(out.ticks, (t) => t.rollout.state === 'aborted');
    expect(aborted.now).toBe(8_000);
    expect(aborted.actions).toEqual([
      { type: 'set-traffic', weights: { v1: 100 }, instances: ['v1-1', 'v1-2', 'v1-3', 'v1-4'] },
      { type: 'drain-and-stop', instanceIds: ['v2-5'] },
      { type: 'fail', reason: 'analysis failed: error rate 31.0% > max 1.0%' },
    ]);
    expect(setTraffic(out.ticks.filter((t) => t.now >= aborted.now))).toHaveLength(1);
    // The failing measurement is kept on record; nothing is measured after the abort.
    expect(out.rollout.analysis?.measurements.at(-1)).toMatchObject({ at: 8_000, verdict: 'fail' });
    expect(out.rollout.analysis?.outcome).toBe('fail');
    expect(fake.live('v2')).toHaveLength(0);
    expect(fake.live('v1')).toHaveLength(4);
  });

  it('counts failures up to failureLimit across windows', () => {
    const config = analysisConfig({ failureLimit: 2 });
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: 60_000 }], analysis: config }), fake, {
      measure: measurer(config, (at) => (at === 6_000 || at === 10_000 ? 'bad' : 'good')),
    });
    expect(out.rollout.state).toBe('rolled-back');
    expect(firstAt(out.ticks, (t) => t.rollout.state === 'aborted').now).toBe(10_000);
    expect(out.rollout.reason).toBe('analysis failed (2 failed windows): error rate 31.0% > max 1.0%');
  });

  it('ignores windows that started before the canary took traffic, and folds each window once', () => {
    const config = analysisConfig();
    const fake = new FakeRuntime({ v2: { healthyAfter: 3 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: 9_000 }], analysis: config }), fake, {
      measure: measurer(config, () => 'good'),
    });
    expect(out.rollout.state).toBe('promoted');
    const since = out.rollout.canarySince!;
    // Healthy at 3 s, traffic set then, seen in place at 4 s.
    expect(since).toBe(4_000);
    const ats = out.rollout.analysis!.measurements.map((m) => m.at);
    expect(ats).toEqual([...new Set(ats)]);
    expect(ats.every((at) => at - config.intervalMs >= since)).toBe(true);
    expect(ats[0]).toBe(6_000);
  });

  it('a step with analysis advances only after a window at its weight passed, never on thin traffic alone', () => {
    const config = analysisConfig({ inconclusiveLimit: 100 });
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: 1_000 }], analysis: config }), fake, {
      measure: measurer(config, (at) => (at < 20_000 ? 'thin' : 'good')),
    });
    expect(out.rollout.state).toBe('promoted');
    expect(firstAt(out.ticks, (t) => t.rollout.step === 1).now).toBe(20_000);
  });

  it('pauses after inconclusiveLimit thin windows; resume gives it another streak, then it passes and promotes', () => {
    const config = analysisConfig({ inconclusiveLimit: 3 });
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: 1_000 }], analysis: config }), fake, {
      measure: measurer(config, (at) => (at < 14_000 ? 'thin' : 'good')),
      commands: { 12000: { type: 'resume' } },
    });
    expect(out.rollout.state).toBe('promoted');
    expect(transitions(out.ticks)).toEqual([
      'progressing 0',
      'paused',
      'progressing 0',
      'progressing 1',
      'promoted',
    ]);
    const paused = firstAt(out.ticks, (t) => t.rollout.state === 'paused');
    // Canary in traffic at 1 s; windows ending at 4, 6 and 8 s are the three thin ones.
    expect(paused.now).toBe(8_000);
    expect(paused.rollout.pausedReason).toBe(
      'too little traffic for analysis (3 inconclusive windows); tandem promote or tandem abort',
    );
    // Paused, the canary keeps its 20% (a paused rollout holds its step).
    for (const t of out.ticks.filter((t) => t.rollout.state === 'paused'))
      expect(t.weights).toEqual({ v1: 80, v2: 20 });
    // The thin window at 12 s after the resume does not pause it again at once.
    expect(out.ticks.filter((t) => t.now > 12_000).every((t) => t.rollout.state !== 'paused')).toBe(true);
    expect(firstAt(out.ticks, (t) => t.rollout.step === 1).now).toBe(14_000);
  });

  it('promote from an inconclusive pause advances without a passing window', () => {
    const config = analysisConfig({ inconclusiveLimit: 2 });
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(
      rollout({
        steps: [
          { weight: 20, pauseMs: 1_000 },
          { weight: 40, pauseMs: 1_000 },
        ],
        analysis: config,
      }),
      fake,
      {
        measure: measurer(config, () => 'thin'),
        commands: { 10000: { type: 'promote' } },
        stopWhen: (r) => r.step === 1 || r.state === 'promoted',
      },
    );
    expect(firstAt(out.ticks, (t) => t.rollout.state === 'paused').now).toBe(6_000);
    expect(out.last).toMatchObject({ now: 10_000, rollout: { state: 'progressing', step: 1 } });
  });

  it('a failing window aborts a paused rollout too (its canary still serves)', () => {
    const config = analysisConfig();
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: null }], analysis: config }), fake, {
      measure: measurer(config, (at) => (at >= 10_000 ? 'bad' : 'good')),
    });
    expect(transitions(out.ticks)).toEqual(['progressing 0', 'paused', 'aborted', 'rolled-back']);
    expect(firstAt(out.ticks, (t) => t.rollout.state === 'aborted').now).toBe(10_000);
    expect(out.rollout.reason).toMatch(/^analysis failed: error rate 31.0%/);
  });
});

describe('canary: paused and manual abort', () => {
  it('a paused canary keeps traffic healthy: a canary instance turning unhealthy leaves traffic', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1, sickAfter: 6 } }).seed('v1', 4);
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: null }] }), fake, {
      maxTicks: 15,
      stopWhen: () => false,
    });
    expect(out.rollout.state).toBe('paused');
    expect(out.last.inTraffic.every((id) => id.startsWith('v1'))).toBe(true);
    expect(out.last.weights).toEqual({ v1: 100 });
  });

  it('a crash-looping canary aborts a paused rollout', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 4);
    fake.tick = ((orig) =>
      function (this: FakeRuntime) {
        orig.call(this);
        if (this.instances.some((i) => i.revision === 'v2' && i.state === 'running' && i.healthyAge >= 5))
          for (const i of this.instances)
            if (i.revision === 'v2')
              Object.assign(i, { state: 'crashlooping', healthy: false, inTraffic: i.inTraffic });
      })(fake.tick);
    // The data plane keeps listing it until told otherwise; decide must take it out first.
    const out = drive(rollout({ steps: [{ weight: 20, pauseMs: null }] }), fake, { maxTicks: 40 }).rollout;
    expect(out.state).toBe('rolled-back');
    expect(out.reason).toMatch(/crashlooping/);
  });

  const abortable = drive(
    rollout(THREE_STEPS),
    new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4),
  ).ticks;
  it.each(abortable.map((t) => [t.now, `${t.rollout.state} ${t.rollout.step}`] as const))(
    'tandem abort at %i ms (%s) rolls back to stable, traffic first',
    (at) => {
      const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4);
      const out = drive(rollout(THREE_STEPS), fake, {
        commands: { [at]: { type: 'abort', reason: 'latency looks off' } },
      });
      if (out.errors.length > 0) {
        // Too late: it was promoted already.
        expect(out.errors[0]).toMatch(/already promoted/);
        expect(out.rollout.state).toBe('promoted');
        return;
      }
      expect(out.rollout.state).toBe('rolled-back');
      expect(out.rollout.reason).toBe('aborted by operator: latency looks off');
      expect(fake.live('v2')).toHaveLength(0);
      expect(fake.live('v1')).toHaveLength(4);
      expect(fake.inTraffic().every((i) => i.revision === 'v1')).toBe(true);
      expect(fake.weights).toEqual({ v1: 100 });
      const first = firstAt(out.ticks, (t) => t.now === at);
      const canaryServed = first.before.instances.some((i) => i.revision === 'v2' && i.inTraffic);
      const stableFull =
        first.before.instances.filter((i) => i.revision === 'v1' && i.state === 'running').length === 4;
      // While stable is at full strength (every step), all traffic is back on it in ONE update, first.
      if (stableFull) {
        const traffic = setTraffic(out.ticks.filter((t) => t.now >= at));
        expect(traffic).toHaveLength(canaryServed ? 1 : 0);
        if (canaryServed)
          expect(first.actions[0]).toEqual({
            type: 'set-traffic',
            weights: { v1: 100 },
            instances: ['v1-1', 'v1-2', 'v1-3', 'v1-4'],
          });
      }
    },
  );

  it('an abort while converging keeps capacity: canary instances serve until stable has half its replicas back', () => {
    const strategy = { steps: [{ weight: 50, pauseMs: 1_000 }] };
    const world = () => new FakeRuntime({ v1: { healthyAfter: 3 }, v2: { healthyAfter: 1 } }).seed('v1', 4);
    const reference = world();
    const ref = drive(rollout(strategy), reference);
    expect(ref.rollout.state).toBe('promoted');
    // Abort on the last reconcile before promotion: stable is draining, the canary serves alone.
    const at = ref.last.now - TICK;
    expect(ref.ticks.find((t) => t.now === at)!.inTraffic.every((id) => id.startsWith('v2'))).toBe(true);
    const fake = world();
    const out = drive(rollout(strategy), fake, { commands: { [at]: { type: 'abort' } } });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toBe('aborted by operator');
    for (const t of out.ticks.filter((t) => t.now >= at)) {
      const stableReady = t.before.instances.filter((i) => i.revision === 'v1' && i.healthy).length;
      // Below half of the replicas, the canary keeps serving; from half on, stable takes it all back at once.
      if (stableReady < 2)
        expect(
          t.inTraffic.filter((id) => id.startsWith('v2')),
          `at ${t.now}`,
        ).toHaveLength(4);
      else
        expect(
          t.inTraffic.every((id) => id.startsWith('v1')),
          `at ${t.now}`,
        ).toBe(true);
    }
    expect(setTraffic(out.ticks.filter((t) => t.now >= at))[0]).toMatchObject({ weights: { v1: 100 } });
    expect(fake.live('v1')).toHaveLength(4);
    expect(fake.live('v2')).toHaveLength(0);
  });
});

describe('canary: the control plane dies after persisting a step, before acting, at every step', () => {
  const config = analysisConfig();
  const scenarios = {
    'healthy canary with analysis, promoted': () => ({
      start: rollout({ ...THREE_STEPS, analysis: config }),
      fake: new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4),
      opts: { measure: measurer(config, () => 'good') } as DriveOptions,
    }),
    'bad canary, rolled back by the analysis': () => ({
      start: rollout({ ...THREE_STEPS, analysis: config }),
      fake: new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4),
      opts: { measure: measurer(config, (at) => (at >= 12_000 ? 'bad' : 'good')) } as DriveOptions,
    }),
    'a step waiting for tandem promote': () => ({
      start: rollout({
        steps: [{ weight: 25 }, { weight: 50, pauseMs: null }, { weight: 75, pauseMs: 2_000 }],
      }),
      fake: new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4),
      opts: { commands: { 15000: { type: 'promote' } } } as DriveOptions,
    }),
    'an operator abort': () => ({
      start: rollout(THREE_STEPS),
      fake: new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 4),
      opts: { commands: { 9000: { type: 'abort' } } } as DriveOptions,
    }),
  };
  for (const [name, make] of Object.entries(scenarios)) {
    const ref = make();
    const reference = drive(ref.start, ref.fake, ref.opts);
    const ticks = reference.ticks.length;
    it.each(Array.from({ length: ticks }, (_, k) => [k, reference.ticks[k]!.now] as const))(
      `${name}: crash at tick %i (%i ms) then continue`,
      (k) => {
        for (const downTicks of [0, 3]) {
          const run = make();
          const out = drive(run.start, run.fake, { ...run.opts, crashAt: k, downTicks });
          expect(out.rollout.state).toBe(reference.rollout.state);
          expect(out.rollout.reason).toBe(reference.rollout.reason);
          // No double start: never more canary instances than the furthest step reached runs.
          const furthest = Math.max(...out.ticks.map((t) => t.rollout.step));
          const steps = (run.start.strategy as CanaryStrategy).steps;
          const most = furthest >= steps.length ? 4 : canaryCount(4, steps[furthest]!.weight);
          expect(run.fake.started.v2 ?? 0).toBeLessThanOrEqual(most);
          expect(run.fake.started.v1).toBeUndefined();
          if (out.rollout.state === 'promoted') expect(run.fake.started).toEqual(ref.fake.started);
          expect(run.fake.live('v1')).toHaveLength(ref.fake.live('v1').length);
          expect(run.fake.live('v2')).toHaveLength(ref.fake.live('v2').length);
          expect(run.fake.weights).toEqual(ref.fake.weights);
        }
      },
    );
  }
});

describe('canary: validation', () => {
  const invalid: Array<[string, Omit<CanaryStrategy, 'name'>, Partial<Rollout>, RegExp]> = [
    ['no steps', { steps: [] }, {}, /at least one step/],
    [
      'weight 0',
      { steps: [{ weight: 0 }] },
      {},
      /step 1: weight must be a whole percentage from 1 to 100, got 0/,
    ],
    ['weight above 100', { steps: [{ weight: 10 }, { weight: 101 }] }, {}, /step 2: .* got 101/],
    ['fractional weight', { steps: [{ weight: 12.5 }] }, {}, /whole percentage/],
    [
      'weights not increasing',
      { steps: [{ weight: 50 }, { weight: 50 }] },
      {},
      /step 2: weights must increase .* 50 after 50/,
    ],
    ['negative pause', { steps: [{ weight: 10, pauseMs: -1 }] }, {}, /pause must be a duration ≥ 0/],
    ['no replicas', { steps: [{ weight: 10 }] }, { replicas: 0 }, /at least 1 replica/],
    ['bad deadline', { steps: [{ weight: 10 }], progressDeadlineMs: 0 }, {}, /progressDeadline must be > 0/],
    [
      'bad analysis',
      { steps: [{ weight: 10 }], analysis: { ...analysisConfig(), intervalMs: 500 } },
      {},
      /^analysis: interval must be at least 1s/,
    ],
  ];
  it.each(invalid)('%s: aborts before starting anything', (_name, strategy, extra, message) => {
    // (With 0 replicas there is no stable to keep either.)
    const fake = new FakeRuntime({}).seed('v1', extra.replicas ?? 4);
    const d = decide(rollout(strategy, extra), fake.observe(0));
    expect(d.rollout.reason).toMatch(message);
    expect(d.actions.filter((a) => a.type === 'start' || a.type === 'set-traffic')).toEqual([]);
    expect(d.actions.filter((a) => a.type === 'fail')).toEqual([{ type: 'fail', reason: d.rollout.reason }]);
    expect(d.rollout.state).toBe('rolled-back');
  });

  it('accepts pauses of 0, none and null, and a last step at 100', () => {
    const fake = new FakeRuntime({}).seed('v1', 4);
    const steps = [{ weight: 1, pauseMs: 0 }, { weight: 2 }, { weight: 3, pauseMs: null }, { weight: 100 }];
    expect(decide(rollout({ steps }), fake.observe(0)).rollout.state).toBe('progressing');
  });
});

describe('canary: a service without a listener (worker)', () => {
  it('runs the steps’ instance counts, including a 100% step, and promotes', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }, { routed: false }).seed('v1', 4);
    const out = drive(rollout(THREE_STEPS), fake);
    expect(out.rollout.state).toBe('promoted');
    expect(transitions(out.ticks)).toEqual([
      'progressing 0',
      'progressing 1',
      'progressing 2',
      'progressing 3',
      'promoted',
    ]);
    for (const t of out.ticks)
      if (t.rollout.state === 'progressing' && t.rollout.step < 3) expect(t.live.v1).toBe(4);
    expect(fake.started).toEqual({ v2: 4 });
    expect(fake.live('v1')).toHaveLength(0);
  });
});

describe('canary: a 100% step with analysis', () => {
  const steps = [
    { weight: 50, pauseMs: 1_000 },
    { weight: 100, pauseMs: 6_000 },
  ];
  const world = () => new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 2);

  it('needs no passing window there: stable gets no traffic to compare with', () => {
    // Only a relative gate: a window with no stable traffic is inconclusive.
    const config = analysisConfig({ errorRate: { maxIncrease: 0.01 }, inconclusiveLimit: 100 });
    const ref = drive(rollout({ steps, analysis: config }, { replicas: 2 }), world(), {
      measure: measurer(config, () => 'good'),
    });
    const at100 = firstAt(
      ref.ticks,
      (t) => t.rollout.step === 1 && t.rollout.weightReachedAt !== undefined,
    ).now;
    const out = drive(rollout({ steps, analysis: config }, { replicas: 2 }), world(), {
      measure: measurer(
        config,
        () => 'good',
        (end) => (end - config.intervalMs >= at100 ? 0 : 900),
      ),
    });
    expect(out.rollout.state).toBe('promoted');
    const last100 = out.rollout.analysis!.measurements.filter((m) => m.at - m.windowMs >= at100);
    expect(last100.length).toBeGreaterThan(0);
    expect(last100.every((m) => m.verdict === 'inconclusive')).toBe(true);
    expect(firstAt(out.ticks, (t) => t.rollout.step === 2).now).toBe(at100 + 6_000);
  });

  it('a failing window at 100% still aborts, and stable, kept warm, takes all traffic back at once', () => {
    const config = analysisConfig();
    const ref = drive(rollout({ steps, analysis: config }, { replicas: 2 }), world(), {
      measure: measurer(config, () => 'good'),
    });
    expect(ref.rollout.state).toBe('promoted');
    const at100 = firstAt(
      ref.ticks,
      (t) => t.rollout.step === 1 && t.rollout.weightReachedAt !== undefined,
    ).now;
    const out = drive(rollout({ steps, analysis: config }, { replicas: 2 }), world(), {
      measure: measurer(config, (end) => (end - config.intervalMs >= at100 ? 'bad' : 'good')),
    });
    expect(out.rollout.state).toBe('rolled-back');
    const aborted = firstAt(out.ticks, (t) => t.rollout.state === 'aborted');
    expect(aborted.before.weights).toEqual({ v2: 100 });
    expect(aborted.actions[0]).toEqual({
      type: 'set-traffic',
      weights: { v1: 100 },
      instances: ['v1-1', 'v1-2'],
    });
  });
});
