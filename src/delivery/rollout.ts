/**
 * The reconciler's pure step (DESIGN.md §5). decide() takes the stored rollout and the observed
 * world and returns the next rollout record — which the caller persists BEFORE acting — and
 * the actions to apply in order. Its runtime actions depend only on the returned record and
 * the observed world, so after a crash anywhere (before persisting, or between persisting and
 * acting) calling decide() again with what is then observed repeats or continues the work and
 * never does it twice: starting, stopping and in-traffic instances are counted, not remembered.
 * A record that did not change is returned as the same object (nothing to persist).
 */
import { strategies } from './strategies/index.js';
import { convergeTo } from './strategies/rolling.js';
import type { Action, Observed, Rollout, RolloutPatch, RuntimeAction, Strategy } from './types.js';
import { byAge, isLive, trafficAction } from './world.js';

export interface Decision {
  rollout: Rollout;
  actions: Action[];
}

export function decide(rollout: Rollout, observed: Observed): Decision {
  const { now } = observed;
  const strategy = strategies.get(rollout.strategy.name);
  let next: Rollout = rollout;
  const notes: Action[] = [];
  const abort = (reason: string) => {
    next = without(
      { ...next, state: 'aborted', step: 0, stepStartedAt: now, reason },
      'pausedReason',
      'promote',
      'weightReachedAt',
    );
    notes.push({ type: 'fail', reason });
  };

  if (next.state === 'pending') {
    const problem =
      strategy === undefined ? `unknown strategy "${rollout.strategy.name}"` : strategy.validate(rollout);
    if (problem !== undefined) abort(problem);
    else next = { ...next, state: 'progressing', step: 0, stepStartedAt: now };
  }

  let actions: RuntimeAction[] = [];
  // A paused rollout is left alone unless its strategy holds it (canary); awaiting-approval always is.
  const held = next.state === 'paused' && strategy?.planPaused !== undefined;
  if (next.state === 'progressing' || held) {
    if (strategy === undefined) abort(`unknown strategy "${rollout.strategy.name}"`);
    else {
      const plan = held ? strategy.planPaused!(next, observed) : strategy.plan(next, observed);
      next = patched({ ...next, step: plan.step, stepStartedAt: plan.stepStartedAt }, plan.patch);
      if (plan.outcome === 'done') {
        next = { ...next, state: 'promoted' };
        notes.push({ type: 'complete' });
      } else if (plan.outcome === 'progressing') actions = plan.actions;
      else if ('pause' in plan.outcome) {
        next = { ...next, state: 'paused', pausedReason: plan.outcome.pause };
        actions = plan.actions;
      } else abort(plan.outcome.fail);
    }
  }

  if (next.state === 'aborted') {
    const back = rollBack(next, strategy, observed);
    if (back.done) next = { ...next, state: 'rolled-back' };
    else actions = back.actions;
  }

  if (!sameRecord(next, rollout)) next = { ...next, updatedAt: now };
  else next = rollout;
  return { rollout: next, actions: [...actions, ...notes] };
}

/** Converge back on the old revision; a first deploy rolls back to nothing running. */
function rollBack(
  rollout: Rollout,
  strategy: Strategy | undefined,
  observed: Observed,
): { actions: RuntimeAction[]; done: boolean } {
  if (rollout.from === null) {
    const live = observed.instances.filter(isLive).sort(byAge);
    const actions: RuntimeAction[] = [...trafficAction(observed.instances, [])];
    if (live.length > 0) actions.push({ type: 'drain-and-stop', instanceIds: live.map((i) => i.id) });
    return { actions, done: actions.length === 0 };
  }
  const limits = strategy?.rollbackLimits(rollout, observed) ?? { maxSurge: 1, maxUnavailable: 0 };
  // Invalid options must not stall the way back.
  const maxUnavailable = isCount(limits.maxUnavailable) ? limits.maxUnavailable : 0;
  const surge = isCount(limits.maxSurge) ? limits.maxSurge : 1;
  const maxSurge = surge === 0 && maxUnavailable === 0 ? 1 : surge;
  const c = convergeTo(rollout.from, { replicas: rollout.replicas, maxSurge, maxUnavailable }, observed);
  return { actions: c.actions, done: c.done };
}

function sameRecord(a: Rollout, b: Rollout): boolean {
  return (
    a.state === b.state &&
    a.step === b.step &&
    a.stepStartedAt === b.stepStartedAt &&
    a.reason === b.reason &&
    a.pausedReason === b.pausedReason &&
    a.promote === b.promote &&
    a.weightReachedAt === b.weightReachedAt &&
    a.canarySince === b.canarySince &&
    a.verifySince === b.verifySince &&
    a.analysis === b.analysis
  );
}

/** The record with a strategy's changes; a field set to undefined is removed (the record is JSON). */
function patched(rollout: Rollout, patch: RolloutPatch | undefined): Rollout {
  if (patch === undefined) return rollout;
  const next: Rollout = { ...rollout, ...patch };
  for (const key of Object.keys(patch) as Array<keyof RolloutPatch>)
    if (patch[key] === undefined) delete next[key];
  return next;
}

function without(rollout: Rollout, ...keys: Array<keyof Rollout>): Rollout {
  const next = { ...rollout };
  for (const key of keys) delete next[key];
  return next;
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}
