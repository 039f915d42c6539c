import type { Dialect } from 'kysely';

/**
 * The database engines a store can run on. Only SQLite today; PostgreSQL is added as a second
 * member plus a `postgres/` folder next to `sqlite/`. Engine-specific SQL (migrations' triggers,
 * id columns) switches on this name, so adding an engine makes the compiler list every place
 * that needs a variant.
 */
export type StoreEngine = 'sqlite';

/** What a store implementation hands to the engine-neutral code: a Kysely dialect and a name. */
export interface StoreBackend {
  engine: StoreEngine;
  dialect: Dialect;
  /** Where the data lives (file path or ':memory:'), for messages. */
  location: string;
}
