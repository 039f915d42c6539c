/**
 * Rolling: start new instances (at most replicas + maxSurge instances at any time), move
 * traffic to each new instance once it is healthy, then drain and stop old ones, keeping at
 * least replicas − maxUnavailable healthy instances in traffic. The same convergence, aimed at
 * the old revision, is how every strategy rolls back (see rollout.ts).
 *
 * With `verifyMs` (tandem.yaml `verify:`), a converged rollout stays progressing until verifyMs
 * has passed since it converged, its analysis windows judged meanwhile (verification.ts); the
 * convergence keeps being held (a new instance that turns unhealthy must be healthy again within
 * progressDeadline of the loss). A failed verification aborts and the rollback converges on the
 * old revision: the old instances are gone by then, so this is a re-deploy of the old release,
 * health-gated like any rolling update (new instances keep serving until old ones are healthy).
 */
import type { Observed, RollingStrategy, Rollout, RuntimeAction, Strategy, StrategyPlan } from '../types.js';
import { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE, DEFAULT_PROGRESS_DEADLINE_MS } from '../types.js';
import { byAge, isLive, isPresent, isReady, trafficAction } from '../world.js';
import { validateVerification, verificationStep } from './verification.js';

export interface ConvergeLimits {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
}

export interface Convergence {
  actions: RuntimeAction[];
  /** Healthy instances of the target revision chosen for traffic (at most replicas). */
  readyTarget: number;
  /** The target revision serves alone with `replicas` healthy instances and nothing else is live. */
  done: boolean;
}

/**
 * One step of converging a service on `replicas` healthy instances of `target`. Deterministic
 * and idempotent: starting, stopping and exited instances are counted from the observed world,
 * so the same inputs give the same actions and a repeated step never over-starts.
 */
export function convergeTo(target: string, limits: ConvergeLimits, observed: Observed): Convergence {
  const { replicas, maxSurge, maxUnavailable } = limits;
  const all = [...observed.instances].sort(byAge);
  const targetLive = all.filter((i) => i.revision === target && isLive(i));
  const targetReady = targetLive.filter(isReady);
  const serving = targetReady.slice(0, replicas);
  // Extra target instances beyond replicas: stop the newest, not-ready ones first.
  const excess = targetLive.length - replicas;
  const targetExtra =
    excess > 0
      ? [...targetLive]
          .sort((a, b) => Number(serving.includes(a)) - Number(serving.includes(b)) || byAge(b, a))
          .slice(0, excess)
      : [];
  // Old instances: keep just enough healthy ones in traffic; not-ready ones serve nobody.
  const othersLive = all.filter((i) => i.revision !== target && isLive(i));
  const othersReady = othersLive
    .filter(isReady)
    .sort((a, b) => Number(b.inTraffic) - Number(a.inTraffic) || byAge(b, a));
  const keep = othersReady.slice(0, Math.max(0, replicas - maxUnavailable - serving.length));
  const crashlooping = all.filter((i) => i.state === 'crashlooping');
  const stop = [...othersLive.filter((i) => !keep.includes(i)), ...targetExtra, ...crashlooping].sort(byAge);

  const actions: RuntimeAction[] = [...trafficAction(all, [...serving, ...keep], observed.weights)];
  if (stop.length > 0) actions.push({ type: 'drain-and-stop', instanceIds: stop.map((i) => i.id) });
  // Everything not exited is a process: issued stops still count until the runtime reports them exited.
  const present = all.filter(isPresent).length;
  const count = Math.min(replicas - Math.min(targetLive.length, replicas), replicas + maxSurge - present);
  if (count > 0) actions.push({ type: 'start', revision: target, count });
  const done =
    serving.length === replicas &&
    othersLive.length === 0 &&
    targetExtra.length === 0 &&
    actions.length === 0;
  return { actions, readyTarget: serving.length, done };
}

function limitsOf(rollout: Rollout): ConvergeLimits & { progressDeadlineMs: number } {
  const s = rollout.strategy as RollingStrategy;
  return {
    replicas: rollout.replicas,
    maxSurge: s.maxSurge ?? DEFAULT_MAX_SURGE,
    maxUnavailable: s.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
    progressDeadlineMs: s.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS,
  };
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

export const rolling: Strategy = {
  name: 'rolling',

  validate(rollout) {
    const l = limitsOf(rollout);
    if (!isCount(l.maxSurge)) return `maxSurge must be a whole number ≥ 0, got ${l.maxSurge}`;
    if (!isCount(l.maxUnavailable))
      return `maxUnavailable must be a whole number ≥ 0, got ${l.maxUnavailable}`;
    if (l.maxSurge === 0 && l.maxUnavailable === 0)
      return 'maxSurge and maxUnavailable are both 0: a rolling update could never make progress';
    if (!(l.progressDeadlineMs > 0)) return `progressDeadline must be > 0, got ${l.progressDeadlineMs}`;
    return validateVerification(rollout.strategy as RollingStrategy);
  },

  plan(rollout, observed): StrategyPlan {
    const l = limitsOf(rollout);
    const crashing = observed.instances.find((i) => i.revision === rollout.to && i.state === 'crashlooping');
    if (crashing)
      return {
        ...keepStep(rollout),
        actions: [],
        outcome: { fail: `instance ${crashing.id} is crashlooping` },
      };
    const c = convergeTo(rollout.to, l, observed);
    // Progress = more new instances healthy in traffic than before; the deadline counts from the last progress.
    let stepStartedAt = c.readyTarget > rollout.step ? observed.now : rollout.stepStartedAt;
    const { verifyMs, analysis } = rollout.strategy as RollingStrategy;
    if (verifyMs !== undefined && verifyMs > 0) {
      // Verifying once converged: the deadline counts from losing a new instance, not from the
      // convergence (which may be long ago).
      const whole = rollout.step >= rollout.replicas;
      if (rollout.verifySince !== undefined && whole && c.readyTarget < rollout.step)
        stepStartedAt = observed.now;
      const v = verificationStep(rollout, observed, c.done, { verifyMs, analysis });
      const step = { step: c.readyTarget, stepStartedAt, patch: v.patch };
      if (v.failed !== undefined) return { ...step, actions: [], outcome: { fail: v.failed } };
      if (c.done) return { ...step, actions: [], outcome: v.verified ? 'done' : 'progressing' };
      if (observed.now - stepStartedAt > l.progressDeadlineMs)
        return { ...step, actions: [], outcome: { fail: noProgress(l, c.readyTarget, rollout.replicas) } };
      return { ...step, actions: c.actions, outcome: 'progressing' };
    }
    if (c.done) return { step: c.readyTarget, stepStartedAt, actions: [], outcome: 'done' };
    if (observed.now - stepStartedAt > l.progressDeadlineMs)
      return {
        step: c.readyTarget,
        stepStartedAt,
        actions: [],
        outcome: { fail: noProgress(l, c.readyTarget, rollout.replicas) },
      };
    return { step: c.readyTarget, stepStartedAt, actions: c.actions, outcome: 'progressing' };
  },

  rollbackLimits(rollout) {
    const l = limitsOf(rollout);
    return { maxSurge: l.maxSurge, maxUnavailable: l.maxUnavailable };
  },
};

function noProgress(l: { progressDeadlineMs: number }, ready: number, replicas: number): string {
  return `no progress for ${l.progressDeadlineMs} ms: ${ready} of ${replicas} new instances healthy`;
}

function keepStep(rollout: Rollout): { step: number; stepStartedAt: number } {
  return { step: rollout.step, stepStartedAt: rollout.stepStartedAt };
}
