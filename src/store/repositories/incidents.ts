import type { Kysely, Selectable } from 'kysely';
import { TandemError } from '../../errors.js';
import { unknownIdError } from '../../util/did-you-mean.js';
import type { Database, IncidentCauseKind, IncidentState, IncidentsTable } from '../database.js';
import type { DbHandle, EventsRepository } from './events.js';

export interface IncidentCause {
  kind: IncidentCauseKind;
  /** The alert's fingerprint, or the id of the deployment that was rolled back. */
  ref: string;
}

export interface Incident {
  /** `inc-<seq>`. */
  id: string;
  seq: number;
  environment: string;
  service: string;
  title: string;
  severity: string;
  state: IncidentState;
  openedAt: string;
  resolvedAt: string | null;
  /** A principal, or `tandem` when its alerts cleared. */
  resolvedBy: string | null;
  /** What opened it. */
  cause: IncidentCause;
  /** Release ids linked to it (src/observe/incidents linkReleases), oldest link first. */
  releases: string[];
  /** Fingerprints of the alerts attached to it (the opening alert first). */
  alerts: string[];
  resolution: string | null;
}

export interface NewIncident {
  environment: string;
  /** The service; an alert that names no service uses `*`. */
  service: string;
  title: string;
  severity: string;
  cause: IncidentCause;
  releases: string[];
  /**
   * Of `releases`, those that may have caused it (linkReleases' `suspects`). Only recorded in the
   * `incident.opened` event, which change-failure rate reads.
   */
  suspects?: string[];
  at?: Date;
}

export interface OpenedIncident {
  incident: Incident;
  /** False when an open incident of the same environment and service was reused. */
  opened: boolean;
}

export interface IncidentQuery {
  state?: IncidentState;
  environment?: string;
  service?: string;
  /** 20 by default. */
  limit?: number;
}

/**
 * Incidents. Each write is one transaction with its event (subject `incident` / id):
 * `incident.opened`, `incident.alert-attached`, `incident.rollback-attached`,
 * `incident.releases-linked` (only new releases), `incident.resolved`.
 * The events are the record change-failure rate and time to restore are computed from.
 */
export interface IncidentsRepository {
  /**
   * Opens an incident, or reuses the open one of the same environment and service: there is at
   * most one. On reuse the cause is attached instead (an alert's fingerprint with
   * `incident.alert-attached`, a rollback with `incident.rollback-attached`) and new releases are
   * added; nothing is written when the alert and releases are already attached.
   */
  open(input: NewIncident): Promise<OpenedIncident>;
  /** Attaches an alert (and releases) to an open incident; a no-op when already attached. */
  attachAlert(id: string, fingerprint: string, opts?: { releases?: string[]; at?: Date }): Promise<Incident>;
  /**
   * open → resolved. `by` is a principal, or `tandem` when its alerts cleared. Refuses a resolved
   * incident (TANDEM_INCIDENT_RESOLVED) and an unknown id (TANDEM_INCIDENT_NOT_FOUND).
   */
  resolve(id: string, by: string, note: string | null, at?: Date): Promise<Incident>;
  /** `inc-3`, `3` and `#3` all name incident 3. */
  get(id: string): Promise<Incident | undefined>;
  /** Newest first. */
  list(query?: IncidentQuery): Promise<Incident[]>;
  openFor(environment: string, service: string): Promise<Incident | undefined>;
}

const SUBJECT = 'incident';

export function incidentId(seq: number): string {
  return `inc-${seq}`;
}

/** What the user typed (`inc-3`, `INC-3`, `3`, `#3`) as an incident id. */
export function normalizeIncidentId(input: string): string {
  const s = input.trim().toLowerCase();
  const n = /^#?(\d+)$/.exec(s)?.[1];
  return n === undefined ? s : incidentId(Number(n));
}

export function createIncidentsRepository(
  db: Kysely<Database>,
  events: EventsRepository,
): IncidentsRepository {
  const event = (trx: DbHandle, type: string, id: string, at: Date, data: Record<string, unknown>) =>
    events.append(trx, { type, subjectKind: SUBJECT, subjectId: id, at, data });

  const notFound = async (handle: DbHandle, id: string) => {
    const rows = await handle
      .selectFrom('incidents')
      .select('id')
      .orderBy('seq', 'desc')
      .limit(1000)
      .execute();
    return unknownIdError({
      code: 'TANDEM_INCIDENT_NOT_FOUND',
      what: 'incident',
      id,
      known: rows.map((r) => r.id),
      list: 'tandem incident list',
    });
  };

  const resolvedError = (row: Selectable<IncidentsTable>) =>
    new TandemError(
      'TANDEM_INCIDENT_RESOLVED',
      `incident ${row.id} was already resolved at ${row.resolved_at} by ${row.resolved_by}; nothing to do`,
    );

  /** The open incident `id`, or the error saying why there is none. */
  const requireOpen = async (trx: DbHandle, id: string) => {
    const row = await trx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw await notFound(trx, id);
    if (row.state !== 'open') throw resolvedError(row);
    return row;
  };

  /** Adds an alert and/or releases to an open incident's row, with its event; returns the row. */
  const attach = async (
    trx: DbHandle,
    row: Selectable<IncidentsTable>,
    cause: IncidentCause,
    releases: string[],
    at: Date,
  ) => {
    const incident = toIncident(row);
    const addedReleases = unique(releases).filter((r) => !incident.releases.includes(r));
    const newAlert = cause.kind === 'alert' && !incident.alerts.includes(cause.ref);
    // A rollback is news unless it is the one that opened the incident.
    const newRollback =
      cause.kind === 'rollback' && !(incident.cause.kind === 'rollback' && incident.cause.ref === cause.ref);
    if (!newAlert && !newRollback && addedReleases.length === 0) return row;
    const alerts = newAlert ? [...incident.alerts, cause.ref] : incident.alerts;
    const values = {
      alerts: JSON.stringify(alerts),
      releases: JSON.stringify([...incident.releases, ...addedReleases]),
    };
    await trx.updateTable('incidents').set(values).where('id', '=', row.id).execute();
    const base = { environment: row.environment, service: row.service, releases: addedReleases };
    if (newAlert) await event(trx, 'incident.alert-attached', row.id, at, { ...base, alert: cause.ref });
    else if (newRollback)
      await event(trx, 'incident.rollback-attached', row.id, at, { ...base, deployment: cause.ref });
    else await event(trx, 'incident.releases-linked', row.id, at, base);
    return { ...row, ...values };
  };

  return {
    open(input) {
      const at = input.at ?? new Date();
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('incidents')
          .selectAll()
          .where('environment', '=', input.environment)
          .where('service', '=', input.service)
          .where('state', '=', 'open')
          .executeTakeFirst();
        if (existing !== undefined) {
          const row = await attach(trx, existing, input.cause, input.releases, at);
          return { incident: toIncident(row), opened: false };
        }
        const { max } = await trx
          .selectFrom('incidents')
          .select((eb) => eb.fn.max<number | null>('seq').as('max'))
          .executeTakeFirstOrThrow();
        const seq = Number(max ?? 0) + 1;
        const releases = unique(input.releases);
        const alerts = input.cause.kind === 'alert' ? [input.cause.ref] : [];
        const row: Selectable<IncidentsTable> = {
          id: incidentId(seq),
          seq,
          environment: input.environment,
          service: input.service,
          title: input.title,
          severity: input.severity,
          state: 'open',
          opened_at: at.toISOString(),
          resolved_at: null,
          resolved_by: null,
          cause_kind: input.cause.kind,
          cause_ref: input.cause.ref,
          releases: JSON.stringify(releases),
          alerts: JSON.stringify(alerts),
          resolution: null,
        };
        await trx.insertInto('incidents').values(row).execute();
        await event(trx, 'incident.opened', row.id, at, {
          environment: row.environment,
          service: row.service,
          title: row.title,
          severity: row.severity,
          cause: input.cause,
          releases,
          suspects: unique(input.suspects ?? []).filter((r) => releases.includes(r)),
        });
        return { incident: toIncident(row), opened: true };
      });
    },

    attachAlert(id, fingerprint, opts = {}) {
      const key = normalizeIncidentId(id);
      return db.transaction().execute(async (trx) => {
        const row = await requireOpen(trx, key);
        const cause: IncidentCause = { kind: 'alert', ref: fingerprint };
        return toIncident(await attach(trx, row, cause, opts.releases ?? [], opts.at ?? new Date()));
      });
    },

    resolve(id, by, note, at = new Date()) {
      const key = normalizeIncidentId(id);
      return db.transaction().execute(async (trx) => {
        const row = await requireOpen(trx, key);
        const values = {
          state: 'resolved' as const,
          resolved_at: at.toISOString(),
          resolved_by: by,
          resolution: note,
        };
        await trx.updateTable('incidents').set(values).where('id', '=', key).execute();
        const incident = toIncident({ ...row, ...values });
        await event(trx, 'incident.resolved', key, at, {
          environment: incident.environment,
          service: incident.service,
          severity: incident.severity,
          cause: incident.cause,
          releases: incident.releases,
          alerts: incident.alerts,
          by,
          note,
          openedAt: incident.openedAt,
          durationMs: at.getTime() - Date.parse(incident.openedAt),
        });
        return incident;
      });
    },

    async get(id) {
      const row = await db
        .selectFrom('incidents')
        .selectAll()
        .where('id', '=', normalizeIncidentId(id))
        .executeTakeFirst();
      return row && toIncident(row);
    },

    async list(query = {}) {
      let q = db.selectFrom('incidents').selectAll();
      if (query.state !== undefined) q = q.where('state', '=', query.state);
      if (query.environment !== undefined) q = q.where('environment', '=', query.environment);
      if (query.service !== undefined) q = q.where('service', '=', query.service);
      const rows = await q
        .orderBy('seq', 'desc')
        .limit(query.limit ?? 20)
        .execute();
      return rows.map(toIncident);
    },

    async openFor(environment, service) {
      const row = await db
        .selectFrom('incidents')
        .selectAll()
        .where('environment', '=', environment)
        .where('service', '=', service)
        .where('state', '=', 'open')
        .executeTakeFirst();
      return row && toIncident(row);
    },
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function toIncident(r: Selectable<IncidentsTable>): Incident {
  return {
    id: r.id,
    seq: r.seq,
    environment: r.environment,
    service: r.service,
    title: r.title,
    severity: r.severity,
    state: r.state,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    cause: { kind: r.cause_kind, ref: r.cause_ref },
    releases: JSON.parse(r.releases) as string[],
    alerts: JSON.parse(r.alerts) as string[],
    resolution: r.resolution,
  };
}
