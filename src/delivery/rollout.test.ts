import { describe, expect, it } from 'vitest';
import { decide } from './rollout.js';
import type { Action, Observed, ObservedInstance, Rollout, RuntimeAction, StrategyConfig } from './types.js';
import { TERMINAL_STATES } from './types.js';
import { weightsFor } from './world.js';

const TICK = 1_000;

/** How instances of one revision behave in the fake runtime (ticks counted from their start). */
interface Behaviour {
  /** Becomes running and healthy after this many ticks; undefined = never. */
  healthyAfter?: number;
  /** Turns crashlooping after this many ticks (before it is healthy). */
  crashAfter?: number;
  /** Stops being healthy (still running) this many ticks after it became healthy. */
  sickAfter?: number;
}

interface FakeInstance extends ObservedInstance {
  age: number;
  healthyAge: number;
}

/** An in-memory fake runtime + data plane: applies actions and advances with a fake clock. */
class FakeRuntime {
  instances: FakeInstance[] = [];
  private seq = 0;
  constructor(
    private readonly behaviour: Record<string, Behaviour>,
    private readonly drainTicks = 2,
  ) {}

  seed(revision: string, count: number): this {
    for (let k = 0; k < count; k++)
      this.instances.push({
        id: `${revision}-${++this.seq}`,
        revision,
        state: 'running',
        healthy: true,
        inTraffic: true,
        startedAt: -100_000,
        age: 100,
        healthyAge: 0,
      });
    return this;
  }

  observe(now: number): Observed {
    return {
      now,
      instances: this.instances.map(({ age: _a, healthyAge: _h, ...i }) => ({ ...i })),
    };
  }

  apply(actions: Action[], now: number): void {
    for (const a of actions) {
      if (a.type === 'start')
        for (let k = 0; k < a.count; k++)
          this.instances.push({
            id: `${a.revision}-${++this.seq}`,
            revision: a.revision,
            state: 'starting',
            healthy: false,
            inTraffic: false,
            startedAt: now,
            age: 0,
            healthyAge: 0,
          });
      if (a.type === 'set-traffic') {
        const known = new Set(this.instances.map((i) => i.id));
        for (const id of a.instances) expect(known.has(id), `set-traffic to unknown ${id}`).toBe(true);
        for (const i of this.instances) i.inTraffic = a.instances.includes(i.id);
      }
      if (a.type === 'drain-and-stop')
        for (const i of this.instances)
          if (a.instanceIds.includes(i.id)) {
            expect(i.inTraffic, `drain-and-stop of ${i.id} while it is in traffic`).toBe(false);
            i.state = 'stopping';
            i.healthy = false;
            i.age = 0;
          }
    }
  }

  tick(): void {
    for (const i of this.instances) {
      i.age++;
      const b = this.behaviour[i.revision] ?? { healthyAfter: 1 };
      if (i.state === 'stopping' && i.age >= this.drainTicks) i.state = 'exited';
      if (i.state === 'starting' && b.crashAfter !== undefined && i.age >= b.crashAfter)
        i.state = 'crashlooping';
      if (i.state === 'starting' && b.healthyAfter !== undefined && i.age >= b.healthyAfter) {
        i.state = 'running';
        i.healthy = true;
        i.healthyAge = 0;
      } else if (i.state === 'running' && i.healthy) {
        i.healthyAge++;
        if (b.sickAfter !== undefined && i.healthyAge >= b.sickAfter) i.healthy = false;
      }
    }
  }
}

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

const runtimeActions = (actions: Action[]): RuntimeAction[] =>
  actions.filter((a): a is RuntimeAction => a.type !== 'fail' && a.type !== 'complete');

interface Step {
  now: number;
  before: Observed;
  after: Observed;
  rollout: Rollout;
  actions: Action[];
}

interface Limits {
  /** Healthy instances in traffic never below this (after every step's actions are applied). */
  minServing?: number;
  /** Instances that are not exited never above this. */
  maxInstances?: number;
}

/**
 * Drives decide() in a loop against the fake runtime and the fake clock, checking at every
 * step: traffic only to healthy instances, the limits, and that a crash between persisting the
 * returned record and acting gives the same runtime actions when decide() runs again.
 */
function simulate(start: Rollout, fake: FakeRuntime, limits: Limits = {}, maxSteps = 400) {
  let r = start;
  let now = 0;
  const steps: Step[] = [];
  for (let k = 0; k < maxSteps; k++) {
    const before = fake.observe(now);
    const d = decide(r, before);
    // Crash before persisting: the same inputs give the same decision.
    expect(decide(r, before)).toEqual(d);
    // Crash between persisting and acting: the stored record gives the same runtime actions.
    const again = decide(d.rollout, before);
    expect(runtimeActions(again.actions), `re-decide at ${now}`).toEqual(runtimeActions(d.actions));
    expect(again.rollout.state).toBe(d.rollout.state);
    r = d.rollout;
    fake.apply(d.actions, now);
    const after = fake.observe(now);
    for (const i of after.instances)
      if (i.inTraffic) expect(i.healthy, `${i.id} in traffic but not healthy at ${now}`).toBe(true);
    const serving = after.instances.filter((i) => i.inTraffic && i.healthy).length;
    const present = after.instances.filter((i) => i.state !== 'exited').length;
    if (limits.minServing !== undefined)
      expect(serving, `serving instances at ${now}`).toBeGreaterThanOrEqual(limits.minServing);
    if (limits.maxInstances !== undefined)
      expect(present, `instances at ${now}`).toBeLessThanOrEqual(limits.maxInstances);
    steps.push({ now, before, after, rollout: r, actions: d.actions });
    if (TERMINAL_STATES.has(r.state)) break;
    fake.tick();
    now += TICK;
  }
  const last = steps.at(-1)!;
  const live = (rev: string) =>
    last.after.instances.filter(
      (i) => i.revision === rev && (i.state === 'running' || i.state === 'starting'),
    );
  const inTraffic = last.after.instances.filter((i) => i.inTraffic);
  return { rollout: r, steps, last, live, inTraffic };
}

const allActions = (steps: Step[]) => steps.flatMap((s) => s.actions);

describe('decide: rolling (fake runtime, fake clock)', () => {
  it('replaces 3 replicas one at a time with the defaults (maxSurge 1, maxUnavailable 0)', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 3 } }).seed('v1', 3);
    const out = simulate(rollout({ name: 'rolling' }), fake, { minServing: 3, maxInstances: 4 });
    expect(out.rollout.state).toBe('promoted');
    expect(out.rollout.step).toBe(3);
    expect(out.live('v2')).toHaveLength(3);
    expect(out.live('v1')).toHaveLength(0);
    expect(out.inTraffic.map((i) => i.revision)).toEqual(['v2', 'v2', 'v2']);
    const acts = allActions(out.steps);
    expect(acts.filter((a) => a.type === 'complete')).toHaveLength(1);
    expect(acts.filter((a) => a.type === 'start').every((a) => a.type === 'start' && a.count === 1)).toBe(
      true,
    );
  });

  const table: Array<[replicas: number, maxSurge: number, maxUnavailable: number]> = [];
  for (const replicas of [1, 2, 3])
    for (const [s, u] of [
      [1, 0],
      [0, 1],
      [2, 0],
      [1, 1],
      [3, 2],
    ] as const)
      table.push([replicas, s, u]);

  it.each(table)(
    'replicas %i, maxSurge %i, maxUnavailable %i: promotes within the limits at every step',
    (replicas, maxSurge, maxUnavailable) => {
      const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }, 3).seed('v1', replicas);
      const out = simulate(rollout({ name: 'rolling', maxSurge, maxUnavailable }, { replicas }), fake, {
        minServing: replicas - maxUnavailable,
        maxInstances: replicas + maxSurge,
      });
      expect(out.rollout.state).toBe('promoted');
      expect(out.live('v2')).toHaveLength(replicas);
      expect(out.live('v1')).toHaveLength(0);
      expect(out.inTraffic.every((i) => i.revision === 'v2')).toBe(true);
      expect(out.inTraffic).toHaveLength(replicas);
    },
  );

  it('fails at the progress deadline when a new instance never gets healthy: old keeps serving, new is stopped', () => {
    const fake = new FakeRuntime({ v2: {} }).seed('v1', 3);
    const out = simulate(rollout({ name: 'rolling', progressDeadlineMs: 20_000 }), fake, {
      minServing: 3,
      maxInstances: 4,
    });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/no progress for 20000 ms: 0 of 3/);
    const failedAt = out.steps.find((s) => s.rollout.state === 'aborted')!;
    expect(failedAt.now).toBe(21_000);
    expect(failedAt.actions.filter((a) => a.type === 'fail')).toHaveLength(1);
    expect(allActions(out.steps).filter((a) => a.type === 'fail')).toHaveLength(1);
    for (const s of out.steps)
      expect(s.after.instances.filter((i) => i.inTraffic).every((i) => i.revision === 'v1')).toBe(true);
    expect(out.live('v2')).toHaveLength(0);
    expect(out.live('v1')).toHaveLength(3);
  });

  it('counts the deadline from the last progress, not from the start', () => {
    // Each new instance takes 15 s; the whole rollout takes longer than the 20 s deadline.
    const fake = new FakeRuntime({ v2: { healthyAfter: 15 } }).seed('v1', 3);
    const out = simulate(rollout({ name: 'rolling', progressDeadlineMs: 20_000 }), fake, { minServing: 3 });
    expect(out.rollout.state).toBe('promoted');
    expect(out.last.now).toBeGreaterThan(40_000);
  });

  it('fails early when a new instance is crashlooping, and rolls back', () => {
    const fake = new FakeRuntime({ v2: { crashAfter: 2 } }).seed('v1', 2);
    const out = simulate(rollout({ name: 'rolling' }, { replicas: 2 }), fake, {
      minServing: 2,
      maxInstances: 3,
    });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/crashlooping/);
    expect(out.steps.find((s) => s.rollout.state === 'aborted')!.now).toBeLessThan(5_000);
    expect(out.live('v2')).toHaveLength(0);
    expect(out.inTraffic.map((i) => i.revision)).toEqual(['v1', 'v1']);
  });

  it('rolls back by starting old instances again when the new ones fail half-way', () => {
    // The first new instance becomes healthy and takes an old one's place; the next ones crash.
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }, 1).seed('v1', 3);
    let r = rollout({ name: 'rolling' });
    let now = 0;
    while (r.step < 1) {
      const d = decide(r, fake.observe(now));
      r = d.rollout;
      fake.apply(d.actions, now);
      fake.tick();
      now += TICK;
    }
    const failing = new FakeRuntime({ v2: { crashAfter: 1 }, v1: { healthyAfter: 2 } }, 1);
    failing.instances = fake.instances;
    const out = simulate(r, failing, { minServing: 3, maxInstances: 4 });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.live('v1')).toHaveLength(3);
    expect(out.live('v2')).toHaveLength(0);
    expect(out.inTraffic.every((i) => i.revision === 'v1' && i.healthy)).toBe(true);
  });

  it('aborts at once on options that could never progress (maxSurge 0 and maxUnavailable 0)', () => {
    const fake = new FakeRuntime({}).seed('v1', 2);
    const out = simulate(rollout({ name: 'rolling', maxSurge: 0, maxUnavailable: 0 }, { replicas: 2 }), fake);
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/both 0/);
    expect(runtimeActions(allActions(out.steps))).toEqual([]);
  });
});

describe('decide: blue-green (fake runtime, fake clock)', () => {
  it('cuts over in one set-traffic when all are healthy and keeps the old warm for scaleDownDelay', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 4 } }).seed('v1', 3);
    const out = simulate(rollout({ name: 'blue-green', scaleDownDelayMs: 10_000 }), fake, { minServing: 3 });
    expect(out.rollout.state).toBe('promoted');
    const traffic = allActions(out.steps).filter((a) => a.type === 'set-traffic');
    expect(traffic).toHaveLength(1);
    expect(traffic[0]).toMatchObject({ weights: { v2: 100 } });
    const cut = out.steps.find((s) => s.actions.some((a) => a.type === 'set-traffic'))!;
    expect(cut.before.instances.filter((i) => i.inTraffic).every((i) => i.revision === 'v1')).toBe(true);
    expect(cut.after.instances.filter((i) => i.inTraffic).map((i) => i.revision)).toEqual(['v2', 'v2', 'v2']);
    expect(cut.rollout.step).toBe(1);
    expect(cut.rollout.stepStartedAt).toBe(cut.now);
    // Old instances stay running until the delay is over, then are drained together.
    for (const s of out.steps)
      if (s.now < cut.now + 10_000)
        expect(s.after.instances.filter((i) => i.revision === 'v1' && i.state === 'running')).toHaveLength(3);
    const drained = out.steps.find((s) => s.actions.some((a) => a.type === 'drain-and-stop'))!;
    expect(drained.now).toBe(cut.now + 10_000);
    expect(out.live('v1')).toHaveLength(0);
  });

  it('uses 30 s as the default scaleDownDelay', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 1 } }).seed('v1', 1);
    const out = simulate(rollout({ name: 'blue-green' }, { replicas: 1 }), fake, { minServing: 1 });
    const cut = out.steps.find((s) => s.actions.some((a) => a.type === 'set-traffic'))!;
    const drained = out.steps.find((s) => s.actions.some((a) => a.type === 'drain-and-stop'))!;
    expect(drained.now - cut.now).toBe(30_000);
  });

  it('fails at the progress deadline with the old release still serving and the new stopped', () => {
    // Two of three become healthy, one never does: traffic must never move.
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 3);
    fake.tick = ((orig) =>
      function (this: FakeRuntime) {
        orig.call(this);
        const laggard = this.instances.find((i) => i.revision === 'v2');
        if (laggard && (laggard.state === 'starting' || laggard.state === 'running')) {
          laggard.state = 'starting';
          laggard.healthy = false;
        }
      })(fake.tick);
    const out = simulate(rollout({ name: 'blue-green' }), fake, { minServing: 3 });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/2 of 3 new instances healthy after 120000 ms/);
    for (const s of out.steps)
      expect(s.after.instances.filter((i) => i.inTraffic).every((i) => i.revision === 'v1')).toBe(true);
    expect(out.live('v2')).toHaveLength(0);
    expect(out.live('v1')).toHaveLength(3);
  });

  it('rolls back instantly, in one set-traffic, when a new instance turns unhealthy during the warm period', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 2, sickAfter: 5 } }).seed('v1', 2);
    const out = simulate(rollout({ name: 'blue-green' }, { replicas: 2 }), fake, { minServing: 2 });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/after the cutover/);
    const traffic = allActions(out.steps).filter((a) => a.type === 'set-traffic');
    expect(traffic.map((a) => a.type === 'set-traffic' && a.weights)).toEqual([{ v2: 100 }, { v1: 100 }]);
    expect(out.live('v1')).toHaveLength(2);
    expect(out.live('v2')).toHaveLength(0);
  });

  it('fails early on a crashlooping new instance', () => {
    const fake = new FakeRuntime({ v2: { crashAfter: 1 } }).seed('v1', 2);
    const out = simulate(rollout({ name: 'blue-green' }, { replicas: 2 }), fake, { minServing: 2 });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.rollout.reason).toMatch(/crashlooping/);
    expect(out.live('v2')).toHaveLength(0);
  });
});

describe('decide: first deploy, crash recovery, states (fake runtime)', () => {
  it.each(['rolling', 'blue-green'] as const)(
    '%s with no previous revision just starts and completes',
    (name) => {
      const fake = new FakeRuntime({ v1: { healthyAfter: 2 } });
      const out = simulate(rollout({ name }, { from: null, to: 'v1', replicas: 2 }), fake);
      expect(out.rollout.state).toBe('promoted');
      expect(out.inTraffic.map((i) => i.revision)).toEqual(['v1', 'v1']);
      expect(allActions(out.steps)).toEqual([
        { type: 'start', revision: 'v1', count: 2 },
        { type: 'set-traffic', weights: { v1: 100 }, instances: ['v1-1', 'v1-2'] },
        { type: 'complete' },
      ]);
    },
  );

  it('a first deploy that fails stops what it started and leaves traffic empty', () => {
    const fake = new FakeRuntime({ v1: { crashAfter: 2 } });
    const out = simulate(rollout({ name: 'rolling' }, { from: null, to: 'v1', replicas: 2 }), fake);
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.live('v1')).toHaveLength(0);
    expect(out.inTraffic).toHaveLength(0);
  });

  it('crash between persist and act: the same actions come back, and a repeat never over-starts', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 3 } }).seed('v1', 3);
    // A surge of 3 so that only the starting instances, not the surge limit, prevent a second start.
    const first = decide(rollout({ name: 'rolling', maxSurge: 3 }), fake.observe(0));
    expect(first.actions).toEqual([{ type: 'start', revision: 'v2', count: 3 }]);
    // The record was persisted, the actions were lost: decide again on the same world.
    const stored = first.rollout;
    expect(decide(stored, fake.observe(0)).actions).toEqual(first.actions);
    // Now they are applied; a further reconcile (or a replay) sees the starting instance.
    fake.apply(first.actions, 0);
    expect(decide(stored, fake.observe(500)).actions).toEqual([]);
    fake.tick();
    expect(decide(stored, fake.observe(1000)).actions).toEqual([]);
  });

  it('a restarted control plane continues from the stored record and the observed world', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 3);
    let r = rollout({ name: 'rolling' });
    for (let now = 0; now < 5_000; now += TICK) {
      const d = decide(r, fake.observe(now));
      r = d.rollout;
      fake.apply(d.actions, now);
      fake.tick();
    }
    const stored: Rollout = JSON.parse(JSON.stringify(r));
    const out = simulate(stored, fake, { minServing: 3, maxInstances: 4 });
    expect(out.rollout.state).toBe('promoted');
  });

  it('an abort requested mid-rollout rolls back to the old revision', () => {
    const fake = new FakeRuntime({ v2: { healthyAfter: 2 } }).seed('v1', 3);
    let r = rollout({ name: 'blue-green' });
    for (let now = 0; now < 3_000; now += TICK) {
      const d = decide(r, fake.observe(now));
      r = d.rollout;
      fake.apply(d.actions, now);
      fake.tick();
    }
    const out = simulate({ ...r, state: 'aborted', reason: 'aborted by operator' }, fake, { minServing: 3 });
    expect(out.rollout.state).toBe('rolled-back');
    expect(out.live('v1')).toHaveLength(3);
    expect(out.live('v2')).toHaveLength(0);
  });

  it.each(['paused', 'awaiting-approval', 'promoted', 'rolled-back'] as const)(
    'leaves a %s rollout alone',
    (state) => {
      const fake = new FakeRuntime({}).seed('v1', 2);
      const r = rollout({ name: 'rolling' }, { state, replicas: 3 });
      expect(decide(r, fake.observe(10))).toEqual({ rollout: r, actions: [] });
    },
  );

  it('weights are percentages per revision that sum to 100', () => {
    const i = (id: string, revision: string): ObservedInstance => ({
      id,
      revision,
      state: 'running',
      healthy: true,
      inTraffic: true,
      startedAt: 0,
    });
    expect(weightsFor([i('a', 'v1'), i('b', 'v2'), i('c', 'v2')])).toEqual({ v1: 33, v2: 67 });
    expect(weightsFor([])).toEqual({});
  });
});
