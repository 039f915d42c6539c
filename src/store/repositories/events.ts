import type { Kysely, Selectable } from 'kysely';
import type { Database, EventsTable } from '../database.js';

/** A handle to write through: a transaction (`store.transaction`) or, for a lone event, the db. */
export type DbHandle = Kysely<Database>;

export interface NewEvent {
  /** Dotted name, e.g. `pipeline.run.started`, `secret.set`. */
  type: string;
  /** What the event is about, e.g. `pipeline_run`, `secret`. */
  subjectKind: string;
  subjectId: string;
  /** JSON-serialisable details. Never a secret value. */
  data?: Record<string, unknown>;
  /** When it happened; now by default. */
  at?: Date;
  /**
   * The environment the event is about; `data.environment` by default, and for an event about a
   * deployment, the deployment's environment.
   */
  environment?: string | null;
  /** The service the event is about; `data.service` by default (null: the whole environment). */
  service?: string | null;
}

export interface StoredEvent {
  id: number;
  /** ISO-8601 UTC. */
  at: string;
  type: string;
  subjectKind: string;
  subjectId: string;
  data: Record<string, unknown>;
}

/**
 * An event with the environment and service it is about. Both null: about the project (a
 * pipeline run, a release); service null: about the whole environment (a deployment).
 */
export interface ScopedEvent extends StoredEvent {
  environment: string | null;
  service: string | null;
}

export interface EventQuery {
  subjectKind?: string;
  subjectId?: string;
  type?: string;
  /** Only events with a larger id (to follow the log). */
  afterId?: number;
  limit?: number;
  /** By id; 'asc' (oldest first) by default. */
  order?: 'asc' | 'desc';
}

/** A read by scope, served by the index (environment, service, id). */
export interface ScopedEventQuery {
  /** null: only events about no environment. */
  environment?: string | null;
  /** null: only events about no single service. */
  service?: string | null;
  /** Only these types (exact names). */
  types?: readonly string[];
  /** Only events with a smaller id (keyset pagination, newest first). */
  beforeId?: number;
  /** Only events with a larger id (to follow the log). */
  afterId?: number;
  limit?: number;
  /** By id; 'asc' (oldest first) by default. */
  order?: 'asc' | 'desc';
}

export interface EventsRepository {
  /** Appends one event through `trx`, so it commits (or not) with the state change it records. */
  append(trx: DbHandle, event: NewEvent): Promise<StoredEvent>;
  list(query?: EventQuery): Promise<StoredEvent[]>;
  /** Events with their environment and service, filtered by them (timelines, live streams). */
  listScoped(query?: ScopedEventQuery): Promise<ScopedEvent[]>;
}

export function createEventsRepository(db: Kysely<Database>): EventsRepository {
  return {
    async append(trx, event) {
      const scope = eventScopeOf(event);
      if (scope.environment === null && event.subjectKind === 'deployment') {
        // Rollout and approval events name the service, not the environment: their deployment does.
        const d = await trx
          .selectFrom('deployments')
          .select('environment')
          .where('id', '=', event.subjectId)
          .executeTakeFirst();
        scope.environment = d?.environment ?? null;
      }
      const row = {
        at: (event.at ?? new Date()).toISOString(),
        type: event.type,
        subject_kind: event.subjectKind,
        subject_id: event.subjectId,
        data: JSON.stringify(event.data ?? {}),
      };
      const { id } = await trx
        .insertInto('events')
        .values({ ...row, ...scope })
        .returning('id')
        .executeTakeFirstOrThrow();
      return toEvent({ id, ...row });
    },

    async list(query = {}) {
      let q = db.selectFrom('events').selectAll();
      if (query.subjectKind !== undefined) q = q.where('subject_kind', '=', query.subjectKind);
      if (query.subjectId !== undefined) q = q.where('subject_id', '=', query.subjectId);
      if (query.type !== undefined) q = q.where('type', '=', query.type);
      if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
      q = q.orderBy('id', query.order ?? 'asc');
      if (query.limit !== undefined) q = q.limit(query.limit);
      return (await q.execute()).map(toEvent);
    },

    async listScoped(query = {}) {
      let q = db.selectFrom('events').selectAll();
      if (query.environment === null) q = q.where('environment', 'is', null);
      else if (query.environment !== undefined) q = q.where('environment', '=', query.environment);
      if (query.service === null) q = q.where('service', 'is', null);
      else if (query.service !== undefined) q = q.where('service', '=', query.service);
      if (query.types !== undefined) {
        if (query.types.length === 0) return [];
        q = q.where('type', 'in', query.types);
      }
      if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
      if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
      q = q.orderBy('id', query.order ?? 'asc');
      if (query.limit !== undefined) q = q.limit(query.limit);
      return (await q.execute()).map((r) => ({
        ...toEvent(r),
        environment: r.environment ?? null,
        service: r.service ?? null,
      }));
    },
  };
}

/**
 * The environment and service an event is about, from what it says: the explicit fields, else
 * `data.environment` / `data.service` when they are strings. Pure (the deployment lookup of
 * append() is not done here).
 */
export function eventScopeOf(event: Pick<NewEvent, 'data' | 'environment' | 'service'>): {
  environment: string | null;
  service: string | null;
} {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    environment: event.environment !== undefined ? event.environment : text(event.data?.environment),
    service: event.service !== undefined ? event.service : text(event.data?.service),
  };
}

function toEvent(row: Omit<Selectable<EventsTable>, 'environment' | 'service'>): StoredEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    subjectKind: row.subject_kind,
    subjectId: row.subject_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
