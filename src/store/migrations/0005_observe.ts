import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Observe (issue 5): incidents, silences and the current state of each alert instance. Schema
 * builder only, so the same migration runs on every engine.
 */
export function observeMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull().unique())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .addColumn('resolved_by', 'text')
        .addColumn('cause_kind', 'text', (c) => c.notNull())
        .addColumn('cause_ref', 'text', (c) => c.notNull())
        .addColumn('releases', 'text', (c) => c.notNull())
        .addColumn('alerts', 'text', (c) => c.notNull())
        .addColumn('resolution', 'text')
        .execute();
      // At most one open incident per environment and service, even if two writers race.
      await db.schema
        .createIndex('incidents_one_open')
        .on('incidents')
        .columns(['environment', 'service'])
        .unique()
        .where(sql.ref('state'), '=', 'open')
        .execute();
      await db.schema.createIndex('incidents_state').on('incidents').columns(['state', 'seq']).execute();

      await db.schema
        .createTable('silences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'text', (c) => c.notNull())
        .addColumn('ends_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expired_at', 'text')
        .addColumn('expired_by', 'text')
        .execute();
      await db.schema.createIndex('silences_ends').on('silences').column('ends_at').execute();

      await db.schema
        .createTable('alert_states')
        .addColumn('fingerprint', 'text', (c) => c.primaryKey())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
