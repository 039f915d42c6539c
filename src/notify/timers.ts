/** The clock and timers the dispatcher waits with; tests pass fakes to check the backoff math. */

export interface Clock {
  /** ms since epoch. */
  now(): number;
}

export interface Timers {
  /**
   * `unref`: the timer alone does not keep the process alive (a retry wait must not hold up
   * the exit of a command that sent a notification; `drain` is how to wait for them).
   */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout(fn, ms, options) {
    const handle = setTimeout(fn, ms);
    if (options?.unref === true) handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
