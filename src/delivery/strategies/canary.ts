/**
 * Canary: the new revision takes a growing share of traffic, step by step, next to the stable
 * revision, which keeps all its replicas until the last step; after it the service converges on
 * the new revision (convergeTo, all missing instances at once) and the rollout is promoted.
 *
 * A step (record `step` = its index; steps.length = converging):
 * - runs max(1, ceil(replicas × weight / 100)) canary instances; traffic goes {stable: 100 − w,
 *   canary: w} (explicit weights, not per instance) to the healthy ones. The step's weight is
 *   set only once all its canary instances are healthy; until then the previous step's weight
 *   (none before the first step) stays, so a 100% step never lands on half its instances;
 * - is in place when those instances are healthy and in traffic at the step's weight as the data
 *   plane reports it (`weightReachedAt` records when; its hold counts from then). Losing that
 *   (a canary instance turning unhealthy) restarts the hold and the progress deadline;
 * - advances when in place AND (its pauseMs has elapsed, or `tandem promote` asked for it) AND,
 *   with analysis and a weight below 100, the last window measured entirely at this step passed
 *   — too little traffic never lets a comparison step pass silently. pauseMs null: pause with
 *   WAITING_FOR_PROMOTE instead;
 * - fails when not in place within progressDeadline.
 * A weight-100 step is held like any other (stable stays warm, so aborting is one traffic
 * switch); stable gets no traffic there, so its pause alone decides, while its windows are still
 * judged (absolute gates can fail it; windows where every gate was skipped are inconclusive).
 *
 * Analysis: the control plane's measurement (Observed.measurement) is folded in once
 * (deduplicated by `at`) when its window started after the canary first took traffic. `fail`
 * aborts with the failed gates in the reason; `pause` (too many inconclusive windows) pauses.
 * `promote: 'full'` skips the remaining steps and the analysis. A crash-looping canary aborts at
 * once. A first deploy (no stable revision) skips the steps.
 *
 * Paused (planPaused): the current step is held — its instances and traffic are kept healthy,
 * a crash-looping canary or a failed analysis still aborts — but it never advances and no
 * deadline runs (resume restarts it).
 *
 * Rollback (rollout.ts + rollbackLimits): stable takes all traffic back in ONE set-traffic when
 * it has at least half its replicas healthy (at most twice the load per instance; normally it
 * has them all, as it keeps its replicas until the last step); below that (an abort while
 * converging) capacity comes first and canary instances serve until stable ones are back.
 */
import { resolveAnalysis } from '../analysis/config.js';
import { advance, initialState } from '../analysis/run.js';
import type { AnalysisConfig, AnalysisState, Measurement } from '../analysis/types.js';
import type {
  CanaryStep,
  CanaryStrategy,
  Observed,
  Rollout,
  RolloutPatch,
  RuntimeAction,
  Strategy,
  StrategyPlan,
} from '../types.js';
import { DEFAULT_PROGRESS_DEADLINE_MS } from '../types.js';
import { byAge, isLive, isReady, sameWeights, trafficAction, weightsFor } from '../world.js';
import { convergeTo } from './rolling.js';

export const WAITING_FOR_PROMOTE = 'waiting for tandem promote';

/** Canary instances at `weight`: never zero, so a 1% step on 3 replicas still runs one. */
export function canaryCount(replicas: number, weight: number): number {
  return Math.max(1, Math.ceil((replicas * weight) / 100));
}

interface Options {
  steps: CanaryStep[];
  analysis: AnalysisConfig | undefined;
  progressDeadlineMs: number;
}

function optionsOf(rollout: Rollout): Options {
  const s = rollout.strategy as CanaryStrategy;
  return {
    steps: s.steps ?? [],
    analysis: s.analysis,
    progressDeadlineMs: s.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS,
  };
}

/** Where the planner stands while it may advance several steps in one reconcile. */
interface Cursor {
  step: number;
  stepStartedAt: number;
  patch: RolloutPatch;
}

export const canary: Strategy = {
  name: 'canary',

  validate(rollout) {
    const o = optionsOf(rollout);
    if (!Number.isInteger(rollout.replicas) || rollout.replicas < 1)
      return `a canary needs at least 1 replica, got ${rollout.replicas}`;
    if (!Array.isArray(o.steps) || o.steps.length === 0) return 'a canary needs at least one step';
    let previous = 0;
    for (const [k, s] of o.steps.entries()) {
      const where = `canary step ${k + 1}`;
      if (!Number.isInteger(s.weight) || s.weight < 1 || s.weight > 100)
        return `${where}: weight must be a whole percentage from 1 to 100, got ${s.weight}`;
      if (s.weight <= previous)
        return `${where}: weights must increase from step to step, got ${s.weight} after ${previous}`;
      if (s.pauseMs !== undefined && s.pauseMs !== null && !(Number.isFinite(s.pauseMs) && s.pauseMs >= 0))
        return `${where}: pause must be a duration ≥ 0 (or none, to wait for tandem promote), got ${s.pauseMs}`;
      previous = s.weight;
    }
    if (!(o.progressDeadlineMs > 0)) return `progressDeadline must be > 0, got ${o.progressDeadlineMs}`;
    if (o.analysis !== undefined) {
      const checked = resolveAnalysis(o.analysis);
      if (!checked.ok) return `analysis: ${checked.problems.join('; ')}`;
    }
    return undefined;
  },

  plan(rollout, observed) {
    return planCanary(rollout, observed, false);
  },

  planPaused(rollout, observed) {
    return planCanary(rollout, observed, true);
  },

  rollbackLimits(rollout, observed) {
    const stableReady = observed.instances.filter((i) => i.revision === rollout.from && isReady(i)).length;
    const fast = stableReady > 0 && stableReady * 2 >= rollout.replicas;
    return {
      maxSurge: rollout.replicas,
      maxUnavailable: fast ? Math.max(0, rollout.replicas - stableReady) : 0,
    };
  },
};

function planCanary(rollout: Rollout, observed: Observed, paused: boolean): StrategyPlan {
  const o = optionsOf(rollout);
  const n = o.steps.length;
  const { now } = observed;
  const at: Cursor = { step: rollout.step, stepStartedAt: rollout.stepStartedAt, patch: {} };
  const result = (actions: RuntimeAction[], outcome: StrategyPlan['outcome']): StrategyPlan => ({
    step: at.step,
    stepStartedAt: at.stepStartedAt,
    actions,
    outcome,
    patch: at.patch,
  });

  const crashing = observed.instances.find((i) => i.revision === rollout.to && i.state === 'crashlooping');
  if (crashing) return result([], { fail: `instance ${crashing.id} is crashlooping` });

  if (at.step >= n) {
    if (rollout.promote !== undefined) at.patch.promote = undefined;
    // Converging is not held: commands refuse to pause it; a stored paused one waits, untouched.
    return paused ? result([], 'progressing') : converge(rollout, at, observed, o.progressDeadlineMs, result);
  }
  if (!paused && (rollout.from === null || rollout.promote === 'full')) {
    moveTo(at, n, now);
    at.patch.promote = undefined;
    return converge(rollout, at, observed, o.progressDeadlineMs, result);
  }

  let promote = rollout.promote;
  let weightReachedAt = rollout.weightReachedAt;
  let canarySince = rollout.canarySince;
  let analysis = rollout.analysis;
  const config = o.analysis;
  for (;;) {
    const step = o.steps[at.step]!;
    const hold = holdStep(rollout, at, observed, o);
    if (hold.inPlace) {
      if (weightReachedAt === undefined) weightReachedAt = at.patch.weightReachedAt = now;
      if (canarySince === undefined) canarySince = at.patch.canarySince = now;
    } else if (weightReachedAt !== undefined) {
      // Lost its place: the hold starts over once it is back, and the deadline counts again.
      weightReachedAt = at.patch.weightReachedAt = undefined;
      at.stepStartedAt = now;
    }

    let folded = false;
    const m = observed.measurement;
    if (config !== undefined && m !== undefined && isNew(analysis, m) && canarySince !== undefined) {
      if (m.at - m.windowMs >= canarySince) {
        analysis = at.patch.analysis = advance(analysis ?? initialState(), m, config);
        folded = true;
      }
    }
    if (analysis?.outcome === 'fail') return result([], { fail: failureReason(analysis) });
    if (paused) return result(hold.actions, 'progressing');
    if (folded && analysis?.outcome === 'pause')
      return result(hold.actions, {
        pause: `too little traffic for analysis (${analysis.inconclusive} inconclusive windows); tandem promote or tandem abort`,
      });

    if (!hold.inPlace || weightReachedAt === undefined) {
      if (now - at.stepStartedAt > o.progressDeadlineMs)
        return result([], { fail: `canary step ${at.step + 1} (${step.weight}%): ${hold.missing}` });
      return result(hold.actions, 'progressing');
    }
    if (promote !== 'step') {
      if (step.pauseMs === null) return result(hold.actions, { pause: WAITING_FOR_PROMOTE });
      if (now - weightReachedAt < (step.pauseMs ?? 0)) return result(hold.actions, 'progressing');
      if (config !== undefined && step.weight < 100 && !passedSince(analysis, weightReachedAt))
        return result(hold.actions, 'progressing');
    }

    moveTo(at, at.step + 1, now);
    weightReachedAt = at.patch.weightReachedAt = undefined;
    if (promote !== undefined) promote = at.patch.promote = undefined;
    if (at.step >= n) return converge(rollout, at, observed, o.progressDeadlineMs, result);
  }
}

function moveTo(at: Cursor, step: number, now: number): void {
  at.step = step;
  at.stepStartedAt = now;
  at.patch.weightReachedAt = undefined;
}

/** After the last step: every missing new instance at once, traffic in proportion, stable drained. */
function converge(
  rollout: Rollout,
  at: Cursor,
  observed: Observed,
  deadlineMs: number,
  result: (actions: RuntimeAction[], outcome: StrategyPlan['outcome']) => StrategyPlan,
): StrategyPlan {
  const { replicas } = rollout;
  const c = convergeTo(rollout.to, { replicas, maxSurge: replicas, maxUnavailable: 0 }, observed);
  if (c.done) return result([], 'done');
  if (c.readyTarget < replicas && observed.now - at.stepStartedAt > deadlineMs)
    return result([], {
      fail: `${c.readyTarget} of ${replicas} new instances healthy after ${deadlineMs} ms`,
    });
  return result(c.actions, 'progressing');
}

/** The actions that hold the current step, and whether it is in place. */
function holdStep(
  rollout: Rollout,
  at: Cursor,
  observed: Observed,
  o: Options,
): { actions: RuntimeAction[]; inPlace: boolean; missing: string } {
  const { replicas, to, from } = rollout;
  const stable = from ?? '';
  const weight = o.steps[at.step]!.weight;
  const count = canaryCount(replicas, weight);
  const previous = at.step > 0 ? o.steps[at.step - 1]!.weight : 0;
  const all = [...observed.instances].sort(byAge);

  const canaryLive = all.filter((i) => i.revision === to && isLive(i));
  // Those already serving first, so a step never swaps one healthy canary for another.
  const canaryReady = canaryLive
    .filter(isReady)
    .sort((a, b) => Number(b.inTraffic) - Number(a.inTraffic) || byAge(a, b));
  const reached = canaryReady.length >= count;
  const target = reached
    ? { weight, count }
    : { weight: previous, count: previous > 0 ? canaryCount(replicas, previous) : 0 };
  const canaryServing = canaryReady.slice(0, target.count);
  const stableLive = all.filter((i) => i.revision === stable && isLive(i));
  const stableReady = stableLive.filter(isReady);
  const stableServing = target.weight >= 100 ? [] : stableReady;

  let wanted = [...stableServing, ...canaryServing];
  let weights =
    stableServing.length > 0 && canaryServing.length > 0
      ? { [stable]: 100 - target.weight, [to]: target.weight }
      : weightsFor(wanted);
  if (wanted.length === 0) {
    // Nothing of either revision is healthy: keep whatever healthy instance still serves.
    wanted = all.filter((i) => i.inTraffic && isReady(i));
    weights = weightsFor(wanted);
  }
  let traffic = trafficAction(all, wanted, observed.weights, weights);
  // Weights not reported: the set alone cannot show a weight change, so send them every time
  // (the agent ignores a table it already has).
  if (traffic.length === 0 && observed.weights === undefined && wanted.length > 0)
    traffic = [{ type: 'set-traffic', weights, instances: wanted.map((i) => i.id).sort() }];

  // Extra canary instances (more than the step runs): the newest, not-serving ones go.
  const extra =
    canaryLive.length > count
      ? [...canaryLive]
          .sort(
            (a, b) => Number(canaryServing.includes(a)) - Number(canaryServing.includes(b)) || byAge(b, a),
          )
          .slice(0, canaryLive.length - count)
      : [];
  // Stable keeps its replicas: a crash-looping stable instance serves nobody and is replaced.
  const stableBroken = all.filter((i) => i.revision === stable && i.state === 'crashlooping');
  const stop = [...extra, ...stableBroken].sort(byAge);
  const actions: RuntimeAction[] = [...traffic];
  if (stop.length > 0) actions.push({ type: 'drain-and-stop', instanceIds: stop.map((i) => i.id) });
  if (canaryLive.length < count)
    actions.push({ type: 'start', revision: to, count: count - canaryLive.length });
  if (from !== null && stableLive.length < replicas)
    actions.push({ type: 'start', revision: from, count: replicas - stableLive.length });

  // In place: exactly the step's canary instances in traffic, stable too (below 100%), at the
  // step's weights when they are reported. Stable instances still listed at 100% do not matter
  // (weight 0), nor do they for a service without a listener, where every healthy one "serves".
  const canaryListed = all.filter((i) => i.revision === to && i.inTraffic);
  const inPlace =
    reached &&
    canaryListed.length === count &&
    canaryServing.every((i) => i.inTraffic) &&
    (weight >= 100 || stableServing.some((i) => i.inTraffic)) &&
    (observed.weights === undefined || sameWeights(observed.weights, weights));
  const missing =
    canaryReady.length < count
      ? `${canaryReady.length} of ${count} canary instances healthy`
      : stableServing.length === 0 && weight < 100
        ? 'no healthy stable instance to share the traffic with'
        : 'traffic not in place';
  return {
    actions,
    inPlace,
    missing: `${missing} after ${o.progressDeadlineMs} ms`,
  };
}

function isNew(analysis: AnalysisState | undefined, m: Measurement): boolean {
  const last = analysis?.measurements.at(-1);
  return last === undefined || m.at > last.at;
}

/** The last window measured entirely since `since` passed. */
function passedSince(analysis: AnalysisState | undefined, since: number): boolean {
  const inStep = (analysis?.measurements ?? []).filter((m) => m.at - m.windowMs >= since);
  return inStep.at(-1)?.verdict === 'pass';
}

function failureReason(analysis: AnalysisState): string {
  const failed = analysis.measurements.filter((m) => m.verdict === 'fail').at(-1);
  const reasons = failed && failed.reasons.length > 0 ? failed.reasons.join('; ') : 'failure limit reached';
  return analysis.failures > 1
    ? `analysis failed (${analysis.failures} failed windows): ${reasons}`
    : `analysis failed: ${reasons}`;
}
