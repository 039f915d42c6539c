/**
 * The autoscaler's memory between evaluations, per service: the recommendations kept for the
 * stabilisation windows, when it last scaled, and the last decision (for `tandem status`). Pure:
 * the control plane passes the clock, the current count and the metric window, and applies what
 * it returns. After a control-plane restart the history is seeded with the current count, so a
 * restart never lets the service shrink before a full stabilisation window has passed.
 */
import { decide } from './decide.js';
import { type Policy, resolvePolicy } from './policy.js';
import { splitByTraffic } from './split-by-traffic.js';
import type { Decision, Recommendation, Target } from './types.js';

export interface AutoscaleSpec {
  min: number;
  max: number;
  target: Target;
  policy: Partial<Policy>;
}

export interface Evaluation {
  environment: string;
  service: string;
  decision: Decision;
  /** During a rollout: instances per revision by traffic share of the desired total. */
  split?: Record<string, number>;
  /** The count to run now (the decision's, or the current one while a rollout holds scale-in). */
  apply: number;
  /** True when this evaluation changes the count, or its reason differs from the last one (worth recording). */
  notable: boolean;
  summary: string;
}

interface Memory {
  history: Recommendation[];
  lastScaleAt: number | undefined;
  lastEvalAt: number | undefined;
  last: Evaluation | undefined;
}

export class AutoscaleController {
  private readonly memory = new Map<string, Memory>();

  /** Whether the service's evaluation interval has passed since its last evaluation. */
  due(environment: string, service: string, spec: AutoscaleSpec, now: number): boolean {
    const m = this.memory.get(key(environment, service));
    const every = resolvePolicy(spec.policy).evaluationIntervalMs;
    return m?.lastEvalAt === undefined || now - m.lastEvalAt >= every;
  }

  evaluate(input: {
    environment: string;
    service: string;
    spec: AutoscaleSpec;
    now: number;
    current: number;
    metric: number | undefined;
    /** Traffic weights per revision while a rollout is in progress. */
    rollout?: { weights: Record<string, number>; stable: string | null };
  }): Evaluation {
    const k = key(input.environment, input.service);
    const m: Memory = this.memory.get(k) ?? {
      history: [{ at: input.now, replicas: input.current }],
      lastScaleAt: undefined,
      lastEvalAt: undefined,
      last: undefined,
    };
    const decision = decide({
      now: input.now,
      current: input.current,
      min: input.spec.min,
      max: input.spec.max,
      target: input.spec.target,
      metric: input.metric,
      history: m.history,
      lastScaleAt: m.lastScaleAt,
      policy: input.spec.policy,
    });
    let apply = decision.desired;
    let summary = decision.reason;
    let split: Record<string, number> | undefined;
    if (input.rollout !== undefined) {
      // Never fight a rollout: scale-in waits until it ends (stable must keep the capacity to take
      // all traffic back on an abort); scale-out grows it, the canary by its traffic share.
      if (apply < input.current) {
        apply = input.current;
        summary += `; scale-in held until the rollout ends`;
      }
      split = splitByTraffic(apply, input.rollout.weights);
      summary += `; by traffic: ${Object.entries(split)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ')}`;
    }
    const evaluation: Evaluation = {
      environment: input.environment,
      service: input.service,
      decision,
      ...(split !== undefined ? { split } : {}),
      apply,
      notable:
        apply !== input.current || m.last === undefined || m.last.decision.limitedBy !== decision.limitedBy,
      summary,
    };
    if (apply !== input.current) m.lastScaleAt = input.now;
    m.history = decision.history;
    m.lastEvalAt = input.now;
    m.last = evaluation;
    this.memory.set(k, m);
    return evaluation;
  }

  /** The last evaluation of a service (status). */
  last(environment: string, service: string): Evaluation | undefined {
    return this.memory.get(key(environment, service))?.last;
  }

  /** Forgets services no longer autoscaled. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.memory.keys()) if (!keys.has(k)) this.memory.delete(k);
  }
}

function key(environment: string, service: string): string {
  return `${environment}.${service}`;
}
