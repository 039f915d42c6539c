import type { Migration, MigrationProvider } from 'kysely';
import type { StoreEngine } from '../engine.js';
import { eventsMigration } from './0001_events.js';
import { pipelineRunsMigration } from './0002_pipeline_runs.js';
import { secretsMigration } from './0003_secrets.js';
import { deliveryMigration } from './0004_delivery.js';
import { observeMigration } from './0005_observe.js';
import { accessMigration } from './0006_access.js';
import { eventIndexMigration } from './0007_event_index.js';

/**
 * Every migration, registered statically (the code runs from dist/, so nothing is read from
 * disk). Kysely runs them in name order and records each in `kysely_migration`; a migration
 * is never edited once released — add the next number instead.
 */
export function migrations(engine: StoreEngine): Record<string, Migration> {
  return {
    '0001_events': eventsMigration(engine),
    '0002_pipeline_runs': pipelineRunsMigration(),
    '0003_secrets': secretsMigration(),
    '0004_delivery': deliveryMigration(),
    '0005_observe': observeMigration(),
    '0006_access': accessMigration(engine),
    '0007_event_index': eventIndexMigration(engine),
  };
}

export function migrationProvider(engine: StoreEngine): MigrationProvider {
  return { getMigrations: async () => migrations(engine) };
}
