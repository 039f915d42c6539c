/**
 * Runs the autoscaler (src/autoscale/) for every autoscaled service: each evaluation interval it
 * reads the service's aggregate metrics window, decides, and applies — outside a rollout through
 * `service_state` (a `service.scaled` event carrying the decision, in one transaction), inside one
 * by raising the rollout's count (the reconciler applies it, see ReconcilerDeps.replicasFor).
 * Decisions worth keeping (a change, or a new reason to hold) become `autoscale.decision` events;
 * the last one per service is kept for `tandem status`.
 */
import type { AgentState } from '../agent/protocol.js';
import { AutoscaleController, type Evaluation } from '../autoscale/controller.js';
import { metricOf } from '../autoscale/metric.js';
import { resolvePolicy } from '../autoscale/policy.js';
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import { logger } from '../log/logger.js';
import type { MetricsSource } from '../observe/metrics/types.js';
import { quantileMs } from '../observe/metrics/window-math.js';
import type { Store } from '../store/store.js';
import { type Clock, serviceKey } from './ports.js';

export interface AutoscalingDeps {
  store: Store;
  metrics: MetricsSource;
  clock: Clock;
  plans(): readonly EnvironmentPlan[];
  /** Runs the reconciler now, so a new count takes effect at once. */
  poke(): void;
  /** How far back the metric is read (the latest collection tick); the evaluation interval by default. */
  windowMs?(): number;
  /** Told of every evaluation (for /metrics). */
  onEvaluation?(e: Evaluation): void;
}

export class Autoscaling {
  private readonly controller = new AutoscaleController();
  /** Counts raised during a rollout, by `<env>.<service>`; cleared when the rollout ends. */
  private readonly rolloutCounts = new Map<string, number>();

  constructor(private readonly deps: AutoscalingDeps) {}

  /** For the reconciler: the count of a service in a rollout, when the autoscaler raised it. */
  replicasFor(environment: string, service: string): number | undefined {
    return this.rolloutCounts.get(serviceKey(environment, service));
  }

  last(environment: string, service: string): Evaluation | undefined {
    return this.controller.last(environment, service);
  }

  /** Evaluates the services whose interval is due. Never throws (a failure is logged and retried). */
  async tick(state: AgentState): Promise<Evaluation[]> {
    const { store, clock, metrics } = this.deps;
    const now = clock.now();
    const done: Evaluation[] = [];
    const states = await store.deployments.serviceStates();
    const progressing = await store.deployments.progressing();
    const live = new Set<string>();
    for (const env of this.deps.plans()) {
      for (const plan of env.services) {
        const spec = plan.autoscale;
        if (spec === null) continue;
        const key = serviceKey(env.name, plan.name);
        live.add(key);
        const deployed = states.find((s) => s.environment === env.name && s.service === plan.name);
        if (deployed === undefined) continue;
        if (!this.controller.due(env.name, plan.name, spec, now)) continue;
        try {
          const deployment = progressing.find((d) => d.environment === env.name);
          const rollout =
            deployment === undefined
              ? undefined
              : (await store.deployments.rolloutsOf(deployment.id)).find((r) => r.service === plan.name);
          const inRollout =
            rollout !== undefined && !['promoted', 'rolled-back', 'failed'].includes(rollout.state);
          if (!inRollout) this.rolloutCounts.delete(key);
          const current = inRollout ? (this.rolloutCounts.get(key) ?? rollout.replicas) : deployed.replicas;
          // The newest collection, not the whole evaluation interval: an average over 15 s would
          // see a step only in part and scale there in two decisions (the HPA reads its latest sample).
          const span = this.deps.windowMs?.() ?? resolvePolicy(spec.policy).evaluationIntervalMs;
          const window = metrics.window(
            { environment: env.name, service: plan.name, instance: '' },
            now - Math.max(1000, span),
            now,
          );
          const metric = metricOf(spec.target, window, current, quantileMs);
          const listener = state.listeners.find((l) => l.key === key);
          const weights = Object.fromEntries((listener?.traffic ?? []).map((t) => [t.revision, t.weight]));
          const e = this.controller.evaluate({
            environment: env.name,
            service: plan.name,
            spec,
            now,
            current,
            metric,
            ...(inRollout ? { rollout: { weights, stable: rollout.from } } : {}),
          });
          done.push(e);
          this.deps.onEvaluation?.(e);
          await this.apply(e, inRollout, current);
        } catch (err) {
          logger().warn({ err, environment: env.name, service: plan.name }, 'autoscaler evaluation failed');
        }
      }
    }
    for (const k of this.rolloutCounts.keys()) if (!live.has(k)) this.rolloutCounts.delete(k);
    this.controller.retain(live);
    return done;
  }

  private async apply(e: Evaluation, inRollout: boolean, current: number): Promise<void> {
    const { store, clock } = this.deps;
    const at = new Date(clock.now());
    const decision = decisionRecord(e);
    if (e.apply !== current && !inRollout) {
      await store.deployments.scale(e.environment, e.service, e.apply, at, { by: 'autoscaler', decision });
      this.deps.poke();
      return;
    }
    if (e.apply !== current) {
      this.rolloutCounts.set(serviceKey(e.environment, e.service), e.apply);
      this.deps.poke();
    }
    if (e.notable) {
      await store.db.transaction().execute((trx) =>
        store.events.append(trx, {
          type: 'autoscale.decision',
          subjectKind: 'service',
          subjectId: serviceKey(e.environment, e.service),
          at,
          data: { environment: e.environment, service: e.service, ...decision },
        }),
      );
    }
  }
}

/** What history and status show of a decision: inputs, ratio, policy, result and why. */
export function decisionRecord(e: Evaluation): Record<string, unknown> {
  const d = e.decision;
  return {
    from: d.inputs.current,
    to: e.apply,
    recommendation: d.recommendation,
    metric: d.inputs.metric ?? null,
    target: d.inputs.target,
    ratio: d.ratio ?? null,
    limitedBy: d.limitedBy ?? null,
    reason: e.summary,
    policy: d.inputs.policy,
    ...(e.split !== undefined ? { split: e.split } : {}),
  };
}
