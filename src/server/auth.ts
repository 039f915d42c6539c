/**
 * The one auth check every API route goes through. Today the API binds loopback only and trusts
 * local callers; tokens and roles (a later issue) plug in here without touching the routes.
 */
import type { IncomingMessage } from 'node:http';

export type AuthResult =
  | { ok: true; principal: string; roles: readonly string[] }
  | { ok: false; status: number; message: string };

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function authorize(req: IncomingMessage): AuthResult {
  const address = req.socket.remoteAddress ?? '';
  // Until tokens exist, the local user is the admin (every role check still runs).
  if (LOOPBACK.has(address)) return { ok: true, principal: 'local', roles: ['admin'] };
  return {
    ok: false,
    status: 403,
    message: `only local callers are allowed (got ${address}); tokens come in a later release`,
  };
}
