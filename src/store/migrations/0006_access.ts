import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreEngine } from '../engine.js';

/**
 * Access (issue 6): API tokens (only their sha256 is stored), dashboard sessions (only the
 * sha256 of the cookie value) and the audit log of every mutating API call.
 */
export function accessMigration(engine: StoreEngine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_by', 'text')
        .execute();
      // A name is unique among active tokens; a revoked token's name may be reused.
      await db.schema
        .createIndex('tokens_active_name')
        .on('tokens')
        .column('name')
        .unique()
        .where(sql.ref('revoked_at'), 'is', null)
        .execute();
      await db.schema.createIndex('tokens_created').on('tokens').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_token').on('sessions').column('token_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

      switch (engine) {
        case 'sqlite':
          await db.schema
            .createTable('audit_log')
            .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
            .addColumn('at', 'text', (c) => c.notNull())
            .addColumn('principal_id', 'text')
            .addColumn('principal_name', 'text')
            .addColumn('role', 'text')
            .addColumn('action', 'text', (c) => c.notNull())
            .addColumn('target', 'text', (c) => c.notNull().defaultTo('{}'))
            .addColumn('address', 'text', (c) => c.notNull())
            .addColumn('status', 'integer', (c) => c.notNull())
            .addColumn('detail', 'text')
            .execute();
          // Rows are never edited (DELETE stays possible for a future retention policy).
          await sql
            .raw(
              `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
               BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE is not allowed'); END`,
            )
            .execute(db);
          break;
      }
      await db.schema
        .createIndex('audit_log_principal')
        .on('audit_log')
        .columns(['principal_id', 'id'])
        .execute();
      await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'id']).execute();
    },
  };
}
