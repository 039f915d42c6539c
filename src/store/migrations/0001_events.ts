import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreEngine } from '../engine.js';

/** The append-only event log: every state change writes one row in the same transaction. */
export function eventsMigration(engine: StoreEngine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      switch (engine) {
        case 'sqlite':
          await db.schema
            .createTable('events')
            .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
            .addColumn('at', 'text', (c) => c.notNull())
            .addColumn('type', 'text', (c) => c.notNull())
            .addColumn('subject_kind', 'text', (c) => c.notNull())
            .addColumn('subject_id', 'text', (c) => c.notNull())
            .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
            .execute();
          for (const op of ['UPDATE', 'DELETE']) {
            await sql
              .raw(
                `CREATE TRIGGER events_append_only_${op.toLowerCase()} BEFORE ${op} ON events
                 BEGIN SELECT RAISE(ABORT, 'events are append-only: ${op} is not allowed'); END`,
              )
              .execute(db);
          }
          break;
      }
      await db.schema
        .createIndex('events_subject')
        .on('events')
        .columns(['subject_kind', 'subject_id', 'id'])
        .execute();
      await db.schema.createIndex('events_type').on('events').columns(['type', 'id']).execute();
    },
  };
}
