import { Kysely, Migrator, sql, type Transaction } from 'kysely';
import { TandemError } from '../errors.js';
import type { Database } from './database.js';
import type { StoreBackend, StoreEngine } from './engine.js';
import { migrationProvider } from './migrations/index.js';
import { type AlertStatesRepository, createAlertStatesRepository } from './repositories/alert-states.js';
import { type AuditRepository, createAuditRepository } from './repositories/audit.js';
import { createDeploymentsRepository, type DeploymentsRepository } from './repositories/deployments.js';
import { createEventsRepository, type EventsRepository } from './repositories/events.js';
import { createIncidentsRepository, type IncidentsRepository } from './repositories/incidents.js';
import { createReleasesRepository, type ReleasesRepository } from './repositories/releases.js';
import { createRunsRepository, type RunsRepository } from './repositories/runs.js';
import { createSecretsRepository, type SecretsRepository } from './repositories/secrets.js';
import { createSessionsRepository, type SessionsRepository } from './repositories/sessions.js';
import { createSilencesRepository, type SilencesRepository } from './repositories/silences.js';
import { createTokensRepository, type TokensRepository } from './repositories/tokens.js';

/**
 * Tandem's state: the Kysely handle, one repository per aggregate, and transactions. Every
 * repository write is a single transaction with its event. Do not call a repository (or
 * `store.db`) from inside `store.transaction`: the one connection is held by the transaction,
 * so use `trx` there.
 */
export interface Store {
  readonly engine: StoreEngine;
  /** Where the data lives (file path or ':memory:'). */
  readonly location: string;
  readonly db: Kysely<Database>;
  readonly events: EventsRepository;
  readonly runs: RunsRepository;
  readonly secrets: SecretsRepository;
  readonly releases: ReleasesRepository;
  readonly deployments: DeploymentsRepository;
  readonly incidents: IncidentsRepository;
  readonly silences: SilencesRepository;
  readonly alertStates: AlertStatesRepository;
  readonly tokens: TokensRepository;
  readonly sessions: SessionsRepository;
  readonly audit: AuditRepository;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Closes the connection; further calls are no-ops. */
  close(): Promise<void>;
}

/** Builds a store on `backend`, migrating the schema to the latest version first. */
export async function createStore(backend: StoreBackend): Promise<Store> {
  const db = new Kysely<Database>({ dialect: backend.dialect });
  try {
    await migrate(db, backend);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const events = createEventsRepository(db);
  let closed: Promise<void> | undefined;
  return {
    engine: backend.engine,
    location: backend.location,
    db,
    events,
    runs: createRunsRepository(db, events),
    secrets: createSecretsRepository(db, events),
    releases: createReleasesRepository(db, events),
    deployments: createDeploymentsRepository(db, events),
    incidents: createIncidentsRepository(db, events),
    silences: createSilencesRepository(db, events),
    alertStates: createAlertStatesRepository(db, events),
    tokens: createTokensRepository(db, events),
    sessions: createSessionsRepository(db),
    audit: createAuditRepository(db),
    transaction: (fn) => db.transaction().execute(fn),
    close() {
      closed ??= db.destroy();
      return closed;
    },
  };
}

/** True when every known migration is recorded: one query instead of the Migrator's locking dance. */
async function isUpToDate(db: Kysely<Database>, names: string[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = new Set(rows.map((r) => r.name));
    return applied.size === names.length && names.every((name) => applied.has(name));
  } catch {
    return false; // no migration table yet
  }
}

async function migrate(db: Kysely<Database>, backend: StoreBackend): Promise<void> {
  const provider = migrationProvider(backend.engine);
  // Every CLI call opens the store, so the common case (nothing to do) must be cheap.
  if (await isUpToDate(db, Object.keys(await provider.getMigrations()))) return;
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const why = error instanceof Error ? error.message : String(error);
  if (/previously executed migration .* is missing/.test(why)) {
    throw new TandemError(
      'TANDEM_STORE_TOO_NEW',
      `the Tandem database ${backend.location} was written by a newer version of Tandem (${why}); upgrade Tandem`,
      { cause: error },
    );
  }
  throw new TandemError(
    'TANDEM_STORE_MIGRATION_FAILED',
    `cannot migrate the Tandem database ${backend.location}${failed ? ` (migration ${failed})` : ''}: ${why}`,
    { cause: error },
  );
}
