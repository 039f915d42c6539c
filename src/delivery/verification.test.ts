import { describe, expect, it } from 'vitest';
import { resolveAnalysis } from './analysis/config.js';
import { FakeRevisionTraffic } from './analysis/fake-traffic.js';
import { evaluate } from './analysis/gates.js';
import type { AnalysisConfig, Measurement, RevisionCounters } from './analysis/types.js';
import { windowStats } from './analysis/window.js';
import { command } from './commands.js';
import { FakeRuntime } from './fake-runtime.js';
import { decide } from './rollout.js';
import type {
  Action,
  BlueGreenStrategy,
  Observed,
  RollingStrategy,
  Rollout,
  RuntimeAction,
  StrategyConfig,
} from './types.js';
import { TERMINAL_STATES } from './types.js';

const TICK = 1_000;
const REVISIONS = ['v1', 'v2'] as const;

function rollout(strategy: StrategyConfig, extra: Partial<Rollout> = {}): Rollout {
  return {
    id: 'ro-1',
    service: 'web',
    strategy,
    from: 'v1',
    to: 'v2',
    replicas: 3,
    state: 'pending',
    step: 0,
    startedAt: 0,
    stepStartedAt: 0,
    updatedAt: 0,
    ...extra,
  };
}

const gates = (extra: Partial<AnalysisConfig> = {}): AnalysisConfig => {
  const resolved = resolveAnalysis({
    intervalMs: 2_000,
    minRequests: 20,
    errorRate: { max: 0.01, maxIncrease: 0.005 },
    ...extra,
  });
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  return resolved.config;
};

const rolling = (extra: Partial<RollingStrategy> = {}): RollingStrategy => ({
  name: 'rolling',
  maxSurge: 1,
  maxUnavailable: 0,
  verifyMs: 10_000,
  analysis: gates(),
  ...extra,
});

const blueGreen = (extra: Partial<BlueGreenStrategy> = {}): BlueGreenStrategy => ({
  name: 'blue-green',
  scaleDownDelayMs: 10_000,
  analysis: gates(),
  ...extra,
});

const runtimeActions = (actions: Action[]): RuntimeAction[] =>
  actions.filter((a): a is RuntimeAction => a.type !== 'fail' && a.type !== 'complete');

/**
 * The data plane's load and the control plane's sampler: each tick `perTick` requests are split
 * by the data plane's weights; v2 answers `errorRate` of them with 5xx. Every interval the
 * window of v2 is judged against v1's by the real gates, as the control plane does.
 */
class Load {
  private readonly traffic = { v1: new FakeRevisionTraffic(), v2: new FakeRevisionTraffic() };
  private last: { at: number; counters: Record<string, RevisionCounters> } | undefined;
  private latest: Measurement | undefined;

  constructor(
    private readonly config: AnalysisConfig,
    private readonly errorRate: (now: number) => number,
    private readonly perTick = 100,
  ) {}

  serve(fake: FakeRuntime, now: number): void {
    for (const revision of REVISIONS) {
      const serving = fake.inTraffic().some((i) => i.revision === revision);
      const count = serving ? Math.round((this.perTick * (fake.weights[revision] ?? 0)) / 100) : 0;
      const bad = revision === 'v2' ? Math.round(count * this.errorRate(now)) : 0;
      this.traffic[revision].answer(count - bad, 10);
      if (bad > 0) this.traffic[revision].answer(bad, 10, '5xx');
    }
  }

  measure(now: number): Measurement | undefined {
    const counters = { v1: this.traffic.v1.counters(), v2: this.traffic.v2.counters() };
    if (this.last === undefined) this.last = { at: now, counters };
    else if (now - this.last.at >= this.config.intervalMs) {
      const before = this.last;
      this.last = { at: now, counters };
      this.latest = evaluate(
        this.config,
        windowStats(before.counters.v2, counters.v2),
        windowStats(before.counters.v1, counters.v1),
        now,
        now - before.at,
      );
    }
    return this.latest;
  }
}

interface Tick {
  now: number;
  rollout: Rollout;
  actions: Action[];
  weights: Record<string, number>;
}

interface DriveOptions {
  load?: Load;
  /** The control plane dies at this tick after persisting the record, before acting... */
  crashAt?: number;
  /** ...and comes back this many ticks later. */
  downTicks?: number;
  /** Operator commands applied to the stored record before the reconcile at that time. */
  commands?: Record<number, Parameters<typeof command>[1]>;
  maxTicks?: number;
}

/**
 * decide() against the fake runtime and clock. After every step: the same inputs give the same
 * decision, the stored record gives the same runtime actions (a crash between persisting and
 * acting), the record survives JSON, and traffic never points at no healthy instance.
 */
function drive(start: Rollout, fake: FakeRuntime, o: DriveOptions = {}) {
  let r = start;
  let now = 0;
  const ticks: Tick[] = [];
  for (let k = 0; k < (o.maxTicks ?? 200); k++) {
    const cmd = o.commands?.[now];
    if (cmd !== undefined) {
      const res = command(r, cmd, now);
      if ('error' in res) throw new Error(res.error);
      r = res.rollout;
    }
    const m = o.load?.measure(now);
    const before: Observed = fake.observe(now, m ? { measurement: m } : {});
    const d = decide(r, before);
    expect(decide(r, before)).toEqual(d);
    const again = decide(d.rollout, before);
    expect(runtimeActions(again.actions), `re-decide at ${now}`).toEqual(runtimeActions(d.actions));
    r = JSON.parse(JSON.stringify(d.rollout));
    const crashed = k === o.crashAt;
    if (!crashed) fake.apply(d.actions, now);
    expect(fake.trafficProblem(), `at ${now}`).toBeUndefined();
    ticks.push({ now, rollout: r, actions: d.actions, weights: { ...fake.weights } });
    if (TERMINAL_STATES.has(r.state)) break;
    for (let t = 0; t < (crashed ? 1 + (o.downTicks ?? 0) : 1); t++) {
      o.load?.serve(fake, now);
      fake.tick();
      now += TICK;
    }
  }
  return { rollout: r, ticks };
}

const firstAt = (ticks: Tick[], pred: (t: Tick) => boolean) => ticks.find(pred)!;
const setTraffic = (actions: Action[]) =>
  actions.filter((a): a is Extract<Action, { type: 'set-traffic' }> => a.type === 'set-traffic');
const states = (ticks: Tick[]) => {
  const out: string[] = [];
  for (const t of ticks) if (out.at(-1) !== t.rollout.state) out.push(t.rollout.state);
  return out;
};

describe('rolling with verify (fake runtime, fake clock)', () => {
  it('stays progressing for verifyMs after converging, judging windows by the absolute gates, then promotes', () => {
    const config = gates();
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3);
    const out = drive(rollout(rolling()), fake, { load: new Load(config, () => 0) });
    expect(out.rollout.state).toBe('promoted');
    const since = out.rollout.verifySince!;
    // Converged (v2 alone) when verification began; promoted exactly verifyMs later.
    const converged = firstAt(out.ticks, (t) => t.rollout.verifySince !== undefined);
    expect(converged.now).toBe(since);
    expect(converged.rollout.state).toBe('progressing');
    expect(fake.live('v1')).toHaveLength(0);
    expect(out.ticks.at(-1)!.now - since).toBe(10_000);
    // Only windows measured entirely after the convergence; they pass on the absolute gate,
    // the relative one skipped (v1 no longer gets traffic).
    const measurements = out.rollout.analysis!.measurements;
    expect(measurements.length).toBeGreaterThanOrEqual(4);
    for (const m of measurements) {
      expect(m.at - m.windowMs).toBeGreaterThanOrEqual(since);
      expect(m.verdict).toBe('pass');
      expect(m.reasons.join('\n')).toMatch(/relative gates skipped: stable got 0 of the 20/);
    }
    expect(out.ticks.flatMap((t) => t.actions).filter((a) => a.type === 'complete')).toHaveLength(1);
    // Verifying sends nothing to the runtime.
    for (const t of out.ticks.filter((t) => t.now > since)) expect(runtimeActions(t.actions)).toEqual([]);
  });

  it('a failed window aborts; the rollback re-deploys the old release, health-gated, traffic never on nothing', () => {
    const config = gates();
    const fake = new FakeRuntime({ v1: { healthyAfter: 2 }, v2: { healthyAfter: 1 } }).seed('v1', 3);
    const out = drive(rollout(rolling()), fake, { load: new Load(config, () => 0.3) });
    expect(out.rollout.state).toBe('rolled-back');
    expect(states(out.ticks)).toEqual(['progressing', 'aborted', 'rolled-back']);
    const since = out.rollout.verifySince!;
    const aborted = firstAt(out.ticks, (t) => t.rollout.state === 'aborted');
    // The bad windows while v2 shared traffic with v1 did not count: the first window after it converged did.
    expect(aborted.now).toBeGreaterThanOrEqual(since + config.intervalMs);
    expect(aborted.now).toBeLessThanOrEqual(since + 2 * config.intervalMs);
    expect(out.rollout.reason).toMatch(/^verification failed: error rate 30\.0% > max 1\.0%/);
    expect(aborted.actions).toContainEqual({ type: 'fail', reason: out.rollout.reason });
    // A re-deploy of v1: three new instances, v2 serving until they are healthy, then gone.
    expect(fake.started.v1).toBe(3);
    expect(fake.live('v1').every((i) => i.state === 'running' && i.healthy)).toBe(true);
    expect(fake.live('v1')).toHaveLength(3);
    expect(fake.live('v2')).toHaveLength(0);
    expect(fake.inTraffic().map((i) => i.revision)).toEqual(['v1', 'v1', 'v1']);
    for (const t of out.ticks.filter((t) => t.now >= aborted.now))
      expect(Object.values(t.weights).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('too little traffic never pauses a rollout that already cut over: inconclusive windows are kept, then it promotes', () => {
    const config = gates();
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3);
    const out = drive(rollout(rolling()), fake, { load: new Load(config, () => 0.3, 3) });
    expect(out.rollout.state).toBe('promoted');
    expect(states(out.ticks)).toEqual(['progressing', 'promoted']);
    const { analysis } = out.rollout;
    expect(analysis!.measurements.length).toBeGreaterThan(config.inconclusiveLimit);
    expect(analysis!.measurements.every((m) => m.verdict === 'inconclusive')).toBe(true);
    expect(analysis!.inconclusive).toBeGreaterThan(config.inconclusiveLimit);
  });

  it('with only relative gates every window is inconclusive (no stable traffic to compare with)', () => {
    const config = gates({ errorRate: { maxIncrease: 0.005 } });
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3);
    const out = drive(rollout(rolling({ analysis: config })), fake, { load: new Load(config, () => 0.3) });
    expect(out.rollout.state).toBe('promoted');
    const measurements = out.rollout.analysis!.measurements;
    expect(measurements.length).toBeGreaterThan(0);
    for (const m of measurements) {
      expect(m.verdict).toBe('inconclusive');
      expect(m.reasons).toEqual(['relative gates skipped: stable got 0 of the 20 requests needed']);
    }
  });

  it('a new instance lost while verifying must be back within the progress deadline, else it fails', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1, sickAfter: 6 } }).seed('v1', 2);
    const strategy = rolling({ verifyMs: 60_000, progressDeadlineMs: 5_000, analysis: undefined });
    const out = drive(rollout(strategy, { replicas: 2 }), fake);
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.verifySince).toBeDefined();
    expect(out.rollout.reason).toMatch(/^no progress for 5000 ms: [01] of 2 new instances healthy$/);
    const aborted = firstAt(out.ticks, (t) => t.rollout.state === 'aborted');
    const lost = firstAt(out.ticks, (t) => t.rollout.verifySince !== undefined && t.rollout.step < 2);
    // The deadline counted from the loss, not from the last progress before verifying.
    expect(aborted.now - lost.now).toBe(6_000);
  });

  it('survives a crash (actions dropped) at any tick of the verification, promoting or rolling back as without one', () => {
    const config = gates();
    for (const bad of [false, true]) {
      const plain = drive(rollout(rolling()), new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3), {
        load: new Load(config, () => (bad ? 0.3 : 0)),
      });
      const first = plain.ticks.findIndex((t) => t.rollout.verifySince !== undefined);
      const last = plain.ticks.findIndex(
        (t) => t.rollout.state === 'aborted' || t.rollout.state === 'promoted',
      );
      for (let k = first - 1; k <= last + 1; k++) {
        const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3);
        const out = drive(rollout(rolling()), fake, {
          load: new Load(config, () => (bad ? 0.3 : 0)),
          crashAt: k,
          downTicks: 2,
        });
        expect(out.rollout.state, `crash at tick ${k}`).toBe(bad ? 'rolled-back' : 'promoted');
        const expected = bad ? 'v1' : 'v2';
        expect(fake.inTraffic().map((i) => i.revision)).toEqual([expected, expected, expected]);
        expect(fake.live(bad ? 'v2' : 'v1')).toHaveLength(0);
        if (!bad) expect(out.ticks.at(-1)!.now - out.rollout.verifySince!).toBeGreaterThanOrEqual(10_000);
        else expect(out.rollout.reason).toMatch(/^verification failed:/);
      }
    }
  });

  it('resuming a rollout paused while verifying starts the verification over', () => {
    const config = gates();
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3);
    const plain = drive(rollout(rolling()), new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3), {
      load: new Load(config, () => 0),
    });
    const since = plain.rollout.verifySince!;
    const out = drive(rollout(rolling()), fake, {
      load: new Load(config, () => 0),
      commands: { [since + 3_000]: { type: 'pause' }, [since + 20_000]: { type: 'resume' } },
    });
    expect(out.rollout.state).toBe('promoted');
    expect(out.rollout.verifySince).toBe(since + 20_000);
    expect(out.ticks.at(-1)!.now).toBe(since + 30_000);
  });
});

describe('rolling without verify: unchanged', () => {
  it('promotes as soon as it converged, ignoring any measurement', () => {
    const config = gates();
    const strategy: RollingStrategy = { name: 'rolling', maxSurge: 1, maxUnavailable: 0 };
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 3);
    const out = drive(rollout(strategy), fake, { load: new Load(config, () => 0.3) });
    expect(out.rollout.state).toBe('promoted');
    expect(out.rollout.analysis).toBeUndefined();
    expect(out.rollout.verifySince).toBeUndefined();
    expect(out.ticks.every((t) => t.rollout.verifySince === undefined)).toBe(true);
    // Promoted on the tick where v1 was seen gone.
    const done = out.ticks.at(-1)!;
    expect(fake.live('v1')).toHaveLength(0);
    expect(runtimeActions(done.actions)).toEqual([]);
    expect(out.ticks.at(-2)!.actions.some((a) => a.type === 'drain-and-stop')).toBe(true);
  });
});

describe('blue-green with analysis (fake runtime, fake clock)', () => {
  it('a failed window in the bake window sends all traffic back to the warm old instances in one set-traffic', () => {
    const config = gates();
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 2);
    const old = fake.instances.map((i) => i.id);
    const out = drive(rollout(blueGreen(), { replicas: 2 }), fake, { load: new Load(config, () => 0.3) });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/^verification failed: error rate 30\.0% > max 1\.0%/);
    const cutover = firstAt(out.ticks, (t) => t.rollout.step === 1);
    const aborted = firstAt(out.ticks, (t) => t.rollout.state === 'aborted');
    expect(aborted.now - cutover.now).toBeLessThan(10_000);
    // The way back: exactly one set-traffic, to the old instances, which were never stopped.
    const back = setTraffic(out.ticks.filter((t) => t.now >= aborted.now).flatMap((t) => t.actions));
    expect(back).toEqual([{ type: 'set-traffic', weights: { v1: 100 }, instances: old }]);
    expect(aborted.actions[0]).toEqual(back[0]);
    expect(fake.started.v1).toBeUndefined();
    expect(fake.live('v1').map((i) => i.id)).toEqual(old);
    // The new instances drain and stop.
    expect(fake.live('v2')).toHaveLength(0);
    expect(fake.inTraffic().every((i) => i.revision === 'v1')).toBe(true);
    expect(out.ticks.flatMap((t) => t.actions).filter((a) => a.type === 'drain-and-stop')).toEqual([
      {
        type: 'drain-and-stop',
        instanceIds: fake.instances.filter((i) => i.revision === 'v2').map((i) => i.id),
      },
    ]);
  });

  it('a good release is analysed through the bake window and promoted when the old instances are gone', () => {
    const config = gates();
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 2);
    const out = drive(rollout(blueGreen(), { replicas: 2 }), fake, { load: new Load(config, () => 0) });
    expect(out.rollout.state).toBe('promoted');
    const cutover = firstAt(out.ticks, (t) => t.rollout.step === 1);
    const since = out.rollout.verifySince!;
    expect(since).toBe(cutover.now + TICK);
    const measurements = out.rollout.analysis!.measurements;
    expect(measurements.length).toBeGreaterThanOrEqual(3);
    expect(measurements.every((m) => m.verdict === 'pass' && m.at - m.windowMs >= since)).toBe(true);
    // As without analysis: the old instances go after scaleDownDelay, then it is promoted.
    const drained = firstAt(out.ticks, (t) =>
      t.actions.some((a) => a.type === 'drain-and-stop' && a.instanceIds.some((id) => id.startsWith('v1'))),
    );
    expect(drained.now - cutover.now).toBe(10_000);
  });

  it('verify longer than the bake: promoted only after verify; a failure then re-deploys the old release', () => {
    const config = gates();
    const good = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 2);
    const ok = drive(rollout(blueGreen({ verifyMs: 20_000 }), { replicas: 2 }), good, {
      load: new Load(config, () => 0),
    });
    expect(ok.rollout.state).toBe('promoted');
    expect(ok.ticks.at(-1)!.now - ok.rollout.verifySince!).toBe(20_000);

    // Bad only once the old instances are gone: the way back starts v1 again, health-gated.
    const fake = new FakeRuntime({ v1: { healthyAfter: 2 }, v2: { healthyAfter: 2 } }).seed('v1', 2);
    const out = drive(rollout(blueGreen({ verifyMs: 30_000 }), { replicas: 2 }), fake, {
      load: new Load(config, (now) => (now >= 20_000 ? 0.3 : 0)),
    });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/^verification failed:/);
    expect(fake.started.v1).toBe(2);
    expect(fake.inTraffic().map((i) => i.revision)).toEqual(['v1', 'v1']);
    expect(fake.live('v2')).toHaveLength(0);
  });

  it('crash at the abort (actions dropped): the rollback still goes back to the warm old instances', () => {
    const config = gates();
    const plain = drive(
      rollout(blueGreen(), { replicas: 2 }),
      new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 2),
      { load: new Load(config, () => 0.3) },
    );
    const abortTick = plain.ticks.findIndex((t) => t.rollout.state === 'aborted');
    for (const k of [abortTick - 1, abortTick, abortTick + 1]) {
      const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 2);
      const old = fake.instances.map((i) => i.id);
      const out = drive(rollout(blueGreen(), { replicas: 2 }), fake, {
        load: new Load(config, () => 0.3),
        crashAt: k,
        downTicks: 1,
      });
      expect(out.rollout.state, `crash at tick ${k}`).toBe('rolled-back');
      expect(fake.started.v1).toBeUndefined();
      expect(fake.inTraffic().map((i) => i.id)).toEqual(old);
    }
  });

  it('without analysis or verify: unchanged, measurements ignored', () => {
    const config = gates();
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 2);
    const strategy: BlueGreenStrategy = { name: 'blue-green', scaleDownDelayMs: 10_000 };
    const out = drive(rollout(strategy, { replicas: 2 }), fake, { load: new Load(config, () => 0.3) });
    expect(out.rollout.state).toBe('promoted');
    expect(out.rollout.analysis).toBeUndefined();
    expect(out.rollout.verifySince).toBeUndefined();
  });
});
