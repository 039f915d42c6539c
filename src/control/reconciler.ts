/**
 * The reconciler loop (DESIGN.md §5): each tick observes the agent, and
 * - for every rollout of a progressing deployment: decide() → persist the record (with its
 *   event) → act; when all rollouts of a deployment are done, the deployment ends and promoted
 *   services become what their environment runs;
 * - for every other deployed service: converge on what it should run (replicas after a crash,
 *   a `tandem scale`, an instance that vanished) with one surge and no unavailability.
 * Everything is re-derived from the store and the agent at each tick, so a control plane killed
 * at any moment continues where it was when started again.
 */
import type { StatsResponse } from '../agent/protocol.js';
import type { Measurement } from '../delivery/analysis/types.js';
import { decide } from '../delivery/rollout.js';
import { convergeTo } from '../delivery/strategies/rolling.js';
import { type Rollout, TERMINAL_STATES } from '../delivery/types.js';
import { logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { AnalysisSampler } from './analysis-sampler.js';
import type { LocalRuntime, RuntimeResolver } from './local-runtime.js';
import { observeService } from './observe.js';
import { type AgentApi, type Clock, serviceKey } from './ports.js';

export interface ReconcilerDeps {
  store: Store;
  agent: AgentApi;
  runtime: LocalRuntime;
  resolver: RuntimeResolver;
  clock: Clock;
  /** Whether the active config still deploys this service to this environment. */
  isConfigured(environment: string, service: string): boolean;
  /**
   * The autoscaler's count for a service in a rollout (it only ever raises it): applied to the
   * rollout record here, so the reconciler stays the only writer of rollouts.
   */
  replicasFor?(environment: string, service: string): number | undefined;
  /** Called after a deployment ended (its end is already stored). */
  onFinished?(deploymentId: string, succeeded: boolean): void;
}

const LOG_LINES_ON_FAILURE = 15;

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly sampler = new AnalysisSampler();

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Ticks until stop(): fast while a rollout progresses, slower when all is steady. */
  start(): void {
    const loop = async () => {
      while (!this.stopped) {
        let busy = false;
        try {
          busy = await this.tick();
        } catch (err) {
          logger().warn({ err }, 'reconcile tick failed; retrying');
        }
        if (this.stopped) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, busy ? 150 : 1000);
        });
      }
    };
    this.running = loop();
  }

  /** Runs the next tick now (after a new deployment). */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.running;
  }

  /** One reconcile pass. Returns true while some deployment is progressing. */
  async tick(): Promise<boolean> {
    const { store, agent, runtime, resolver, clock } = this.deps;
    let state = await agent.state();
    const deployments = await store.deployments.progressing();
    const inRollout = new Set<string>();

    for (const deployment of deployments) {
      const rollouts = await store.deployments.rolloutsOf(deployment.id);
      for (const stored of rollouts) {
        inRollout.add(serviceKey(deployment.environment, stored.service));
        if (TERMINAL_STATES.has(stored.state)) continue;
        const scaled = this.deps.replicasFor?.(deployment.environment, stored.service);
        const before =
          scaled !== undefined && scaled > stored.replicas ? { ...stored, replicas: scaled } : stored;
        const now = clock.now();
        const routed = resolver.service(deployment.environment, before.service).listen !== null;
        const observed = observeService(state, deployment.environment, before.service, now, {
          steady: false,
          routed,
          chosen: runtime.chosenFor(deployment.environment, before.service),
        });
        const measurement = await this.measure(deployment.environment, before, now);
        if (measurement !== undefined) observed.measurement = measurement;
        const { rollout, actions } = decide(before, observed);
        let record = rollout;
        for (const action of actions) {
          if (action.type === 'fail') {
            const lines = await this.lastLines(deployment.environment, before.service, rollout.to);
            record = {
              ...record,
              reason: lines.length > 0 ? `${action.reason}\n${lines.join('\n')}` : action.reason,
            };
          }
        }
        // Persist BEFORE acting (DESIGN.md §5).
        if (record !== stored)
          await store.deployments.saveRollout(deployment.id, record, stored, new Date(now));
        for (const action of actions) {
          if (action.type === 'fail' || action.type === 'complete') continue;
          await runtime.apply(deployment.environment, before.service, action, state);
          state = await agent.state();
        }
      }
      const latest = await store.deployments.rolloutsOf(deployment.id);
      if (latest.every((r) => TERMINAL_STATES.has(r.state))) {
        await this.finish(deployment.id, latest);
      }
    }

    // Steady state: every deployed service not in a rollout converges on what it should run.
    for (const s of await store.deployments.serviceStates()) {
      const key = serviceKey(s.environment, s.service);
      if (inRollout.has(key) || !this.deps.isConfigured(s.environment, s.service)) continue;
      const routed = resolver.service(s.environment, s.service).listen !== null;
      const observed = observeService(state, s.environment, s.service, clock.now(), {
        steady: true,
        routed,
        chosen: runtime.chosenFor(s.environment, s.service),
      });
      const c = convergeTo(s.release, { replicas: s.replicas, maxSurge: 1, maxUnavailable: 0 }, observed);
      for (const action of c.actions) {
        await runtime.apply(s.environment, s.service, action, state);
        state = await agent.state();
      }
    }
    return deployments.length > 0;
  }

  /**
   * A new analysis window of a rollout that has analysis, when one is due: a canary's (progressing
   * or held paused), or a rolling / blue-green verification's (progressing, from `verifySince`,
   * the cutover: the new revision serves alone and `from` gets little or no traffic, so only
   * absolute gates decide; sampling from then on makes the first window start after it).
   */
  private async measure(
    environment: string,
    rollout: Rollout,
    now: number,
  ): Promise<Measurement | undefined> {
    const { strategy } = rollout;
    if (strategy.analysis === undefined) return undefined;
    const sampled =
      strategy.name === 'canary'
        ? rollout.state === 'progressing' || rollout.state === 'paused'
        : rollout.state === 'progressing' && rollout.verifySince !== undefined;
    if (!sampled) return undefined;
    let stats: StatsResponse;
    try {
      stats = await this.deps.agent.stats();
    } catch {
      return undefined;
    }
    return this.sampler.sample(
      rollout.id,
      strategy.analysis,
      { canary: rollout.to, stable: rollout.from },
      stats[serviceKey(environment, rollout.service)],
      now,
    );
  }

  private async finish(id: string, rollouts: Rollout[]): Promise<void> {
    const promoted = rollouts.filter((r) => r.state === 'promoted');
    const ok = promoted.length === rollouts.length;
    const reason = ok
      ? null
      : rollouts
          .filter((r) => r.state !== 'promoted')
          .map((r) => `${r.service}: ${r.reason ?? 'rolled back'}`)
          .join('\n');
    await this.deps.store.deployments.finish(
      id,
      ok ? 'succeeded' : 'failed',
      reason,
      promoted.map((r) => ({ service: r.service, release: r.to, replicas: r.replicas })),
      new Date(this.deps.clock.now()),
    );
    this.deps.onFinished?.(id, ok);
  }

  /** The last log lines of the new revision's instances, so a failed deploy shows why. */
  private async lastLines(environment: string, service: string, revision: string): Promise<string[]> {
    try {
      const state = await this.deps.agent.state();
      const mine = state.instances.filter(
        (i) => i.environment === environment && i.service === service && i.revision === revision,
      );
      const worst = mine.find((i) => i.state === 'crashlooping') ?? mine.find((i) => !i.healthy) ?? mine[0];
      if (worst === undefined) return [];
      const lines = await this.deps.agent.logs(worst.id, LOG_LINES_ON_FAILURE);
      return [`last lines of ${worst.id}:`, ...lines.map((l) => `  ${l}`)];
    } catch {
      return [];
    }
  }
}
