/**
 * Manual control of a rollout (`tandem promote|abort|pause|resume ENV`), pure: a command turns
 * the stored record into the next one, which the caller persists; the reconciler's decide()
 * then acts on it (an abort rolls back, a promote advances, ...). A command that makes no sense
 * in the rollout's state is refused with a message saying what to do instead.
 *
 * - promote (canary only): the current step advances as soon as it is in place, whatever its
 *   pause and the analysis (`full`: all remaining steps and the analysis are skipped). Resumes
 *   a paused rollout.
 * - abort: `aborted` with the reason; decide() rolls back (traffic to stable first).
 * - pause: `paused`; decide() leaves a paused rolling or blue-green rollout untouched and holds
 *   a paused canary at its step (see strategies/canary.ts). Not once a canary is past its last
 *   step (it is converging; abort it instead).
 * - resume: back to `progressing`; the progress deadline starts over, and so does the analysis'
 *   inconclusive streak, so it does not pause again at the next thin window; a rolling or
 *   blue-green verification starts over.
 */
import { resume as resumeAnalysis } from './analysis/run.js';
import { WAITING_FOR_PROMOTE } from './strategies/canary.js';
import type { CanaryStrategy, Rollout } from './types.js';

export type RolloutCommand =
  | { type: 'promote'; full?: boolean }
  | { type: 'abort'; reason?: string }
  | { type: 'pause' }
  | { type: 'resume' };

export type CommandResult = { rollout: Rollout } | { error: string };

export const ABORTED_BY_OPERATOR = 'aborted by operator';
export const PAUSED_BY_OPERATOR = 'paused by operator; tandem resume, tandem promote or tandem abort';

export function command(rollout: Rollout, cmd: RolloutCommand, now: number): CommandResult {
  const name = `the rollout of ${rollout.service} to ${rollout.to}`;
  const finished = finishedError(rollout, name, cmd.type);
  if (finished !== undefined) return { error: finished };
  switch (cmd.type) {
    case 'promote':
      return promote(rollout, name, cmd.full === true, now);
    case 'abort':
      return {
        rollout: clear(
          {
            ...rollout,
            state: 'aborted',
            step: 0,
            stepStartedAt: now,
            updatedAt: now,
            reason: cmd.reason?.trim() ? `${ABORTED_BY_OPERATOR}: ${cmd.reason.trim()}` : ABORTED_BY_OPERATOR,
          },
          'pausedReason',
          'promote',
          'weightReachedAt',
        ),
      };
    case 'pause':
      return pause(rollout, name, now);
    case 'resume':
      if (rollout.state !== 'paused') return { error: `${name} is not paused (it is ${rollout.state})` };
      if (rollout.pausedReason === WAITING_FOR_PROMOTE)
        return {
          error: `${name} is waiting at a step with no pause: tandem promote to go on, or tandem abort to roll back`,
        };
      return { rollout: resumed(rollout, now) };
  }
}

/** Refusals common to every command on a rollout that is over or not started. */
function finishedError(rollout: Rollout, name: string, type: RolloutCommand['type']): string | undefined {
  switch (rollout.state) {
    case 'promoted':
      return type === 'abort'
        ? `${name} is already promoted, there is nothing to abort: deploy the previous release to go back`
        : `${name} is already promoted`;
    case 'aborted':
      return `${name} was aborted (${firstLine(rollout.reason)}) and is rolling back`;
    case 'rolled-back':
      return `${name} was aborted (${firstLine(rollout.reason)}) and rolled back: deploy again to retry`;
    case 'awaiting-approval':
      return type === 'abort' ? undefined : `${name} is awaiting approval: tandem approve it first`;
    default:
      return undefined;
  }
}

function promote(rollout: Rollout, name: string, full: boolean, now: number): CommandResult {
  if (rollout.strategy.name !== 'canary')
    return {
      error: `${name} is a ${rollout.strategy.name} rollout, it proceeds by itself${rollout.state === 'paused' ? ': tandem resume it' : ''}; only a canary is promoted step by step`,
    };
  const steps = (rollout.strategy as CanaryStrategy).steps?.length ?? 0;
  if (rollout.state !== 'pending' && rollout.step >= steps)
    return { error: `${name} is past its last canary step and already converging on ${rollout.to}` };
  if (rollout.promote === 'full') return { error: `${name} already has a full promotion under way` };
  if (rollout.promote === 'step' && !full)
    return {
      error: `${name} already has a promotion of step ${rollout.step + 1} under way (it advances once its instances are healthy and in traffic); --full skips all remaining steps`,
    };
  const next: Rollout = { ...rollout, promote: full ? 'full' : 'step', updatedAt: now };
  return { rollout: next.state === 'paused' ? resumed(next, now) : next };
}

function pause(rollout: Rollout, name: string, now: number): CommandResult {
  if (rollout.state === 'paused')
    return { error: `${name} is already paused (${rollout.pausedReason ?? 'no reason'})` };
  if (rollout.state === 'pending')
    return { error: `${name} has not started yet: pause it once it is progressing, or tandem abort it` };
  if (
    rollout.strategy.name === 'canary' &&
    rollout.step >= ((rollout.strategy as CanaryStrategy).steps?.length ?? 0)
  )
    return {
      error: `${name} is past its last canary step and converging on ${rollout.to}: it cannot be paused, tandem abort rolls it back`,
    };
  return {
    rollout: clear(
      { ...rollout, state: 'paused', pausedReason: PAUSED_BY_OPERATOR, updatedAt: now },
      'promote',
    ),
  };
}

/**
 * Back to progressing: the deadline restarts, and the analysis' inconclusive streak with it. A
 * rolling or blue-green verification starts over (nothing was analysed while paused).
 */
function resumed(rollout: Rollout, now: number): Rollout {
  const config = rollout.strategy.analysis;
  const next: Rollout = { ...rollout, state: 'progressing', stepStartedAt: now, updatedAt: now };
  if (next.analysis !== undefined && config !== undefined)
    next.analysis = resumeAnalysis(next.analysis, config);
  return clear(next, 'pausedReason', 'verifySince');
}

function clear(rollout: Rollout, ...keys: Array<keyof Rollout>): Rollout {
  const next = { ...rollout };
  for (const key of keys) delete next[key];
  return next;
}

function firstLine(reason: string | undefined): string {
  return (reason ?? 'no reason recorded').split('\n')[0] ?? '';
}
