import { TandemError } from '../errors.js';

/**
 * A failed delivery attempt. `retryable` is the notifier's verdict (network errors, timeouts,
 * 408/429/5xx are; other answers are not); `retryAfterMs` is the receiver's Retry-After.
 * The message names the receiver by its safe name only, never its full URL.
 */
export class NotificationDeliveryError extends TandemError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** The receiver's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; status?: number; cause?: unknown },
  ) {
    super('TANDEM_NOTIFY_DELIVERY_FAILED', message, { cause: options.cause });
    this.name = 'NotificationDeliveryError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

export function isNotificationDeliveryError(err: unknown): err is NotificationDeliveryError {
  return err instanceof NotificationDeliveryError;
}
