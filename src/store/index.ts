export type { Database, StoredAttemptStatus, StoredJobStatus, StoredRunStatus } from './database.js';
export type { StoreBackend, StoreEngine } from './engine.js';
export { ensureStateDir, openStore, openStoreAt, stateDir, storePath } from './open.js';
export type { DbHandle, EventQuery, EventsRepository, NewEvent, StoredEvent } from './repositories/events.js';
export type { RunsRepository, StoredAttempt, StoredJob, StoredRun } from './repositories/runs.js';
export type { SecretsRepository, StoredSecret } from './repositories/secrets.js';
export { createStore, type Store } from './store.js';
