/**
 * The state machine of one alert instance, evaluated once per tick: Prometheus' alerting-rule
 * semantics (inactive → pending for `for` → firing, kept firing for `keep_firing_for` after the
 * condition first evaluates false, then resolved) plus `nodata` as a state of its own.
 *
 * No data (value undefined) follows the rule's `nodata` policy: `ok` evaluates as false,
 * `firing` as true, and `nodata` (the default) moves to the `nodata` state at once, whatever the
 * state was. A pending alert that loses its data starts its `for` again afterwards (the
 * condition was not seen to hold). A firing alert that loses its data keeps `firedAt`: the
 * problem is not known to be over, so `isActive` still counts it, and when data comes back the
 * episode continues (still true: firing again without a new `firing` transition) or resolves.
 *
 * One transition per step. Leaving `nodata` reports `data-back`, unless the same step also fires
 * or resolves (those matter more to the notifier; it can tell from `prev.status` that data came
 * back). A pending alert whose condition clears goes back to inactive silently, as in Prometheus:
 * nothing was ever notified for it.
 */
import { compare } from './measure.js';
import type { AlertRuleBase, AlertState, AlertStatus, StepResult } from './types.js';

export type StepRule = Pick<AlertRuleBase, 'when' | 'for' | 'keepFiringFor' | 'nodata'>;

export function step(
  prev: AlertState | undefined,
  value: number | undefined,
  rule: StepRule,
  now: number,
): StepResult {
  const from: AlertState = prev ?? { status: 'inactive', since: now, lastEvalAt: now };
  const evaluated = { lastEvalAt: now, ...(value === undefined ? {} : { lastValue: value }) };

  if (value === undefined && rule.nodata === 'nodata') {
    if (from.status === 'nodata') return { state: { ...withoutLastValue(from), ...evaluated } };
    const wasFiring = from.status === 'firing';
    return {
      state: {
        status: 'nodata',
        since: now,
        ...(wasFiring && from.firedAt !== undefined
          ? { firedAt: from.firedAt, activeAt: from.activeAt }
          : {}),
        ...(wasFiring && from.keepFiringSince !== undefined ? { keepFiringSince: from.keepFiringSince } : {}),
        ...(from.resolvedAt === undefined ? {} : { resolvedAt: from.resolvedAt }),
        ...evaluated,
      },
      transition: 'nodata',
    };
  }

  const holds = value === undefined ? rule.nodata === 'firing' : compare(rule.when, value);
  // Out of nodata, continue from the episode it interrupted: firing if it had fired, else inactive.
  const dataBack = from.status === 'nodata';
  const base: AlertState = dataBack
    ? { ...from, status: from.firedAt === undefined ? 'inactive' : 'firing' }
    : from;
  const next = advance(base, holds, rule, now);
  const state: AlertState = { ...withoutLastValue(next.state), ...evaluated };
  if (dataBack) state.since = now;
  if (!dataBack) return next.transition === undefined ? { state } : { state, transition: next.transition };
  const transition =
    next.transition === 'firing' || next.transition === 'resolved' ? next.transition : 'data-back';
  return { state, transition };
}

function advance(s: AlertState, holds: boolean, rule: StepRule, now: number): StepResult {
  switch (s.status) {
    case 'inactive':
      if (!holds) return { state: s };
      if (rule.for <= 0) {
        return { state: enter(s, 'firing', now, { activeAt: now, firedAt: now }), transition: 'firing' };
      }
      return { state: enter(s, 'pending', now, { activeAt: now }), transition: 'pending' };
    case 'pending': {
      if (!holds) return { state: enter(s, 'inactive', now, {}) };
      const activeAt = s.activeAt ?? now;
      if (now - activeAt >= rule.for) {
        return { state: enter(s, 'firing', now, { activeAt, firedAt: now }), transition: 'firing' };
      }
      return { state: s };
    }
    case 'firing': {
      if (holds) {
        const { keepFiringSince: _cleared, ...rest } = s;
        return { state: rest };
      }
      const keepFiringSince = s.keepFiringSince ?? now;
      if (now - keepFiringSince >= rule.keepFiringFor) {
        return { state: enter(s, 'inactive', now, { resolvedAt: now }), transition: 'resolved' };
      }
      return { state: { ...s, keepFiringSince } };
    }
    case 'nodata':
      // step() maps nodata to the interrupted state before advancing.
      return { state: s };
  }
}

/** A new status: the episode fields are rebuilt from `fields`, only resolvedAt carries over. */
function enter(s: AlertState, status: AlertStatus, now: number, fields: Partial<AlertState>): AlertState {
  return {
    status,
    since: now,
    lastEvalAt: s.lastEvalAt,
    ...(s.resolvedAt === undefined ? {} : { resolvedAt: s.resolvedAt }),
    ...fields,
  };
}

function withoutLastValue(s: AlertState): AlertState {
  const { lastValue: _dropped, ...rest } = s;
  return rest;
}

/**
 * Whether the alert is a live problem: firing, or firing when its data went missing (missing
 * data is never taken as the all-clear). Incidents and notifications count these.
 */
export function isActive(state: AlertState | undefined): boolean {
  return (
    state !== undefined &&
    (state.status === 'firing' || (state.status === 'nodata' && state.firedAt !== undefined))
  );
}
