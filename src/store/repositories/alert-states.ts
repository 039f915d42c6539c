import type { Kysely, Selectable } from 'kysely';
import type { AlertStatesTable, Database } from '../database.js';
import type { EventsRepository } from './events.js';

/** One alert instance's current state, as the evaluator hands it over. */
export interface AlertStateInput<R = unknown> {
  fingerprint: string;
  rule: string;
  environment: string;
  service: string;
  /** `inactive`, `pending`, `firing`, `nodata`… (the evaluator's vocabulary). */
  state: string;
  /** The evaluator's record (pending-since, last notified, flap history…); JSON-serialisable. */
  record: R;
}

export interface StoredAlertState<R = unknown> extends AlertStateInput<R> {
  updatedAt: string;
}

/** A state change worth an event: `alert.firing`, `alert.resolved`, `alert.nodata`. */
export interface AlertTransition {
  fingerprint: string;
  rule: string;
  environment: string;
  service: string;
  from: string;
  to: 'firing' | 'resolved' | 'nodata';
  /** Extra details for the event (value, threshold, severity, labels…). */
  data?: Record<string, unknown>;
  /** The save's time by default. */
  at?: Date;
}

export interface SaveAlertStatesOptions {
  /** Fingerprints of alert instances that no longer exist (their rule or service is gone). */
  remove?: string[];
  /** Now by default. */
  at?: Date;
}

/**
 * The current state of each alert instance, so a control-plane restart neither re-notifies nor
 * loses pending timers. Transitions are events (subject `alert` / fingerprint), written in the
 * same transaction as the states they lead to.
 */
export interface AlertStatesRepository {
  /**
   * Upserts the records that changed (same rule, labels, state and JSON record → no write),
   * deletes `remove`, and appends one event per transition, all in one transaction.
   */
  saveAll(
    records: AlertStateInput[],
    transitions?: AlertTransition[],
    options?: SaveAlertStatesOptions,
  ): Promise<{ written: number; removed: number }>;
  /** Every stored alert instance, by fingerprint. */
  loadAll<R = unknown>(): Promise<Array<StoredAlertState<R>>>;
}

const SUBJECT = 'alert';

export function createAlertStatesRepository(
  db: Kysely<Database>,
  events: EventsRepository,
): AlertStatesRepository {
  return {
    saveAll(records, transitions = [], options = {}) {
      const at = options.at ?? new Date();
      const iso = at.toISOString();
      const remove = options.remove ?? [];
      return db.transaction().execute(async (trx) => {
        // The table holds one row per alert instance: small enough to compare in memory.
        const stored = new Map(
          (
            await trx
              .selectFrom('alert_states')
              .select(['fingerprint', 'rule', 'environment', 'service', 'state', 'record'])
              .execute()
          ).map((r) => [r.fingerprint, r]),
        );
        let written = 0;
        for (const r of records) {
          const row = {
            rule: r.rule,
            environment: r.environment,
            service: r.service,
            state: r.state,
            record: JSON.stringify(r.record),
            updated_at: iso,
          };
          const old = stored.get(r.fingerprint);
          if (
            old !== undefined &&
            old.rule === row.rule &&
            old.environment === row.environment &&
            old.service === row.service &&
            old.state === row.state &&
            old.record === row.record
          ) {
            continue;
          }
          await trx
            .insertInto('alert_states')
            .values({ fingerprint: r.fingerprint, ...row })
            .onConflict((oc) => oc.column('fingerprint').doUpdateSet(row))
            .execute();
          written += 1;
        }
        let removed = 0;
        if (remove.length > 0) {
          const res = await trx
            .deleteFrom('alert_states')
            .where('fingerprint', 'in', remove)
            .executeTakeFirst();
          removed = Number(res.numDeletedRows);
        }
        for (const t of transitions) {
          await events.append(trx, {
            type: `alert.${t.to}`,
            subjectKind: SUBJECT,
            subjectId: t.fingerprint,
            at: t.at ?? at,
            data: { ...t.data, rule: t.rule, environment: t.environment, service: t.service, from: t.from },
          });
        }
        return { written, removed };
      });
    },

    async loadAll<R>() {
      const rows = await db.selectFrom('alert_states').selectAll().orderBy('fingerprint').execute();
      return rows.map((r) => toState<R>(r));
    },
  };
}

function toState<R>(r: Selectable<AlertStatesTable>): StoredAlertState<R> {
  return {
    fingerprint: r.fingerprint,
    rule: r.rule,
    environment: r.environment,
    service: r.service,
    state: r.state,
    record: JSON.parse(r.record) as R,
    updatedAt: r.updated_at,
  };
}
