/** When a client may try to log in again, after too many failures. In memory: it resets on restart. */
export interface LoginLimiter {
  /** Whole seconds to wait before the next try, or 0 when the address may try now. */
  retryAfter(address: string): number;
  failed(address: string): void;
  /** A good login forgets the address's failures. */
  succeeded(address: string): void;
}

export interface LoginLimiterOptions {
  clock?: { now(): number };
  /** Failures allowed per window (5). */
  max?: number;
  /** 5 minutes. */
  windowMs?: number;
  /** Addresses remembered at most (the least recently failed are forgotten first). */
  maxAddresses?: number;
}

/** A sliding window of failure times per client address, in a bounded map. */
export function createLoginLimiter(opts: LoginLimiterOptions = {}): LoginLimiter {
  const clock = opts.clock ?? { now: () => Date.now() };
  const max = opts.max ?? 5;
  const windowMs = opts.windowMs ?? 5 * 60_000;
  const maxAddresses = opts.maxAddresses ?? 10_000;
  const failures = new Map<string, number[]>();

  const recent = (address: string, now: number): number[] => {
    const times = (failures.get(address) ?? []).filter((t) => now - t < windowMs);
    if (times.length === 0) failures.delete(address);
    return times;
  };

  return {
    retryAfter(address) {
      const now = clock.now();
      const times = recent(address, now);
      if (times.length < max) return 0;
      const oldest = times[times.length - max] as number;
      return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    },
    failed(address) {
      const now = clock.now();
      const times = recent(address, now);
      times.push(now);
      // Re-inserted last, so the first key is the least recently failed.
      failures.delete(address);
      failures.set(address, times.slice(-max));
      while (failures.size > maxAddresses) {
        const first = failures.keys().next().value;
        if (first === undefined) break;
        failures.delete(first);
      }
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}
