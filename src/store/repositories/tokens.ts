import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { TandemError } from '../../errors.js';
import { ROLES, type Role } from '../../server/routes/types.js';
import { didYouMean } from '../../util/did-you-mean.js';
import type { Database, TokensTable } from '../database.js';
import type { DbHandle, EventsRepository } from './events.js';

/** A token as shown to people: never its plaintext or hash. */
export interface Token {
  /** `tok-<8 hex>`. */
  id: string;
  name: string;
  role: Role;
  /** e.g. `tdm_a1B2…`. */
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface NewToken {
  name: string;
  role: Role;
  /** The principal name that created it. */
  createdBy: string;
  at?: Date;
}

export interface TokenPage {
  items: Token[];
  next: string | null;
}

export interface TokensRepository {
  /**
   * Creates a token and its `token.created` event in one transaction; the plaintext is returned
   * here only. A bad name or role → TANDEM_TOKEN_INVALID; a name an active token has →
   * TANDEM_TOKEN_NAME_TAKEN.
   */
  create(input: NewToken): Promise<{ token: Token; plaintext: string }>;
  /**
   * Revokes by id, or by the name of an active token, ending its sessions in the same
   * transaction (with a `token.revoked` event). Unknown → TANDEM_TOKEN_NOT_FOUND; already
   * revoked → TANDEM_TOKEN_REVOKED.
   */
  revoke(idOrName: string, by: string, at?: Date): Promise<Token>;
  get(id: string): Promise<Token | undefined>;
  /**
   * The active token whose plaintext this is, or undefined (unknown and revoked alike). With
   * `touch`, records the use (at most once a minute per token).
   */
  verify(plaintext: string, opts?: { at?: Date; touch?: boolean }): Promise<Token | undefined>;
  /** Newest first; active ones only unless `all`. */
  list(query?: { all?: boolean; limit?: number; cursor?: string }): Promise<TokenPage>;
  /** True when some active token has the admin role. */
  hasActiveAdmin(): Promise<boolean>;
}

const SUBJECT = 'token';
export const TOKEN_PREFIX = 'tdm_';
const TOKEN_CHARS = 32;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** `last_used_at` is written at most this often per token. */
const TOUCH_EVERY_MS = 60_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `tdm_` + 32 base62 characters (~190 bits) from the CSPRNG, without modulo bias. */
export function newTokenPlaintext(): string {
  let out = '';
  while (out.length < TOKEN_CHARS) {
    for (const byte of randomBytes(48)) {
      // 248 = 4 × 62: rejecting the bytes above keeps every character equally likely.
      if (byte < 248 && out.length < TOKEN_CHARS) out += BASE62[byte % 62];
    }
  }
  return `${TOKEN_PREFIX}${out}`;
}

export function hashToken(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

/** What people see of a token: its first four random characters. */
export function displayPrefix(plaintext: string): string {
  return `${plaintext.slice(0, TOKEN_PREFIX.length + 4)}…`;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function createTokensRepository(db: Kysely<Database>, events: EventsRepository): TokensRepository {
  const notFound = async (handle: DbHandle, key: string) => {
    const rows = await handle
      .selectFrom('tokens')
      .select(['id', 'name'])
      .where('revoked_at', 'is', null)
      .limit(1000)
      .execute();
    const guess = didYouMean(
      key,
      rows.flatMap((r) => [r.id, r.name]),
    );
    return new TandemError(
      'TANDEM_TOKEN_NOT_FOUND',
      `no active token ${JSON.stringify(key)}${guess ? `; did you mean ${guess}?` : ''} (see \`tandem token list\`)`,
    );
  };

  return {
    async create(input) {
      const at = input.at ?? new Date();
      const name = input.name.trim();
      validate(name, input.role);
      return db.transaction().execute(async (trx) => {
        const taken = await trx
          .selectFrom('tokens')
          .select('id')
          .where('name', '=', name)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (taken) {
          throw new TandemError(
            'TANDEM_TOKEN_NAME_TAKEN',
            `an active token is already named ${JSON.stringify(name)} (${taken.id}); pick another name or revoke it first (\`tandem token revoke ${name}\`)`,
            { exitCode: 2 },
          );
        }
        let id = newTokenId();
        while (await trx.selectFrom('tokens').select('id').where('id', '=', id).executeTakeFirst()) {
          id = newTokenId();
        }
        const plaintext = newTokenPlaintext();
        const row: Selectable<TokensTable> = {
          id,
          name,
          role: input.role,
          hash: hashToken(plaintext),
          prefix: displayPrefix(plaintext),
          created_at: at.toISOString(),
          created_by: input.createdBy,
          last_used_at: null,
          revoked_at: null,
          revoked_by: null,
        };
        await trx.insertInto('tokens').values(row).execute();
        await events.append(trx, {
          type: 'token.created',
          subjectKind: SUBJECT,
          subjectId: id,
          at,
          data: { name, role: input.role, prefix: row.prefix, createdBy: input.createdBy },
        });
        return { token: toToken(row), plaintext };
      });
    },

    revoke(idOrName, by, at = new Date()) {
      const key = idOrName.trim();
      return db.transaction().execute(async (trx) => {
        const row =
          (await trx.selectFrom('tokens').selectAll().where('id', '=', key).executeTakeFirst()) ??
          (await trx
            .selectFrom('tokens')
            .selectAll()
            .where('name', '=', key)
            .where('revoked_at', 'is', null)
            .executeTakeFirst());
        if (row === undefined) throw await notFound(trx, key);
        if (row.revoked_at !== null) {
          throw new TandemError(
            'TANDEM_TOKEN_REVOKED',
            `token ${row.id} (${row.name}) was already revoked at ${row.revoked_at} by ${row.revoked_by}; nothing to do`,
          );
        }
        const values = { revoked_at: at.toISOString(), revoked_by: by };
        await trx.updateTable('tokens').set(values).where('id', '=', row.id).execute();
        // Its dashboard sessions end with it, in the same transaction.
        const ended = await trx.deleteFrom('sessions').where('token_id', '=', row.id).executeTakeFirst();
        await events.append(trx, {
          type: 'token.revoked',
          subjectKind: SUBJECT,
          subjectId: row.id,
          at,
          data: { name: row.name, role: row.role, by, sessionsEnded: Number(ended.numDeletedRows) },
        });
        return toToken({ ...row, ...values });
      });
    },

    async get(id) {
      const row = await db.selectFrom('tokens').selectAll().where('id', '=', id.trim()).executeTakeFirst();
      return row && toToken(row);
    },

    async verify(plaintext, opts = {}) {
      const hash = hashToken(plaintext);
      const row = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      // The index finds the row; the comparison that decides is constant-time.
      const same =
        row !== undefined && timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'));
      if (!same || row.revoked_at !== null) return undefined;
      const at = opts.at ?? new Date();
      if (opts.touch && isStale(row.last_used_at, at)) {
        const iso = at.toISOString();
        await db.updateTable('tokens').set({ last_used_at: iso }).where('id', '=', row.id).execute();
        row.last_used_at = iso;
      }
      return toToken(row);
    },

    async list(query = {}) {
      const limit = query.limit ?? 100;
      let q = db.selectFrom('tokens').selectAll();
      if (!query.all) q = q.where('revoked_at', 'is', null);
      if (query.cursor !== undefined) {
        const [createdAt, id] = decodeCursor(query.cursor);
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', createdAt),
            eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toToken),
        next: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
      };
    },

    async hasActiveAdmin() {
      const row = await db
        .selectFrom('tokens')
        .select('id')
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

function isStale(lastIso: string | null, at: Date): boolean {
  return lastIso === null || at.getTime() - Date.parse(lastIso) >= TOUCH_EVERY_MS;
}

function newTokenId(): string {
  return `tok-${randomBytes(4).toString('hex')}`;
}

function validate(name: string, role: string): void {
  if (!NAME.test(name)) {
    throw new TandemError(
      'TANDEM_TOKEN_INVALID',
      `invalid token name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. ci-deploy)`,
      { exitCode: 2 },
    );
  }
  if (!isRole(role)) {
    throw new TandemError(
      'TANDEM_TOKEN_INVALID',
      `invalid role ${JSON.stringify(role)}: use one of ${ROLES.join(', ')}`,
      { exitCode: 2 },
    );
  }
}

function encodeCursor(key: [string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 2 && key.every((k) => typeof k === 'string')) {
      return key as [string, string];
    }
  } catch {
    // fall through
  }
  throw new TandemError(
    'TANDEM_BAD_CURSOR',
    `invalid cursor ${JSON.stringify(cursor)}: pass back a \`next\` value`,
    {
      exitCode: 2,
    },
  );
}

export function toToken(r: Selectable<TokensTable>): Token {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    prefix: r.prefix,
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}
