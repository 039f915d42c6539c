/**
 * Flap damping. An alert that changes state (firing ↔ resolved; its first firing counts) more
 * than `threshold` times within `windowMs` is flapping. While it flaps it is held as *firing,
 * flapping*: its individual changes are not notified, the group's notification says it flaps
 * (once, when it starts). It stops flapping after `stableMs` without a change, and then its real
 * state is notified once: resolved, or firing and no longer flapping.
 *
 * Why held as firing rather than at whatever state it had: a service that keeps going up and
 * down is broken, and owners should not get an "all clear" until it has stayed clear (Uptime
 * Kuma users ask exactly for a delayed UP, louislam/uptime-kuma#1315).
 *
 * Defaults: more than 4 changes in 10 min, stable for 5 min. With an evaluation every 15 s and
 * `for` of a minute or more, a real incident (fire, resolve, maybe one relapse) stays under 4.
 */

export interface FlapOptions {
  /** More changes than this within the window is flapping. */
  threshold: number;
  windowMs: number;
  /** Without a change for this long, it is no longer flapping. */
  stableMs: number;
}

export const DEFAULT_FLAP_OPTIONS: FlapOptions = {
  threshold: 4,
  windowMs: 10 * 60_000,
  stableMs: 5 * 60_000,
};

export interface FlapState {
  /** Times (ms) of the state changes within the window, oldest first. */
  changes: number[];
  /** The last change, kept when the window has forgotten it (a stable period longer than the window). */
  lastChangeAt: number | undefined;
  flapping: boolean;
}

export function flapOptions(overrides: Partial<FlapOptions> = {}): FlapOptions {
  const pick = (v: number | undefined, fallback: number, min: number) =>
    v !== undefined && Number.isFinite(v) && v >= min ? v : fallback;
  return {
    threshold: Math.floor(pick(overrides.threshold, DEFAULT_FLAP_OPTIONS.threshold, 1)),
    windowMs: pick(overrides.windowMs, DEFAULT_FLAP_OPTIONS.windowMs, 1),
    stableMs: pick(overrides.stableMs, DEFAULT_FLAP_OPTIONS.stableMs, 0),
  };
}

export const stableState = (): FlapState => ({ changes: [], lastChangeAt: undefined, flapping: false });

/** After a state change at `now`: flapping once the changes within the window exceed the threshold. */
export function recordChange(state: FlapState, now: number, options: FlapOptions): FlapState {
  const changes = [...withinWindow(state.changes, now, options), now];
  return { changes, lastChangeAt: now, flapping: state.flapping || changes.length > options.threshold };
}

/** At `now` without a change: no longer flapping once stable long enough; forgets old changes. */
export function settle(state: FlapState, now: number, options: FlapOptions): FlapState {
  const last = state.lastChangeAt;
  const flapping = state.flapping && last !== undefined && now - last < options.stableMs;
  const changes = withinWindow(state.changes, now, options);
  if (flapping === state.flapping && changes.length === state.changes.length) return state;
  return { changes, lastChangeAt: last, flapping };
}

function withinWindow(changes: readonly number[], now: number, options: FlapOptions): number[] {
  return changes.filter((t) => now - t < options.windowMs);
}
