/**
 * For tests: an in-memory runtime + data plane that applies decide()'s actions and advances
 * with a fake clock (one tick at a time). It reports the data plane's weights (unless told not
 * to) and refuses what a real one would make harmful: traffic to an unknown instance, stopping
 * an instance still in traffic.
 */
import type { Action, Observed, ObservedInstance } from './types.js';
import { isReady } from './world.js';

/** How instances of one revision behave (ticks counted from their start). */
export interface Behaviour {
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

export class FakeRuntime {
  instances: FakeInstance[] = [];
  /** The data plane's weights as last set. */
  weights: Record<string, number> = {};
  /** Instances started per revision, over the whole run. */
  readonly started: Record<string, number> = {};
  private seq = 0;

  constructor(
    readonly behaviour: Record<string, Behaviour>,
    private readonly opts: {
      drainTicks?: number;
      reportWeights?: boolean;
      /** false: a service without a listener (a worker): every healthy instance counts as in traffic. */
      routed?: boolean;
    } = {},
  ) {}

  /** `count` healthy instances of `revision` already serving, weights in proportion. */
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
    if (count > 0) this.weights = { [revision]: 100 };
    return this;
  }

  observe(now: number, extra: Partial<Observed> = {}): Observed {
    const routed = this.opts.routed !== false;
    return {
      now,
      instances: this.instances.map(({ age: _a, healthyAge: _h, ...i }) => ({
        ...i,
        inTraffic: routed ? i.inTraffic : isReady(i),
      })),
      ...(this.opts.reportWeights === false || !routed ? {} : { weights: { ...this.weights } }),
      ...extra,
    };
  }

  apply(actions: Action[], now: number): void {
    for (const a of actions) {
      if (a.type === 'start') {
        this.started[a.revision] = (this.started[a.revision] ?? 0) + a.count;
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
      }
      if (a.type === 'set-traffic') {
        const known = new Set(this.instances.map((i) => i.id));
        for (const id of a.instances) if (!known.has(id)) throw new Error(`set-traffic to unknown ${id}`);
        for (const i of this.instances) i.inTraffic = a.instances.includes(i.id);
        this.weights = { ...a.weights };
      }
      if (a.type === 'drain-and-stop')
        for (const i of this.instances)
          if (a.instanceIds.includes(i.id)) {
            if (i.inTraffic) throw new Error(`drain-and-stop of ${i.id} while it is in traffic`);
            i.state = 'stopping';
            i.healthy = false;
            i.age = 0;
          }
    }
  }

  tick(): void {
    const drainTicks = this.opts.drainTicks ?? 2;
    for (const i of this.instances) {
      i.age++;
      const b = this.behaviour[i.revision] ?? { healthyAfter: 1 };
      if (i.state === 'stopping' && i.age >= drainTicks) i.state = 'exited';
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

  /** Live (starting or running) instances of `revision`. */
  live(revision: string): ObservedInstance[] {
    return this.instances.filter(
      (i) => i.revision === revision && (i.state === 'running' || i.state === 'starting'),
    );
  }

  inTraffic(): ObservedInstance[] {
    return this.instances.filter((i) => i.inTraffic);
  }

  /**
   * What the tests check after every step: traffic only to healthy instances, and never to no
   * healthy instance while one exists (counting weights: a revision at 0 gets nothing). Returns
   * the problem, or undefined.
   */
  trafficProblem(): string | undefined {
    if (this.opts.routed === false) return undefined;
    const listed = this.inTraffic();
    const sick = listed.find((i) => !isReady(i));
    if (sick) return `${sick.id} is in traffic but not healthy`;
    const anyReady = this.instances.some(isReady);
    const routed = listed.filter(
      (i) => this.opts.reportWeights === false || (this.weights[i.revision] ?? 0) > 0,
    );
    if (anyReady && routed.length === 0) return 'traffic points at no healthy instance while one exists';
    if (listed.length > 0 && this.opts.reportWeights !== false) {
      const sum = Object.values(this.weights).reduce((a, b) => a + b, 0);
      if (sum !== 100) return `weights sum to ${sum}`;
    }
    return undefined;
  }
}
