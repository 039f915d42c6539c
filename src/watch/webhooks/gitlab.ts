import { createHash, timingSafeEqual } from 'node:crypto';
import { assertSecret, deliveryIdOrReject, type HeaderBag, header } from './headers.js';
import { rejected, type VerifyResult } from './result.js';

/**
 * A GitLab-compatible push delivery. GitLab does not sign the body: it sends the configured
 * secret token as `X-Gitlab-Token`, compared here in constant time (both sides hashed first,
 * so the compare is over equal lengths and leaks neither the token nor its length). Branch
 * pushes (`Push Hook`) and tag pushes (`Tag Push Hook`) are both `push`. The delivery id is
 * `X-Gitlab-Event-UUID` (the same for every hook the one event fires, so one push is one run),
 * or `Idempotency-Key`.
 */
export function verifyGitLab(input: { headers: HeaderBag; secret: string }): VerifyResult {
  assertSecret(input.secret, 'GitLab');
  const token = header(input.headers, 'x-gitlab-token');
  if (token === undefined) {
    return rejected(
      401,
      'TANDEM_WEBHOOK_TOKEN_MISSING',
      'the delivery has no X-Gitlab-Token; set the secret token in the project’s webhook settings',
    );
  }
  if (!timingSafeEqual(sha256(token), sha256(input.secret))) {
    return rejected(
      401,
      'TANDEM_WEBHOOK_TOKEN_INVALID',
      'X-Gitlab-Token does not match: the webhook’s secret token differs from the one Tandem has',
    );
  }

  const event = header(input.headers, 'x-gitlab-event');
  if (event === undefined) {
    return rejected(400, 'TANDEM_WEBHOOK_EVENT_MISSING', 'the delivery has no X-Gitlab-Event header');
  }
  if (event !== 'Push Hook' && event !== 'Tag Push Hook') {
    return rejected(
      202,
      'TANDEM_WEBHOOK_UNSUPPORTED_EVENT',
      `ignored a "${event.slice(0, 64)}" event: Tandem acts on push events only (select just "Push events" in the webhook settings)`,
    );
  }
  const delivery = deliveryIdOrReject(
    header(input.headers, 'x-gitlab-event-uuid') ?? header(input.headers, 'idempotency-key'),
    'X-Gitlab-Event-UUID or Idempotency-Key',
  );
  if ('ok' in delivery) return delivery;
  return { ok: true, deliveryId: delivery.id, event: 'push' };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
