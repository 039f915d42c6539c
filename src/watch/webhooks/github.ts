import { createHmac, timingSafeEqual } from 'node:crypto';
import { assertSecret, deliveryIdOrReject, type HeaderBag, header } from './headers.js';
import { rejected, type VerifyResult } from './result.js';

/**
 * A GitHub-compatible push delivery (GitHub, Gitea, Forgejo send the same headers):
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` checked in constant time
 * before anything else is looked at, then `X-GitHub-Event` (`push`, or `ping` to acknowledge)
 * and `X-GitHub-Delivery`, the id that makes a repeated delivery a no-op.
 *
 * `body` must be the exact bytes received: a body parsed and re-serialised does not verify.
 */
export function verifyGitHub(input: { body: Buffer; headers: HeaderBag; secret: string }): VerifyResult {
  assertSecret(input.secret, 'GitHub');
  const signature = header(input.headers, 'x-hub-signature-256');
  if (signature === undefined) {
    const sha1Only = header(input.headers, 'x-hub-signature') !== undefined;
    return rejected(
      401,
      'TANDEM_WEBHOOK_SIGNATURE_MISSING',
      sha1Only
        ? 'the delivery is signed with SHA-1 only (X-Hub-Signature); Tandem accepts X-Hub-Signature-256'
        : 'the delivery is not signed (no X-Hub-Signature-256); set the webhook secret in the repository’s webhook settings',
    );
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature);
  if (match === null) {
    return rejected(
      400,
      'TANDEM_WEBHOOK_SIGNATURE_MALFORMED',
      'X-Hub-Signature-256 must be "sha256=" followed by 64 hex digits',
    );
  }
  const expected = createHmac('sha256', input.secret).update(input.body).digest();
  // Both 32 bytes (the pattern above guarantees it), as timingSafeEqual requires.
  if (!timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'))) {
    return rejected(
      401,
      'TANDEM_WEBHOOK_SIGNATURE_INVALID',
      'X-Hub-Signature-256 does not match the body: the webhook secret differs from the one Tandem has',
    );
  }

  const event = header(input.headers, 'x-github-event');
  if (event === undefined) {
    return rejected(400, 'TANDEM_WEBHOOK_EVENT_MISSING', 'the delivery has no X-GitHub-Event header');
  }
  if (event !== 'push' && event !== 'ping') {
    return rejected(
      202,
      'TANDEM_WEBHOOK_UNSUPPORTED_EVENT',
      `ignored a "${event.slice(0, 64)}" event: Tandem acts on "push" only (select just the push event in the webhook settings)`,
    );
  }
  const delivery = deliveryIdOrReject(header(input.headers, 'x-github-delivery'), 'X-GitHub-Delivery');
  if ('ok' in delivery) return delivery;
  return { ok: true, deliveryId: delivery.id, event };
}
