import type { Kysely, Selectable } from 'kysely';
import type { Rollout } from '../../delivery/types.js';
import type { Database, DeploymentKind, DeploymentState, DeploymentsTable } from '../database.js';
import type { DbHandle, EventsRepository } from './events.js';

export interface Deployment {
  id: string;
  environment: string;
  kind: DeploymentKind;
  release: string;
  fromRelease: string | null;
  state: DeploymentState;
  reason: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface StoredRollout {
  deploymentId: string;
  rollout: Rollout;
}

export interface ServiceState {
  environment: string;
  service: string;
  /** The revision serving: a release id, or `<release>.<n>` after `tandem restart`. */
  release: string;
  replicas: number;
  updatedAt: string;
}

export interface NewDeployment {
  id: string;
  environment: string;
  kind: DeploymentKind;
  release: string;
  fromRelease: string | null;
  rollouts: Rollout[];
  /** Progressing deployments of the environment to mark superseded (`--force`). */
  supersede: string[];
  /** Why it started: `manual`, `push to main (abc1234)`, `promoted in staging`… */
  trigger?: string;
  /** Who asked for it (a token's principal); absent when Tandem started it itself. */
  requestedBy?: string;
  at: Date;
}

/**
 * Deployments, the rollout of each service within them, and what each service runs now. Every
 * write is one transaction with its event; the subject of every event is the deployment, so a
 * deployment's timeline is one query.
 */
export interface DeploymentsRepository {
  start(d: NewDeployment): Promise<void>;
  /** Persists a rollout record (BEFORE the runtime acts on it), with an event when its state changed. */
  /** Events: `rollout.<state>` on a state change, `rollout.step` when a canary moves to another step. */
  saveRollout(deploymentId: string, rollout: Rollout, previous: Rollout, at: Date): Promise<void>;
  /**
   * Ends a deployment; `promoted` services become what their environment runs (service_state).
   */
  finish(
    id: string,
    state: Exclude<DeploymentState, 'progressing'>,
    reason: string | null,
    promoted: Array<{ service: string; release: string; replicas: number }>,
    at: Date,
  ): Promise<void>;
  /** Releases rollouts held for approval (now `pending`), with a `deployment.approved` event naming who. */
  approve(deploymentId: string, rollouts: Rollout[], by: string, at: Date): Promise<void>;
  get(id: string): Promise<Deployment | undefined>;
  rolloutsOf(deploymentId: string): Promise<Rollout[]>;
  /** Progressing deployments, oldest first. */
  progressing(environment?: string): Promise<Deployment[]>;
  /** Newest first. */
  history(environment: string, limit?: number): Promise<Deployment[]>;
  serviceStates(): Promise<ServiceState[]>;
  /**
   * Sets the desired replicas of a deployed service, with a `service.scaled` event (which carries
   * `by` and, for the autoscaler, its decision). False when not deployed.
   */
  scale(
    environment: string,
    service: string,
    replicas: number,
    at: Date,
    cause?: { by: string; decision?: Record<string, unknown> },
  ): Promise<boolean>;
}

const SUBJECT = 'deployment';

export function createDeploymentsRepository(
  db: Kysely<Database>,
  events: EventsRepository,
): DeploymentsRepository {
  const event = (trx: DbHandle, type: string, id: string, at: Date, data: Record<string, unknown>) =>
    events.append(trx, { type, subjectKind: SUBJECT, subjectId: id, at, data });

  return {
    start(d) {
      return db.transaction().execute(async (trx) => {
        const iso = d.at.toISOString();
        for (const old of d.supersede) {
          await trx
            .updateTable('deployments')
            .set({ state: 'superseded', finished_at: iso, reason: `superseded by ${d.id}` })
            .where('id', '=', old)
            .where('state', '=', 'progressing')
            .execute();
          await event(trx, 'deployment.superseded', old, d.at, { by: d.id });
        }
        await trx
          .insertInto('deployments')
          .values({
            id: d.id,
            environment: d.environment,
            kind: d.kind,
            release: d.release,
            from_release: d.fromRelease,
            state: 'progressing',
            reason: null,
            started_at: iso,
            finished_at: null,
          })
          .execute();
        for (const r of d.rollouts) {
          await trx
            .insertInto('rollouts')
            .values({
              id: r.id,
              deployment_id: d.id,
              environment: d.environment,
              service: r.service,
              state: r.state,
              record: JSON.stringify(r),
              updated_at: iso,
            })
            .execute();
        }
        for (const r of d.rollouts) {
          if (r.state === 'awaiting-approval') {
            await event(trx, 'rollout.awaiting-approval', d.id, d.at, {
              rollout: r.id,
              service: r.service,
              step: 0,
            });
          }
        }
        await event(trx, 'deployment.started', d.id, d.at, {
          environment: d.environment,
          kind: d.kind,
          release: d.release,
          from: d.fromRelease,
          services: d.rollouts.map((r) => r.service),
          strategy: d.rollouts[0]?.strategy.name ?? null,
          trigger: d.trigger ?? 'manual',
          ...(d.requestedBy === undefined ? {} : { by: d.requestedBy }),
        });
      });
    },

    saveRollout(deploymentId, rollout, previous, at) {
      const previousState = previous.state;
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('rollouts')
          .set({ state: rollout.state, record: JSON.stringify(rollout), updated_at: at.toISOString() })
          .where('id', '=', rollout.id)
          .execute();
        if (rollout.state !== previousState) {
          await event(trx, `rollout.${rollout.state}`, deploymentId, at, {
            rollout: rollout.id,
            service: rollout.service,
            from: previousState,
            step: rollout.step,
            ...(rollout.reason === undefined ? {} : { reason: rollout.reason }),
            ...(rollout.pausedReason === undefined || rollout.state !== 'paused'
              ? {}
              : { reason: rollout.pausedReason }),
          });
        } else if (
          rollout.strategy.name === 'canary' &&
          rollout.step !== previous.step &&
          rollout.state === 'progressing'
        ) {
          const weight = rollout.strategy.steps[rollout.step]?.weight ?? 100;
          await event(trx, 'rollout.step', deploymentId, at, {
            rollout: rollout.id,
            service: rollout.service,
            step: rollout.step,
            weight,
          });
        }
      });
    },

    finish(id, state, reason, promoted, at) {
      return db.transaction().execute(async (trx) => {
        const iso = at.toISOString();
        const row = await trx
          .selectFrom('deployments')
          .select('environment')
          .where('id', '=', id)
          .executeTakeFirst();
        if (row === undefined) return;
        await trx
          .updateTable('deployments')
          .set({ state, reason, finished_at: iso })
          .where('id', '=', id)
          .execute();
        for (const p of promoted) {
          await trx
            .insertInto('service_state')
            .values({
              environment: row.environment,
              service: p.service,
              release: p.release,
              replicas: p.replicas,
              updated_at: iso,
            })
            .onConflict((oc) =>
              oc
                .columns(['environment', 'service'])
                .doUpdateSet({ release: p.release, replicas: p.replicas, updated_at: iso }),
            )
            .execute();
        }
        await event(trx, `deployment.${state}`, id, at, {
          environment: row.environment,
          ...(reason ? { reason } : {}),
        });
      });
    },

    approve(deploymentId, rollouts, by, at) {
      return db.transaction().execute(async (trx) => {
        for (const r of rollouts) {
          await trx
            .updateTable('rollouts')
            .set({ state: r.state, record: JSON.stringify(r), updated_at: at.toISOString() })
            .where('id', '=', r.id)
            .execute();
        }
        await event(trx, 'deployment.approved', deploymentId, at, {
          by,
          services: rollouts.map((r) => r.service),
        });
      });
    },

    async get(id) {
      const row = await db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toDeployment(row);
    },

    async rolloutsOf(deploymentId) {
      const rows = await db
        .selectFrom('rollouts')
        .select('record')
        .where('deployment_id', '=', deploymentId)
        .orderBy('service')
        .execute();
      return rows.map((r) => JSON.parse(r.record) as Rollout);
    },

    async progressing(environment) {
      let q = db.selectFrom('deployments').selectAll().where('state', '=', 'progressing');
      if (environment !== undefined) q = q.where('environment', '=', environment);
      return (await q.orderBy('started_at').orderBy('id').execute()).map(toDeployment);
    },

    async history(environment, limit = 20) {
      const rows = await db
        .selectFrom('deployments')
        .selectAll()
        .where('environment', '=', environment)
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toDeployment);
    },

    async serviceStates() {
      const rows = await db
        .selectFrom('service_state')
        .selectAll()
        .orderBy('environment')
        .orderBy('service')
        .execute();
      return rows.map((r) => ({
        environment: r.environment,
        service: r.service,
        release: r.release,
        replicas: r.replicas,
        updatedAt: r.updated_at,
      }));
    },

    scale(environment, service, replicas, at, cause) {
      return db.transaction().execute(async (trx) => {
        const iso = at.toISOString();
        const res = await trx
          .updateTable('service_state')
          .set({ replicas, updated_at: iso })
          .where('environment', '=', environment)
          .where('service', '=', service)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return false;
        await events.append(trx, {
          type: 'service.scaled',
          subjectKind: 'service',
          subjectId: `${environment}.${service}`,
          at,
          data: { environment, service, replicas, ...(cause ?? {}) },
        });
        return true;
      });
    },
  };
}

function toDeployment(row: Selectable<DeploymentsTable>): Deployment {
  return {
    id: row.id,
    environment: row.environment,
    kind: row.kind,
    release: row.release,
    fromRelease: row.from_release,
    state: row.state,
    reason: row.reason,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
