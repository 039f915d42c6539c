/** The admin API's one bearer token: made at start, compared in constant time. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether the Authorization header carries `token`. Both sides are hashed first so that
 * timingSafeEqual compares equal lengths and a wrong token's length leaks nothing either.
 */
export function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
