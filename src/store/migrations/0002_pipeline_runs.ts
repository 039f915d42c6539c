import type { Kysely, Migration } from 'kysely';

/** Pipeline runs, their jobs (one row per planned job) and every attempt of a job. */
export function pipelineRunsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('branch', 'text')
        .addColumn('commit', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('duration_ms', 'integer')
        .execute();
      await db.schema
        .createIndex('pipeline_runs_started')
        .on('pipeline_runs')
        .columns(['started_at', 'id'])
        .execute();

      await db.schema
        .createTable('pipeline_jobs')
        .addColumn('run_id', 'text', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('cache_key', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('duration_ms', 'integer')
        .addColumn('reason', 'text')
        .addColumn('log_path', 'text')
        .addColumn('finished_at', 'text')
        .addPrimaryKeyConstraint('pipeline_jobs_pk', ['run_id', 'name'])
        .execute();

      await db.schema
        .createTable('job_attempts')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('job', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('duration_ms', 'integer')
        .addPrimaryKeyConstraint('job_attempts_pk', ['run_id', 'job', 'attempt'])
        .addForeignKeyConstraint(
          'job_attempts_job_fk',
          ['run_id', 'job'],
          'pipeline_jobs',
          ['run_id', 'name'],
          (fk) => fk.onDelete('cascade'),
        )
        .execute();
    },
  };
}
