/**
 * Blue-green: start all new instances next to the old ones; when all are healthy, cut traffic
 * over in ONE set-traffic (step 0 → 1); keep the old instances warm for scaleDownDelay (the bake
 * window) so a rollback is one more set-traffic; then drain and stop them.
 *
 * Verification (verification.ts), when `analysis` or `verifyMs` is set: from the cutover being
 * in place, the new revision's analysis windows are judged during the bake window, and on until
 * verifyMs when that is longer; the rollout is promoted only when both are over. A failed
 * analysis (or a new instance turning unhealthy) aborts:
 * - during the bake window the old instances are still warm: the rollback (rollout.ts) sends
 *   all traffic back to them in one set-traffic, then drains and stops the new ones;
 * - after it (verifyMs longer than scaleDownDelay) the old instances are gone: the rollback
 *   re-deploys the old release, health-gated, the new instances serving until it is healthy.
 */
import type { BlueGreenStrategy, Rollout, RuntimeAction, Strategy, StrategyPlan } from '../types.js';
import { DEFAULT_PROGRESS_DEADLINE_MS, DEFAULT_SCALE_DOWN_DELAY_MS } from '../types.js';
import { byAge, isLive, isReady, trafficAction } from '../world.js';
import { type VerificationOptions, validateVerification, verificationStep } from './verification.js';

function optionsOf(rollout: Rollout): {
  scaleDownDelayMs: number;
  progressDeadlineMs: number;
  verification: VerificationOptions | undefined;
} {
  const s = rollout.strategy as BlueGreenStrategy;
  const verifies = s.analysis !== undefined || (s.verifyMs ?? 0) > 0;
  return {
    scaleDownDelayMs: s.scaleDownDelayMs ?? DEFAULT_SCALE_DOWN_DELAY_MS,
    progressDeadlineMs: s.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS,
    verification: verifies ? { verifyMs: s.verifyMs ?? 0, analysis: s.analysis } : undefined,
  };
}

export const blueGreen: Strategy = {
  name: 'blue-green',

  validate(rollout) {
    const o = optionsOf(rollout);
    if (!(o.scaleDownDelayMs >= 0)) return `scaleDownDelay must be ≥ 0, got ${o.scaleDownDelayMs}`;
    if (!(o.progressDeadlineMs > 0)) return `progressDeadline must be > 0, got ${o.progressDeadlineMs}`;
    return validateVerification(rollout.strategy as BlueGreenStrategy);
  },

  plan(rollout, observed): StrategyPlan {
    const o = optionsOf(rollout);
    const { now } = observed;
    const all = [...observed.instances].sort(byAge);
    const newLive = all.filter((i) => i.revision === rollout.to && isLive(i));
    const newReady = newLive.filter(isReady);
    const green = newReady.slice(0, rollout.replicas);
    const oldLive = all.filter((i) => i.revision !== rollout.to && isLive(i));
    const crashing = all.find((i) => i.revision === rollout.to && i.state === 'crashlooping');
    const step = { step: rollout.step, stepStartedAt: rollout.stepStartedAt };
    if (crashing)
      return { ...step, actions: [], outcome: { fail: `instance ${crashing.id} is crashlooping` } };
    // Extra new instances (more than replicas): stop the newest, not-serving ones.
    const extra =
      newLive.length > rollout.replicas
        ? [...newLive]
            .sort((a, b) => Number(green.includes(a)) - Number(green.includes(b)) || byAge(b, a))
            .slice(0, newLive.length - rollout.replicas)
        : [];
    const stopExtra: RuntimeAction[] =
      extra.length > 0 ? [{ type: 'drain-and-stop', instanceIds: extra.map((i) => i.id) }] : [];

    if (rollout.step === 0) {
      if (green.length === rollout.replicas) {
        // The cutover: persisted as step 1 before the one set-traffic is sent.
        return {
          step: 1,
          stepStartedAt: now,
          actions: [...trafficAction(all, green), ...stopExtra],
          outcome: 'progressing',
        };
      }
      if (now - rollout.stepStartedAt > o.progressDeadlineMs)
        return {
          ...step,
          actions: [],
          outcome: {
            fail: `${green.length} of ${rollout.replicas} new instances healthy after ${o.progressDeadlineMs} ms`,
          },
        };
      const actions: RuntimeAction[] = [...trafficAction(all, oldLive.filter(isReady)), ...stopExtra];
      const count = rollout.replicas - Math.min(newLive.length, rollout.replicas);
      if (count > 0) actions.push({ type: 'start', revision: rollout.to, count });
      return { ...step, actions, outcome: 'progressing' };
    }

    // After the cutover: a new instance that stops being healthy means an instant rollback.
    if (green.length < rollout.replicas) {
      const sick = newLive.find((i) => !isReady(i));
      return {
        ...step,
        actions: [],
        outcome: {
          fail: `after the cutover ${sick ? `instance ${sick.id}` : 'a new instance'} is not healthy`,
        },
      };
    }
    const cutover = trafficAction(all, green);
    let verified = true;
    let patched: Pick<StrategyPlan, 'patch'> = {};
    if (o.verification !== undefined) {
      const v = verificationStep(rollout, observed, cutover.length === 0, o.verification);
      patched = { patch: v.patch };
      // Old instances still warm: the rollback is one set-traffic back to them.
      if (v.failed !== undefined) return { ...step, ...patched, actions: [], outcome: { fail: v.failed } };
      verified = v.verified;
    }
    const actions: RuntimeAction[] = [...cutover, ...stopExtra];
    // Old instances go only once the data plane reports the cutover done and the delay is over.
    if (cutover.length === 0 && now - rollout.stepStartedAt >= o.scaleDownDelayMs && oldLive.length > 0)
      actions.push({ type: 'drain-and-stop', instanceIds: oldLive.map((i) => i.id) });
    if (actions.length === 0 && oldLive.length === 0 && verified)
      return { ...step, ...patched, actions, outcome: 'done' };
    return { ...step, ...patched, actions, outcome: 'progressing' };
  },

  rollbackLimits(rollout) {
    // The old instances are usually still warm: allow both sets, never go below replicas.
    return { maxSurge: rollout.replicas, maxUnavailable: 0 };
  },
};
