export { isLoopbackAddress, isLoopbackHost } from './addresses.js';
export { type AuditLog, createAuditLog } from './audit-log.js';
export { ensureLocalToken, type LocalToken, localTokenPath } from './bootstrap.js';
export { clearSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';
export { type LoginOutcome, login } from './login.js';
export { createLoginLimiter, type LoginLimiter, type LoginLimiterOptions } from './login-limiter.js';
export { LOCAL_PRINCIPAL, principalOf } from './principal.js';
export {
  CSRF_HEADER,
  constantTimeEqual,
  createRequestAuth,
  type RequestAuthOptions,
} from './request-auth.js';
