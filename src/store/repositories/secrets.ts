import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { EventsRepository } from './events.js';

/** A stored secret: its name and encrypted envelope (see src/secrets/crypto.ts), never its value. */
export interface StoredSecret {
  name: string;
  ciphertext: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Rows of encrypted secrets. Encryption and name rules live in src/secrets/vault.ts; this only
 * stores envelopes, each write with its `secret.set` / `secret.removed` event (data: the name).
 */
export interface SecretsRepository {
  list(): Promise<Array<{ name: string; updatedAt: string }>>;
  get(name: string): Promise<StoredSecret | undefined>;
  all(): Promise<StoredSecret[]>;
  /** Inserts or replaces, with a `secret.set` event, in one transaction. */
  put(name: string, ciphertext: string, at: Date): Promise<{ created: boolean }>;
  /** Deletes, with a `secret.removed` event, in one transaction; false when there was none. */
  remove(name: string, at: Date): Promise<boolean>;
}

export function createSecretsRepository(db: Kysely<Database>, events: EventsRepository): SecretsRepository {
  const columns = ['name', 'ciphertext', 'created_at', 'updated_at'] as const;
  const toSecret = (r: { name: string; ciphertext: string; created_at: string; updated_at: string }) => ({
    name: r.name,
    ciphertext: r.ciphertext,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  return {
    async list() {
      const rows = await db.selectFrom('secrets').select(['name', 'updated_at']).orderBy('name').execute();
      return rows.map((r) => ({ name: r.name, updatedAt: r.updated_at }));
    },

    async get(name) {
      const row = await db.selectFrom('secrets').select(columns).where('name', '=', name).executeTakeFirst();
      return row && toSecret(row);
    },

    async all() {
      return (await db.selectFrom('secrets').select(columns).orderBy('name').execute()).map(toSecret);
    },

    put(name, ciphertext, at) {
      const iso = at.toISOString();
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('secrets')
          .select('name')
          .where('name', '=', name)
          .executeTakeFirst();
        await trx
          .insertInto('secrets')
          .values({ name, ciphertext, created_at: iso, updated_at: iso })
          .onConflict((oc) => oc.column('name').doUpdateSet({ ciphertext, updated_at: iso }))
          .execute();
        await events.append(trx, {
          type: 'secret.set',
          subjectKind: 'secret',
          subjectId: name,
          data: { name },
          at,
        });
        return { created: existing === undefined };
      });
    },

    remove(name, at) {
      return db.transaction().execute(async (trx) => {
        const { numDeletedRows } = await trx
          .deleteFrom('secrets')
          .where('name', '=', name)
          .executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await events.append(trx, {
          type: 'secret.removed',
          subjectKind: 'secret',
          subjectId: name,
          data: { name },
          at,
        });
        return true;
      });
    },
  };
}
