import { describe, expect, it } from 'vitest';
import { sampleNotification } from './contract.js';
import { NotificationDeliveryError } from './delivery-error.js';
import { createDispatcher, type DeliveryResult } from './dispatcher.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, retryPolicy } from './retry-policy.js';
import type { Clock, Timers } from './timers.js';
import type { Notifier } from './types.js';

/** Fake clock and timers: time moves only in advance(), which fires due timers in order. */
class FakeTime implements Clock, Timers {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets queued promise callbacks run (the dispatcher's awaits) without moving fake time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

type Outcome = 'ok' | 'hang' | Error;

/** A notifier that plays a script of outcomes (then 'ok') and records when it was called. */
function scripted(name: string, time: FakeTime, script: Outcome[] = []) {
  const calls: Array<{ id: string; at: number; signal: AbortSignal | undefined }> = [];
  const notifier: Notifier = {
    name,
    send(n, options) {
      calls.push({ id: n.id, at: time.now(), signal: options?.signal });
      const outcome = script.shift() ?? 'ok';
      if (outcome === 'ok') return Promise.resolve();
      if (outcome === 'hang') {
        return new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        });
      }
      return Promise.reject(outcome);
    },
  };
  return { notifier, calls };
}

const retryable = (status = 503, retryAfterMs?: number) =>
  new NotificationDeliveryError(`answered ${status}`, {
    retryable: true,
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
const refused = (status = 400) =>
  new NotificationDeliveryError(`answered ${status}`, { retryable: false, status });

function setup(
  notifiers: Notifier[],
  time: FakeTime,
  extra: { maxQueue?: number; maxAttempts?: number } = {},
) {
  const results: DeliveryResult[] = [];
  const dispatcher = createDispatcher({
    notifiers,
    clock: time,
    timers: time,
    onResult: (r) => results.push(r),
    ...extra,
  });
  return { dispatcher, results };
}

const n1 = sampleNotification({ id: 'n1' });
const n2 = sampleNotification({ id: 'n2', type: 'rollout.promoted' });

describe('retry policy', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((k) => retryDelayMs(k, undefined, DEFAULT_RETRY_POLICY));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(retryDelayMs(10_000, undefined, DEFAULT_RETRY_POLICY)).toBe(30_000);
  });

  it("uses the receiver's Retry-After instead, capped, never negative", () => {
    expect(retryDelayMs(1, 7_000, DEFAULT_RETRY_POLICY)).toBe(7_000);
    expect(retryDelayMs(4, 0, DEFAULT_RETRY_POLICY)).toBe(0);
    expect(retryDelayMs(1, 3_600_000, DEFAULT_RETRY_POLICY)).toBe(30_000);
    expect(retryDelayMs(1, -5, DEFAULT_RETRY_POLICY)).toBe(0);
  });

  it('defaults to 5 attempts and ignores nonsense overrides', () => {
    expect(retryPolicy()).toEqual({ maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000 });
    expect(retryPolicy({ maxAttempts: 0, initialDelayMs: -1, maxDelayMs: Number.NaN })).toEqual(
      DEFAULT_RETRY_POLICY,
    );
    expect(retryPolicy({ initialDelayMs: 60_000, maxDelayMs: 10 }).maxDelayMs).toBe(60_000);
  });
});

describe('dispatcher', () => {
  it('returns at once: nothing is sent before notify returns, and it never throws', async () => {
    const time = new FakeTime();
    const throwing: Notifier = {
      name: 'throws synchronously',
      send() {
        throw new Error('bug in a notifier');
      },
    };
    const ok = scripted('ok', time);
    const { dispatcher, results } = setup([throwing, ok.notifier], time, { maxAttempts: 2 });
    expect(() => dispatcher.notify(n1)).not.toThrow();
    expect(ok.calls).toHaveLength(0);
    await time.advance(0);
    expect(ok.calls).toHaveLength(1);
    await time.advance(1_000);
    expect(results.map((r) => [r.notifier, r.ok, r.attempts])).toEqual([
      ['ok', true, 1],
      ['throws synchronously', false, 2],
    ]);
    expect(results[1]!.error).toContain('bug in a notifier');
  });

  it('retries 1 s, 2 s, 4 s, 8 s apart and reports one success with the attempt count', async () => {
    const time = new FakeTime();
    const r = scripted('r', time, [retryable(), retryable(500), new Error('fetch failed'), retryable(429)]);
    const { dispatcher, results } = setup([r.notifier], time);
    dispatcher.notify(n1);
    await time.advance(60_000);
    expect(r.calls.map((c) => c.at)).toEqual([0, 1_000, 3_000, 7_000, 15_000]);
    expect(results).toEqual([
      { notifier: 'r', id: 'n1', type: 'rollout.aborted', ok: true, attempts: 5, durationMs: 15_000 },
    ]);
  });

  it('gives up after maxAttempts and says why', async () => {
    const time = new FakeTime();
    const r = scripted(
      'r',
      time,
      Array.from({ length: 10 }, () => retryable(502)),
    );
    const { dispatcher, results } = setup([r.notifier], time);
    dispatcher.notify(n1);
    await time.advance(10 * 60_000);
    expect(r.calls).toHaveLength(5);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, attempts: 5 });
    expect(results[0]!.error).toBe('answered 502 (gave up after 5 attempts)');
  });

  it('does not retry what the receiver refused (a 4xx)', async () => {
    const time = new FakeTime();
    const r = scripted('r', time, [refused(400)]);
    const { dispatcher, results } = setup([r.notifier], time);
    dispatcher.notify(n1);
    await time.advance(60_000);
    expect(r.calls).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, attempts: 1, error: 'answered 400' });
  });

  it("waits the receiver's Retry-After, capped at the maximum delay", async () => {
    const time = new FakeTime();
    const r = scripted('r', time, [retryable(429, 7_000), retryable(503, 3_600_000)]);
    const { dispatcher, results } = setup([r.notifier], time);
    dispatcher.notify(n1);
    await time.advance(120_000);
    expect(r.calls.map((c) => c.at)).toEqual([0, 7_000, 37_000]);
    expect(results[0]).toMatchObject({ ok: true, attempts: 3 });
  });

  it('a hanging or failing receiver never delays another', async () => {
    const time = new FakeTime();
    const hanging = scripted('hanging', time, ['hang']);
    const failing = scripted('failing', time, [retryable(), retryable(), retryable()]);
    const ok = scripted('ok', time);
    const { dispatcher, results } = setup([hanging.notifier, failing.notifier, ok.notifier], time);
    dispatcher.notify(n1);
    dispatcher.notify(n2);
    await time.advance(0);
    expect(results.map((r) => `${r.notifier}:${r.id}`)).toEqual(['ok:n1', 'ok:n2']);
    expect(dispatcher.pending()).toBe(4);
  });

  it('delivers in order per receiver: a retried notification is not overtaken', async () => {
    const time = new FakeTime();
    const r = scripted('r', time, [retryable()]);
    const { dispatcher, results } = setup([r.notifier], time);
    dispatcher.notify(n1);
    dispatcher.notify(n2);
    await time.advance(5_000);
    expect(r.calls.map((c) => `${c.id}@${c.at}`)).toEqual(['n1@0', 'n1@1000', 'n2@1000']);
    expect(results.map((x) => x.id)).toEqual(['n1', 'n2']);
  });

  it('drops the oldest waiting notification when a lane is full', async () => {
    const time = new FakeTime();
    const r = scripted('r', time, ['hang']);
    const { dispatcher, results } = setup([r.notifier], time, { maxQueue: 2 });
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) dispatcher.notify(sampleNotification({ id }));
    await time.advance(0);
    // 'a' is in flight, 'b' was the oldest waiting.
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id: 'b', ok: false, attempts: 0 });
    expect(results[0]!.error).toMatch(/dropped/);
    expect(dispatcher.pending()).toBe(3);
  });

  it('keeps going when the result callback throws', async () => {
    const time = new FakeTime();
    const r = scripted('r', time);
    let calls = 0;
    const dispatcher = createDispatcher({
      notifiers: [r.notifier],
      clock: time,
      timers: time,
      onResult: () => {
        calls++;
        throw new Error('logger broke');
      },
    });
    dispatcher.notify(n1);
    dispatcher.notify(n2);
    await time.advance(0);
    expect(calls).toBe(2);
    expect(dispatcher.pending()).toBe(0);
  });

  describe('drain', () => {
    it('resolves at once when nothing is pending', async () => {
      const time = new FakeTime();
      const { dispatcher } = setup([scripted('r', time).notifier], time);
      await expect(dispatcher.drain(1_000)).resolves.toEqual({ abandoned: 0 });
    });

    it('waits for pending retries that finish within the timeout', async () => {
      const time = new FakeTime();
      const r = scripted('r', time, [retryable(), retryable()]);
      const { dispatcher, results } = setup([r.notifier], time);
      dispatcher.notify(n1);
      let drained: unknown;
      void dispatcher.drain(10_000).then((d) => {
        drained = d;
      });
      await time.advance(2_999);
      expect(drained).toBeUndefined();
      await time.advance(1);
      expect(drained).toEqual({ abandoned: 0 });
      expect(results[0]).toMatchObject({ ok: true, attempts: 3 });
    });

    it('abandons what is left at the timeout: aborts requests, cancels retry waits, reports each', async () => {
      const time = new FakeTime();
      const hanging = scripted('hanging', time, ['hang']);
      const retrying = scripted(
        'retrying',
        time,
        Array.from({ length: 5 }, () => retryable()),
      );
      const { dispatcher, results } = setup([hanging.notifier, retrying.notifier], time);
      dispatcher.notify(n1);
      dispatcher.notify(n2);
      const drained = dispatcher.drain(2_500);
      await time.advance(2_500);
      await expect(drained).resolves.toEqual({ abandoned: 4 });
      await time.advance(0);
      expect(hanging.calls[0]!.signal?.aborted).toBe(true);
      // The retrying lane made its attempts at 0 and 1 s; the 3 s retry never happened.
      expect(retrying.calls.map((c) => c.at)).toEqual([0, 1_000]);
      expect(results.filter((r) => !r.ok)).toHaveLength(4);
      for (const r of results) expect(r.error).toMatch(/abandoned at shutdown/);
      expect(dispatcher.pending()).toBe(0);
      await time.advance(60_000);
      expect(retrying.calls).toHaveLength(2);

      // Still usable afterwards.
      dispatcher.notify(sampleNotification({ id: 'later' }));
      await time.advance(0);
      expect(results.at(-1)).toMatchObject({ id: 'later', ok: true });
    });
  });
});
