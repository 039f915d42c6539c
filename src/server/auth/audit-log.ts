import { logger } from '../../log/logger.js';
import type { Store } from '../../store/store.js';
import type { AuditEntry } from '../auth-port.js';

export interface AuditLog {
  /**
   * Writes one entry (the pipeline's AuditSink: pass `auditLog.record`). Never throws — a
   * failure is logged as a warning — so it cannot fail the request.
   */
  record(entry: AuditEntry): Promise<void>;
}

const SENSITIVE_KEY = /token|secret|password|passphrase|cookie|csrf|authorization|credential|key$/i;
const TOKEN_TEXT = /tdm_[0-9A-Za-z]{4}[0-9A-Za-z]*/g;

export function createAuditLog(store: Pick<Store, 'audit'>): AuditLog {
  const record = async (entry: AuditEntry): Promise<void> => {
    try {
      await store.audit.append({
        at: entry.at,
        principal:
          entry.principalId === null
            ? null
            : { id: entry.principalId, name: entry.principal ?? entry.principalId },
        role: entry.role,
        action: clip(entry.action, 300),
        target: targetOf(entry.target),
        address: entry.address,
        status: entry.status,
        detail: entry.detail === undefined ? null : clip(scrub(entry.detail), 1000),
      });
    } catch (err) {
      logger().warn({ err, action: entry.action, status: entry.status }, 'cannot write the audit log');
    }
  };
  return { record };
}

/** A JSON object without anything that looks like a credential (defence in depth: params only). */
export function targetOf(target: unknown): Record<string, unknown> {
  if (target === undefined || target === null) return {};
  const clean = redact(target, 0);
  return typeof clean === 'object' && clean !== null && !Array.isArray(clean)
    ? (clean as Record<string, unknown>)
    : { value: clean };
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return clip(scrub(value), 300);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 4) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 50)) {
    out[k] = SENSITIVE_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

/** A token's plaintext becomes its display prefix (`tdm_a1B2…`). */
function scrub(text: string): string {
  return text.replace(TOKEN_TEXT, (t) => `${t.slice(0, 8)}…`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
