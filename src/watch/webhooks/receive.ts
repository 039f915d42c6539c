import { isTandemError } from '../../errors.js';
import type { DeliveryLog } from './delivery-log.js';
import { verifyGitHub } from './github.js';
import { verifyGitLab } from './gitlab.js';
import { type HeaderBag, header } from './headers.js';
import { type PushEvent, readPush } from './push.js';
import { rejected, type WebhookProvider, type WebhookRejected } from './result.js';

/**
 * One incoming push delivery from raw request to decision, for the HTTP route to answer with
 * `status` and act on `push`: verify (signature or token), skip a ping or a delivery id already
 * acted on, parse the payload, and record the id. Nothing is recorded for a delivery that is
 * refused, so the sender's retry of a delivery Tandem could not read still gets through.
 */

export interface ReceivePushInput {
  provider: WebhookProvider;
  /** The raw body bytes, exactly as received (the route should cap their size). */
  body: Buffer;
  headers: HeaderBag;
  secret: string;
  deliveries: DeliveryLog;
  now?: () => Date;
}

export interface PushAccepted {
  ok: true;
  kind: 'push';
  /** Accepted: the pipeline runs after the answer. */
  status: 202;
  deliveryId: string;
  push: PushEvent;
}

export interface DeliveryIgnored {
  ok: true;
  kind: 'ignored';
  status: 200;
  deliveryId: string;
  reason: 'ping' | 'duplicate';
  message: string;
}

export type ReceivePushResult = PushAccepted | DeliveryIgnored | WebhookRejected;

export function receivePush(input: ReceivePushInput): ReceivePushResult {
  const verified =
    input.provider === 'github'
      ? verifyGitHub({ body: input.body, headers: input.headers, secret: input.secret })
      : verifyGitLab({ headers: input.headers, secret: input.secret });
  if (!verified.ok) return verified;
  const { deliveryId } = verified;

  if (verified.event === 'ping') {
    return { ok: true, kind: 'ignored', status: 200, deliveryId, reason: 'ping', message: 'pong' };
  }
  if (input.deliveries.seen(deliveryId)) {
    return {
      ok: true,
      kind: 'ignored',
      status: 200,
      deliveryId,
      reason: 'duplicate',
      message: `delivery ${deliveryId} was already received; nothing done`,
    };
  }
  let push: PushEvent;
  try {
    push = readPush(input.provider, input.body, header(input.headers, 'content-type'));
  } catch (err) {
    if (isTandemError(err)) return rejected(400, 'TANDEM_WEBHOOK_PAYLOAD_INVALID', err.message);
    throw err;
  }
  input.deliveries.record(deliveryId, (input.now ?? (() => new Date()))());
  return { ok: true, kind: 'push', status: 202, deliveryId, push };
}
