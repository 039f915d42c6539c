import type { Kysely, Selectable, Updateable } from 'kysely';
import { TandemError } from '../../errors.js';
import type { RunRecorder } from '../../pipeline/types.js';
import type {
  Database,
  JobAttemptsTable,
  PipelineJobsTable,
  PipelineRunsTable,
  StoredAttemptStatus,
  StoredJobStatus,
  StoredRunStatus,
} from '../database.js';
import type { DbHandle, EventsRepository } from './events.js';

export interface StoredRun {
  id: string;
  project: string;
  branch: string | null;
  commit: string | null;
  status: StoredRunStatus;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface StoredJob {
  runId: string;
  name: string;
  status: StoredJobStatus;
  cacheKey: string | null;
  attempts: number;
  durationMs: number | null;
  reason: string | null;
  logPath: string | null;
  finishedAt: string | null;
}

export interface StoredAttempt {
  runId: string;
  job: string;
  attempt: number;
  status: StoredAttemptStatus;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

/** Pipeline runs. As a RunRecorder each call is one transaction: the rows and one event. */
export interface RunsRepository extends RunRecorder {
  getRun(id: string): Promise<StoredRun | undefined>;
  /** Newest first. */
  listRuns(limit?: number): Promise<StoredRun[]>;
  /** In plan order. */
  jobsOf(runId: string): Promise<StoredJob[]>;
  /** Oldest first. */
  attemptsOf(runId: string): Promise<StoredAttempt[]>;
  /** One job's status and its run's, in one query (followed while its log streams). */
  jobState(runId: string, job: string): Promise<StoredJobState | undefined>;
}

export interface StoredJobState {
  status: StoredJobStatus;
  runStatus: StoredRunStatus;
}

/** Events about a run (and its jobs and attempts) all have the run as subject: one timeline. */
const SUBJECT = 'pipeline_run';

export function createRunsRepository(db: Kysely<Database>, events: EventsRepository): RunsRepository {
  const event = (trx: DbHandle, type: string, runId: string, at: Date, data: Record<string, unknown>) =>
    events.append(trx, { type, subjectKind: SUBJECT, subjectId: runId, at, data });

  return {
    runStarted(run) {
      return db.transaction().execute(async (trx) => {
        const at = run.startedAt.toISOString();
        await trx
          .insertInto('pipeline_runs')
          .values({
            id: run.id,
            project: run.project,
            branch: run.branch,
            commit: run.commit,
            status: 'running',
            started_at: at,
            finished_at: null,
            duration_ms: null,
          })
          .execute();
        if (run.jobs.length > 0) {
          const rows = run.jobs.map((name, position) => ({
            run_id: run.id,
            name,
            position,
            status: 'pending' as const,
            cache_key: null,
            duration_ms: null,
            reason: null,
            log_path: null,
            finished_at: null,
          }));
          // Stay well under SQLite's bound-parameter limit for very large plans.
          for (let i = 0; i < rows.length; i += 500) {
            await trx
              .insertInto('pipeline_jobs')
              .values(rows.slice(i, i + 500))
              .execute();
          }
        }
        await event(trx, 'pipeline.run.started', run.id, run.startedAt, {
          project: run.project,
          branch: run.branch,
          commit: run.commit,
          jobs: run.jobs,
        });
      });
    },

    attemptStarted(runId, job, attempt, startedAt) {
      return db.transaction().execute(async (trx) => {
        await setJob(trx, runId, job, { status: 'running', attempts: attempt });
        await trx
          .insertInto('job_attempts')
          .values({
            run_id: runId,
            job,
            attempt,
            status: 'running',
            exit_code: null,
            started_at: startedAt.toISOString(),
            finished_at: null,
            duration_ms: null,
          })
          .execute();
        await event(trx, 'pipeline.job.attempt.started', runId, startedAt, { job, attempt });
      });
    },

    attemptFinished(runId, job, attempt, outcome) {
      return db.transaction().execute(async (trx) => {
        const finished = {
          status: outcome.status,
          exit_code: outcome.exitCode,
          finished_at: outcome.finishedAt.toISOString(),
          duration_ms: Math.round(outcome.durationMs),
        };
        const { numUpdatedRows } = await trx
          .updateTable('job_attempts')
          .set(finished)
          .where('run_id', '=', runId)
          .where('job', '=', job)
          .where('attempt', '=', attempt)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) {
          await ensureJob(trx, runId, job);
          // The start was never recorded; keep the attempt anyway, dated back by its duration.
          const startedAt = new Date(outcome.finishedAt.getTime() - outcome.durationMs).toISOString();
          await trx
            .insertInto('job_attempts')
            .values({ run_id: runId, job, attempt, started_at: startedAt, ...finished })
            .execute();
        }
        await event(trx, 'pipeline.job.attempt.finished', runId, outcome.finishedAt, {
          job,
          attempt,
          status: outcome.status,
          exitCode: outcome.exitCode,
          durationMs: finished.duration_ms,
        });
      });
    },

    jobFinished(runId, result, logPath, finishedAt) {
      return db.transaction().execute(async (trx) => {
        const durationMs = Math.round(result.durationMs);
        await setJob(trx, runId, result.name, {
          status: result.status,
          cache_key: result.cacheKey,
          attempts: result.attempts,
          duration_ms: durationMs,
          reason: result.reason ?? null,
          log_path: logPath,
          finished_at: finishedAt.toISOString(),
        });
        await event(trx, 'pipeline.job.finished', runId, finishedAt, {
          job: result.name,
          status: result.status,
          durationMs,
          attempts: result.attempts,
          cacheKey: result.cacheKey,
          ...(result.reason === undefined ? {} : { reason: result.reason }),
        });
      });
    },

    runFinished(runId, result, finishedAt) {
      return db.transaction().execute(async (trx) => {
        const durationMs = Math.round(result.durationMs);
        const { numUpdatedRows } = await trx
          .updateTable('pipeline_runs')
          .set({ status: result.status, finished_at: finishedAt.toISOString(), duration_ms: durationMs })
          .where('id', '=', runId)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) throw unknownRun(runId);
        await event(trx, 'pipeline.run.finished', runId, finishedAt, {
          status: result.status,
          durationMs,
          jobs: result.jobs.map((j) => ({ name: j.name, status: j.status })),
        });
      });
    },

    async getRun(id) {
      const row = await db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRun(row);
    },

    async listRuns(limit = 20) {
      const rows = await db
        .selectFrom('pipeline_runs')
        .selectAll()
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRun);
    },

    async jobsOf(runId) {
      const rows = await db
        .selectFrom('pipeline_jobs')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('position')
        .execute();
      return rows.map(toJob);
    },

    async attemptsOf(runId) {
      const rows = await db
        .selectFrom('job_attempts')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('started_at')
        .orderBy('job')
        .orderBy('attempt')
        .execute();
      return rows.map(toAttempt);
    },

    async jobState(runId, job) {
      const row = await db
        .selectFrom('pipeline_jobs')
        .innerJoin('pipeline_runs', 'pipeline_runs.id', 'pipeline_jobs.run_id')
        .select(['pipeline_jobs.status as status', 'pipeline_runs.status as runStatus'])
        .where('pipeline_jobs.run_id', '=', runId)
        .where('pipeline_jobs.name', '=', job)
        .executeTakeFirst();
      return row && { status: row.status, runStatus: row.runStatus };
    },
  };
}

/** The job's row, added at the end of the plan when runStarted did not list it. */
/**
 * Updates a job's row. The common case is one UPDATE; only when no row matched does it check
 * the run (unknown: TANDEM_RUN_UNKNOWN) and add the job, so recording a job costs no reads.
 */
async function setJob(
  trx: DbHandle,
  runId: string,
  job: string,
  values: Updateable<PipelineJobsTable>,
): Promise<void> {
  const update = () =>
    trx.updateTable('pipeline_jobs').set(values).where('run_id', '=', runId).where('name', '=', job);
  const { numUpdatedRows } = await update().executeTakeFirst();
  if (numUpdatedRows > 0n) return;
  await ensureJob(trx, runId, job);
  await update().execute();
}

async function ensureJob(trx: DbHandle, runId: string, job: string): Promise<void> {
  const run = await trx.selectFrom('pipeline_runs').select('id').where('id', '=', runId).executeTakeFirst();
  if (!run) throw unknownRun(runId);
  const existing = await trx
    .selectFrom('pipeline_jobs')
    .select('name')
    .where('run_id', '=', runId)
    .where('name', '=', job)
    .executeTakeFirst();
  if (existing) return;
  const { n } = await trx
    .selectFrom('pipeline_jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('pipeline_jobs')
    .values({
      run_id: runId,
      name: job,
      position: Number(n),
      status: 'pending',
      cache_key: null,
      duration_ms: null,
      reason: null,
      log_path: null,
      finished_at: null,
    })
    .execute();
}

function unknownRun(runId: string): TandemError {
  return new TandemError(
    'TANDEM_RUN_UNKNOWN',
    `no pipeline run ${runId} in the store (runStarted was not recorded)`,
  );
}

function toRun(r: Selectable<PipelineRunsTable>): StoredRun {
  return {
    id: r.id,
    project: r.project,
    branch: r.branch,
    commit: r.commit,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  };
}

function toJob(r: Selectable<PipelineJobsTable>): StoredJob {
  return {
    runId: r.run_id,
    name: r.name,
    status: r.status,
    cacheKey: r.cache_key,
    attempts: r.attempts,
    durationMs: r.duration_ms,
    reason: r.reason,
    logPath: r.log_path,
    finishedAt: r.finished_at,
  };
}

function toAttempt(r: Selectable<JobAttemptsTable>): StoredAttempt {
  return {
    runId: r.run_id,
    job: r.job,
    attempt: r.attempt,
    status: r.status,
    exitCode: r.exit_code,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  };
}
