import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { TandemError } from '../../errors.js';
import type { Database } from '../database.js';
import { type Token, toToken } from './tokens.js';

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** …and this long after the login, whatever happens. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;
/** `last_seen_at` is written at most this often per session. */
const TOUCH_EVERY_MS = 60_000;

export interface NewSession {
  /** The session belongs to this token: revoking it ends the session. */
  tokenId: string;
  /** The client address that logged in. */
  address: string;
  at?: Date;
}

export interface CreatedSession {
  /** The cookie value (32 random bytes, base64url). Only its sha256 is stored: it is returned here only. */
  id: string;
  csrf: string;
  expiresAt: string;
}

export interface LiveSession {
  token: Token;
  csrf: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * Dashboard sessions. They are short-lived credentials, not history, so they write no events:
 * logins and logouts are in the audit log. A session lives while its token is active, for at
 * most 12 h idle and 7 days in all.
 */
export interface SessionsRepository {
  /** Refuses a revoked or unknown token (TANDEM_TOKEN_NOT_FOUND). Also drops expired sessions. */
  create(input: NewSession): Promise<CreatedSession>;
  /**
   * The live session with this cookie value and its token, or undefined (unknown, expired, or
   * its token revoked). Records the request (at most once a minute).
   */
  verify(id: string, at?: Date): Promise<LiveSession | undefined>;
  /** Logs out: true when there was such a session. */
  end(id: string): Promise<boolean>;
  /** Deletes the sessions past their end; returns how many. */
  purgeExpired(at?: Date): Promise<number>;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

export function createSessionsRepository(db: Kysely<Database>): SessionsRepository {
  const purge = async (handle: Kysely<Database>, at: Date) => {
    const idleSince = new Date(at.getTime() - SESSION_IDLE_MS).toISOString();
    const result = await handle
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', at.toISOString()), eb('last_seen_at', '<=', idleSince)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  };

  return {
    create(input) {
      const at = input.at ?? new Date();
      return db.transaction().execute(async (trx) => {
        const token = await trx
          .selectFrom('tokens')
          .select('id')
          .where('id', '=', input.tokenId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (token === undefined) {
          throw new TandemError('TANDEM_TOKEN_NOT_FOUND', `no active token ${input.tokenId}`);
        }
        await purge(trx, at);
        const id = randomBytes(32).toString('base64url');
        const csrf = randomBytes(32).toString('base64url');
        const expiresAt = new Date(at.getTime() + SESSION_MAX_MS).toISOString();
        await trx
          .insertInto('sessions')
          .values({
            id_hash: hashSessionId(id),
            token_id: input.tokenId,
            csrf,
            address: input.address,
            created_at: at.toISOString(),
            last_seen_at: at.toISOString(),
            expires_at: expiresAt,
          })
          .execute();
        return { id, csrf, expiresAt };
      });
    },

    async verify(id, at = new Date()) {
      const idHash = hashSessionId(id);
      // Joined with its token on every request, so a revoked token's session is dead at once.
      const row = await db
        .selectFrom('sessions')
        .innerJoin('tokens', 'tokens.id', 'sessions.token_id')
        .selectAll('tokens')
        .select([
          'sessions.csrf as session_csrf',
          'sessions.created_at as session_created_at',
          'sessions.last_seen_at as session_last_seen_at',
          'sessions.expires_at as session_expires_at',
        ])
        .where('sessions.id_hash', '=', idHash)
        .where('tokens.revoked_at', 'is', null)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const now = at.getTime();
      if (
        now >= Date.parse(row.session_expires_at) ||
        now - Date.parse(row.session_last_seen_at) >= SESSION_IDLE_MS
      ) {
        await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
        return undefined;
      }
      if (now - Date.parse(row.session_last_seen_at) >= TOUCH_EVERY_MS) {
        await db
          .updateTable('sessions')
          .set({ last_seen_at: at.toISOString() })
          .where('id_hash', '=', idHash)
          .execute();
      }
      const {
        session_csrf,
        session_created_at,
        session_last_seen_at: _seen,
        session_expires_at,
        ...token
      } = row;
      return {
        token: toToken(token),
        csrf: session_csrf,
        createdAt: session_created_at,
        expiresAt: session_expires_at,
      };
    },

    async end(id) {
      const result = await db
        .deleteFrom('sessions')
        .where('id_hash', '=', hashSessionId(id))
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    purgeExpired(at = new Date()) {
      return purge(db, at);
    },
  };
}
