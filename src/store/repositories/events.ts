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

export interface EventsRepository {
  /** Appends one event through `trx`, so it commits (or not) with the state change it records. */
  append(trx: DbHandle, event: NewEvent): Promise<StoredEvent>;
  list(query?: EventQuery): Promise<StoredEvent[]>;
}

export function createEventsRepository(db: Kysely<Database>): EventsRepository {
  return {
    async append(trx, event) {
      const row = {
        at: (event.at ?? new Date()).toISOString(),
        type: event.type,
        subject_kind: event.subjectKind,
        subject_id: event.subjectId,
        data: JSON.stringify(event.data ?? {}),
      };
      const { id } = await trx.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow();
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
  };
}

function toEvent(row: Selectable<EventsTable>): StoredEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    subjectKind: row.subject_kind,
    subjectId: row.subject_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
