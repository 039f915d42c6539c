/**
 * What verifying an incoming push delivery yields: accepted (with the delivery id for replay
 * detection), or refused with the HTTP status to answer and a stable code. 202 is for a
 * delivery that is authentic but not one Tandem acts on (an event it does not handle), so the
 * sender's delivery log stays green instead of retrying.
 */

export type WebhookProvider = 'github' | 'gitlab';

/** `ping` is GitHub's hello when a hook is created: authentic, acknowledged, ignored. */
export type WebhookEvent = 'push' | 'ping';

export type WebhookErrorCode =
  | 'TANDEM_WEBHOOK_SIGNATURE_MISSING'
  | 'TANDEM_WEBHOOK_SIGNATURE_MALFORMED'
  | 'TANDEM_WEBHOOK_SIGNATURE_INVALID'
  | 'TANDEM_WEBHOOK_TOKEN_MISSING'
  | 'TANDEM_WEBHOOK_TOKEN_INVALID'
  | 'TANDEM_WEBHOOK_EVENT_MISSING'
  | 'TANDEM_WEBHOOK_UNSUPPORTED_EVENT'
  | 'TANDEM_WEBHOOK_DELIVERY_MISSING'
  | 'TANDEM_WEBHOOK_DELIVERY_INVALID'
  | 'TANDEM_WEBHOOK_PAYLOAD_INVALID';

export interface WebhookVerified {
  ok: true;
  deliveryId: string;
  event: WebhookEvent;
}

export interface WebhookRejected {
  ok: false;
  status: 400 | 401 | 202;
  code: WebhookErrorCode;
  message: string;
}

export type VerifyResult = WebhookVerified | WebhookRejected;

export function rejected(
  status: WebhookRejected['status'],
  code: WebhookErrorCode,
  message: string,
): WebhookRejected {
  return { ok: false, status, code, message };
}
