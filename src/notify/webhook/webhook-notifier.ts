import { TandemError } from '../../errors.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, parseReceiverUrl, postJson, redactUrl } from '../http.js';
import type { Notification, Notifier } from '../types.js';
import { signBody } from './signature.js';

export interface WebhookNotifierOptions {
  url: string;
  /**
   * Signs every body (`X-Tandem-Signature-256`). Optional so a receiver that checks nothing
   * still works, but a receiver should verify it.
   */
  secret?: string;
  /** Per attempt; 5 s by default. */
  timeoutMs?: number;
}

/**
 * A generic webhook: the notification itself as the JSON body, with `X-Tandem-Event` (its type),
 * `X-Tandem-Delivery` (its id, the same on every retry) and the HMAC signature.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const url = parseReceiverUrl(options.url, 'the webhook notifier URL');
  if (options.secret === '') {
    throw new TandemError(
      'TANDEM_NOTIFY_SECRET_EMPTY',
      'the webhook notifier secret is empty; set a long random secret or leave it out',
      { exitCode: 2 },
    );
  }
  const name = `webhook ${redactUrl(url)}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;

  return {
    name,
    async send(n: Notification, sendOptions = {}) {
      const body = JSON.stringify(webhookBody(n));
      const headers: Record<string, string> = { 'x-tandem-event': n.type, 'x-tandem-delivery': n.id };
      if (options.secret !== undefined) headers['x-tandem-signature-256'] = signBody(body, options.secret);
      await postJson({
        url,
        name,
        body,
        headers,
        timeoutMs,
        ...(sendOptions.signal === undefined ? {} : { signal: sendOptions.signal }),
      });
    },
  };
}

/** The body: the notification's fields in a fixed order (absent optional fields left out). */
export function webhookBody(n: Notification): Notification {
  return {
    id: n.id,
    type: n.type,
    at: n.at,
    ...(n.environment === undefined ? {} : { environment: n.environment }),
    ...(n.service === undefined ? {} : { service: n.service }),
    ...(n.release === undefined ? {} : { release: n.release }),
    summary: n.summary,
    data: n.data,
  };
}
