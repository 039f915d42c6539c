import { describe, expect, it } from 'vitest';
import { createLoginLimiter } from './login-limiter.js';

describe('login limiter', () => {
  it('blocks after 5 failures in 5 minutes, per address, until the oldest leaves the window', () => {
    let now = 0;
    const limiter = createLoginLimiter({ clock: { now: () => now } });
    for (let i = 0; i < 4; i++) {
      limiter.failed('a');
      now += 1000;
    }
    expect(limiter.retryAfter('a')).toBe(0);
    limiter.failed('a');
    expect(limiter.retryAfter('a')).toBe(296); // first failure at 0 s, now 4 s
    expect(limiter.retryAfter('b')).toBe(0);
    now = 299_500;
    expect(limiter.retryAfter('a')).toBe(1);
    now = 300_000;
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('forgets an address after a good login', () => {
    const limiter = createLoginLimiter({ clock: { now: () => 0 }, max: 2 });
    limiter.failed('a');
    limiter.succeeded('a');
    limiter.failed('a');
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('remembers a bounded number of addresses, forgetting the least recently failed', () => {
    const limiter = createLoginLimiter({ clock: { now: () => 0 }, max: 1, maxAddresses: 3 });
    for (const a of ['a', 'b', 'c']) limiter.failed(a);
    limiter.failed('a'); // a is now the most recent
    limiter.failed('d');
    expect(['a', 'b', 'c', 'd'].map((a) => limiter.retryAfter(a) > 0)).toEqual([true, false, true, true]);
  });
});
