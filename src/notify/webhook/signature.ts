import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Tandem-Signature-256`: `sha256=<hex HMAC-SHA256 of the exact body bytes>`, the scheme
 * GitHub uses, so receivers can reuse their verification code.
 */
export const SIGNATURE_HEADER = 'x-tandem-signature-256';

export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a signature header against the body. */
export function verifyBodySignature(
  body: string | Buffer,
  header: string | undefined,
  secret: string,
): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(header.slice('sha256='.length), 'hex'));
}
