import { logger } from '../log/logger.js';
import { isNotificationDeliveryError } from './delivery-error.js';
import { type RetryPolicy, retryDelayMs, retryPolicy } from './retry-policy.js';
import { type Clock, systemClock, systemTimers, type Timers } from './timers.js';
import type { Notification, NotificationType, Notifier } from './types.js';

/**
 * Fans notifications out to every receiver without ever making a rollout wait: `notify` only
 * queues. Each receiver has its own lane, delivered in order, one at a time (so "started" never
 * lands after "promoted"), retried with exponential backoff when a retry may help. A slow or
 * dead receiver only holds up its own lane; a lane holds at most `maxQueue` notifications and
 * drops its oldest when full, so a receiver that is down for a day cannot eat the memory.
 */

export interface DeliveryResult {
  /** The notifier's safe name (no query string, no secret). */
  notifier: string;
  id: string;
  type: NotificationType;
  ok: boolean;
  /** send() calls made; 0 when dropped before its first attempt. */
  attempts: number;
  /** Why it was not delivered (the last attempt's error). */
  error?: string;
  /** From queueing to the result, on the dispatcher's clock. */
  durationMs: number;
}

export interface DispatcherOptions extends Partial<RetryPolicy> {
  notifiers: readonly Notifier[];
  clock?: Clock;
  timers?: Timers;
  /** Notifications waiting per receiver before the oldest is dropped (default 100). */
  maxQueue?: number;
  /** Every delivery's outcome, once; by default logged (warn on failure, debug on success). */
  onResult?: (result: DeliveryResult) => void;
}

export interface DrainResult {
  /** Deliveries still queued, waiting or in flight when the timeout came; reported as failed. */
  abandoned: number;
}

export interface Dispatcher {
  /** Queues `n` for every receiver and returns at once; never throws. */
  notify(n: Notification): void;
  /**
   * For shutdown: waits until every queued delivery has finished (delivered or given up), at
   * most `timeoutMs`; then abandons the rest (pending retries cancelled, requests aborted).
   * The dispatcher stays usable afterwards.
   */
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Deliveries not finished yet, over all receivers. */
  pending(): number;
}

export const DEFAULT_MAX_QUEUE = 100;

interface Ticket {
  n: Notification;
  queuedAt: number;
  abandoned: boolean;
  controller?: AbortController;
  /** Ends a retry wait early (abandonment). */
  wake?: () => void;
}

interface Lane {
  notifier: Notifier;
  queue: Ticket[];
  current: Ticket | undefined;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const policy = retryPolicy(options);
  const maxQueue = Math.max(1, options.maxQueue ?? DEFAULT_MAX_QUEUE);
  const onResult = options.onResult ?? logDeliveryResult;
  const lanes: Lane[] = options.notifiers.map((notifier) => ({ notifier, queue: [], current: undefined }));
  const idleWaiters = new Set<() => void>();

  const pending = () => lanes.reduce((sum, l) => sum + l.queue.length + (l.current === undefined ? 0 : 1), 0);

  function report(lane: Lane, t: Ticket, ok: boolean, attempts: number, error?: string): void {
    const result: DeliveryResult = {
      notifier: lane.notifier.name,
      id: t.n.id,
      type: t.n.type,
      ok,
      attempts,
      ...(error === undefined ? {} : { error }),
      durationMs: Math.max(0, clock.now() - t.queuedAt),
    };
    try {
      onResult(result);
    } catch {
      // A broken result callback must not stop the lane.
    }
  }

  function wait(t: Ticket, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = timers.setTimeout(
        () => {
          t.wake = undefined;
          resolve();
        },
        ms,
        { unref: true },
      );
      t.wake = () => {
        timers.clearTimeout(handle);
        t.wake = undefined;
        resolve();
      };
    });
  }

  async function deliver(lane: Lane, t: Ticket): Promise<void> {
    let attempts = 0;
    let lastError = '';
    while (!t.abandoned) {
      attempts++;
      const controller = new AbortController();
      t.controller = controller;
      try {
        // Deferred, so notify() never runs receiver code, and a synchronous throw is caught too.
        await Promise.resolve().then(() => lane.notifier.send(t.n, { signal: controller.signal }));
        report(lane, t, true, attempts);
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        if (t.abandoned) break;
        const retryable = isNotificationDeliveryError(err) ? err.retryable : true;
        if (!retryable || attempts >= policy.maxAttempts) {
          const tail = retryable ? ` (gave up after ${attempts} attempts)` : '';
          report(lane, t, false, attempts, `${lastError}${tail}`);
          return;
        }
        const retryAfterMs = isNotificationDeliveryError(err) ? err.retryAfterMs : undefined;
        await wait(t, retryDelayMs(attempts, retryAfterMs, policy));
      } finally {
        t.controller = undefined;
      }
    }
    report(lane, t, false, attempts, `abandoned at shutdown${lastError === '' ? '' : `: ${lastError}`}`);
  }

  async function run(lane: Lane): Promise<void> {
    try {
      for (let t = lane.queue.shift(); t !== undefined; t = lane.queue.shift()) {
        lane.current = t;
        await deliver(lane, t);
        lane.current = undefined;
      }
    } finally {
      lane.current = undefined;
      if (pending() === 0) for (const resolve of [...idleWaiters]) resolve();
    }
  }

  function abandonAll(): number {
    let count = 0;
    for (const lane of lanes) {
      for (const t of lane.queue.splice(0)) {
        count++;
        report(lane, t, false, 0, 'abandoned at shutdown before its first attempt');
      }
      const t = lane.current;
      if (t !== undefined && !t.abandoned) {
        count++;
        t.abandoned = true;
        t.controller?.abort();
        t.wake?.();
      }
    }
    return count;
  }

  return {
    notify(n) {
      try {
        const queuedAt = clock.now();
        for (const lane of lanes) {
          lane.queue.push({ n, queuedAt, abandoned: false });
          if (lane.queue.length > maxQueue) {
            const dropped = lane.queue.shift()!;
            report(lane, dropped, false, 0, `dropped: ${maxQueue} notifications were already waiting`);
          }
          if (lane.current === undefined) void run(lane);
        }
      } catch {
        // Never let a notification break the caller (a rollout).
      }
    },

    drain(timeoutMs) {
      if (pending() === 0) return Promise.resolve({ abandoned: 0 });
      return new Promise<DrainResult>((resolve) => {
        const done = (abandoned: number) => {
          idleWaiters.delete(onIdle);
          timers.clearTimeout(handle);
          resolve({ abandoned });
        };
        const onIdle = () => done(0);
        idleWaiters.add(onIdle);
        // Not unref'd: while draining, waiting for pending retries is the point.
        const handle = timers.setTimeout(() => done(abandonAll()), Math.max(0, timeoutMs));
      });
    },

    pending,
  };
}

/** The default result callback: a failure is a warning, a delivery is debug detail. */
export function logDeliveryResult(result: DeliveryResult): void {
  const log = logger();
  if (result.ok) log.debug(result, 'notification delivered');
  else log.warn(result, 'notification not delivered');
}
