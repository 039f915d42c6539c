import { type Kysely, type Migration, sql } from 'kysely';
import type { StoreEngine } from '../engine.js';

/** Rows read and updated at a time by the backfill (well under SQLite's bound-parameter limit). */
const BATCH = 2000;
const IDS_PER_UPDATE = 500;

/**
 * Events by scope (issue 6): every event gets the environment and service it is about, and an
 * index (environment, service, id) serves "everything about service S in environment E",
 * newest first, with keyset pagination. Existing rows are backfilled with the rule the
 * repository applies on append (frozen here: a migration never changes once released):
 * `data.environment` / `data.service` when they are strings, and for an event about a
 * deployment without an environment (rollout.*, deployment.approved…) the deployment's.
 * Also a covering index of rollouts for the overview (GET /overview).
 */
export function eventIndexMigration(engine: StoreEngine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite adds one at a time.
      await db.schema.alterTable('events').addColumn('environment', 'text').execute();
      await db.schema.alterTable('events').addColumn('service', 'text').execute();
      await withUpdatesAllowed(db, engine, () => backfill(db));
      await db.schema
        .createIndex('events_scope')
        .on('events')
        .columns(['environment', 'service', 'id'])
        .execute();
      // The overview lists the rollouts of each environment's latest deployment: read from the
      // index alone, without loading their records (which carry the analysis measurements).
      await db.schema
        .createIndex('rollouts_deployment_state')
        .on('rollouts')
        .columns(['deployment_id', 'service', 'state', 'updated_at', 'id'])
        .execute();
    },
  };
}

/**
 * Events are append-only: on SQLite a trigger refuses UPDATE. The backfill runs with it
 * dropped and recreated as 0001 made it, inside the migration's transaction, so no other
 * writer ever sees the table without it.
 */
async function withUpdatesAllowed(db: Kysely<unknown>, engine: StoreEngine, fn: () => Promise<void>) {
  switch (engine) {
    case 'sqlite':
      await sql.raw('DROP TRIGGER IF EXISTS events_append_only_update').execute(db);
      await fn();
      await sql
        .raw(
          `CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
                 BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END`,
        )
        .execute(db);
      break;
  }
}

async function backfill(db: Kysely<unknown>): Promise<void> {
  const { rows: deployments } = await sql<{
    id: string;
    environment: string;
  }>`select id, environment from deployments`.execute(db);
  const environmentOf = new Map(deployments.map((d) => [d.id, d.environment]));
  let last = 0;
  for (;;) {
    const { rows } = await sql<{ id: number; subject_kind: string; subject_id: string; data: string }>`
      select id, subject_kind, subject_id, data from events where id > ${last} order by id limit ${BATCH}
    `.execute(db);
    const lastRow = rows.at(-1);
    if (lastRow === undefined) return;
    last = Number(lastRow.id);
    // Grouped by scope: one UPDATE per (environment, service) and chunk of ids.
    const groups = new Map<string, { environment: string | null; service: string | null; ids: number[] }>();
    for (const r of rows) {
      const scope = scopeOf(r, environmentOf);
      if (scope.environment === null && scope.service === null) continue;
      const key = JSON.stringify([scope.environment, scope.service]);
      let g = groups.get(key);
      if (g === undefined) {
        g = { ...scope, ids: [] };
        groups.set(key, g);
      }
      g.ids.push(Number(r.id));
    }
    for (const g of groups.values()) {
      for (let i = 0; i < g.ids.length; i += IDS_PER_UPDATE) {
        const ids = g.ids.slice(i, i + IDS_PER_UPDATE);
        await sql`update events set environment = ${g.environment}, service = ${g.service}
                  where id in (${sql.join(ids)})`.execute(db);
      }
    }
  }
}

function scopeOf(
  row: { subject_kind: string; subject_id: string; data: string },
  environmentOf: ReadonlyMap<string, string>,
): { environment: string | null; service: string | null } {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.data);
    if (typeof parsed === 'object' && parsed !== null) data = parsed as Record<string, unknown>;
  } catch {
    // A row that is not JSON keeps no scope.
  }
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  let environment = text(data.environment);
  if (environment === null && row.subject_kind === 'deployment') {
    environment = environmentOf.get(row.subject_id) ?? null;
  }
  return { environment, service: text(data.service) };
}
