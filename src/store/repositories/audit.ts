import type { Kysely, Selectable } from 'kysely';
import { TandemError } from '../../errors.js';
import type { AuditLogTable, Database } from '../database.js';

/** One mutating API call as recorded. */
export interface AuditEntry {
  id: number;
  at: string;
  /** null when the caller was not authenticated (e.g. a failed login). */
  principal: { id: string; name: string } | null;
  role: string | null;
  /** e.g. `POST /api/v1/environments/:env/promote`. */
  action: string;
  target: Record<string, unknown>;
  address: string;
  status: number;
  detail: string | null;
}

export interface NewAuditEntry {
  at?: Date;
  principal?: { id: string; name: string } | null;
  role?: string | null;
  action: string;
  target?: Record<string, unknown>;
  address: string;
  status: number;
  detail?: string | null;
}

export interface AuditQuery {
  /** 50 by default, at most 500. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
  /** A principal id or name. */
  principal?: string;
  action?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  next: string | null;
}

/**
 * The audit log: who did what, to what, from where, with which outcome. Rows are never updated.
 * It is not an event stream (it records requests, denied ones too), so it has its own table.
 */
export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. A malformed cursor → TANDEM_BAD_CURSOR. */
  list(query?: AuditQuery): Promise<AuditPage>;
}

export const MAX_AUDIT_LIMIT = 500;

export function createAuditRepository(db: Kysely<Database>): AuditRepository {
  return {
    async append(entry) {
      const row = {
        at: (entry.at ?? new Date()).toISOString(),
        principal_id: entry.principal?.id ?? null,
        principal_name: entry.principal?.name ?? null,
        role: entry.role ?? null,
        action: entry.action,
        target: JSON.stringify(entry.target ?? {}),
        address: entry.address,
        status: entry.status,
        detail: entry.detail ?? null,
      };
      const { id } = await db.insertInto('audit_log').values(row).returning('id').executeTakeFirstOrThrow();
      return toEntry({ id, ...row });
    },

    async list(query = {}) {
      const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 50)), MAX_AUDIT_LIMIT);
      let q = db.selectFrom('audit_log').selectAll();
      if (query.cursor !== undefined) q = q.where('id', '<', decodeCursor(query.cursor));
      const principal = query.principal;
      if (principal !== undefined) {
        q = q.where((eb) =>
          eb.or([eb('principal_id', '=', principal), eb('principal_name', '=', principal)]),
        );
      }
      if (query.action !== undefined) q = q.where('action', '=', query.action);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toEntry),
        next: rows.length > limit && last ? Buffer.from(`a${last.id}`).toString('base64url') : null,
      };
    },
  };
}

function decodeCursor(cursor: string): number {
  const m = /^a(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (m === null) {
    throw new TandemError(
      'TANDEM_BAD_CURSOR',
      `invalid cursor ${JSON.stringify(cursor)}: pass back the \`next\` of the previous page`,
      { exitCode: 2 },
    );
  }
  return Number(m[1]);
}

function toEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    principal:
      r.principal_id === null ? null : { id: r.principal_id, name: r.principal_name ?? r.principal_id },
    role: r.role,
    action: r.action,
    target: JSON.parse(r.target) as Record<string, unknown>,
    address: r.address,
    status: r.status,
    detail: r.detail,
  };
}
