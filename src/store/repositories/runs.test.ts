import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

describe('runs as a RunRecorder', () => {
  it('writes the rows and one event per call, in order', async () => {
    const runs = store.runs;
    await runs.runStarted({
      id: 'r1',
      project: 'shop',
      branch: 'main',
      commit: 'abc',
      jobs: ['build', 'test'],
      startedAt: t(0),
    });
    expect(await runs.getRun('r1')).toMatchObject({
      status: 'running',
      startedAt: t(0).toISOString(),
      finishedAt: null,
    });
    expect((await runs.jobsOf('r1')).map((j) => [j.name, j.status, j.attempts])).toEqual([
      ['build', 'pending', 0],
      ['test', 'pending', 0],
    ]);

    await runs.attemptStarted('r1', 'build', 1, t(1));
    expect((await runs.jobsOf('r1'))[0]).toMatchObject({ status: 'running', attempts: 1 });
    await runs.attemptFinished('r1', 'build', 1, {
      status: 'failed',
      exitCode: 1,
      durationMs: 1000.4,
      finishedAt: t(2),
    });
    await runs.attemptStarted('r1', 'build', 2, t(2));
    await runs.attemptFinished('r1', 'build', 2, {
      status: 'passed',
      exitCode: 0,
      durationMs: 1000,
      finishedAt: t(3),
    });
    await runs.jobFinished(
      'r1',
      { name: 'build', status: 'passed', durationMs: 2000, attempts: 2, cacheKey: 'k1' },
      '.tandem/logs/r1/build.log',
      t(3),
    );
    await runs.jobFinished(
      'r1',
      { name: 'test', status: 'skipped', durationMs: 0, attempts: 0, cacheKey: 'k2', reason: 'needs failed' },
      null,
      t(3),
    );
    await runs.runFinished(
      'r1',
      {
        status: 'passed',
        durationMs: 3000,
        jobs: [
          { name: 'build', status: 'passed', durationMs: 2000, attempts: 2, cacheKey: 'k1' },
          { name: 'test', status: 'skipped', durationMs: 0, attempts: 0, cacheKey: 'k2' },
        ],
      },
      t(3),
    );

    expect(await runs.getRun('r1')).toEqual({
      id: 'r1',
      project: 'shop',
      branch: 'main',
      commit: 'abc',
      status: 'passed',
      startedAt: t(0).toISOString(),
      finishedAt: t(3).toISOString(),
      durationMs: 3000,
    });
    expect(await runs.jobsOf('r1')).toEqual([
      {
        runId: 'r1',
        name: 'build',
        status: 'passed',
        cacheKey: 'k1',
        attempts: 2,
        durationMs: 2000,
        reason: null,
        logPath: '.tandem/logs/r1/build.log',
        finishedAt: t(3).toISOString(),
      },
      {
        runId: 'r1',
        name: 'test',
        status: 'skipped',
        cacheKey: 'k2',
        attempts: 0,
        durationMs: 0,
        reason: 'needs failed',
        logPath: null,
        finishedAt: t(3).toISOString(),
      },
    ]);
    expect(
      (await runs.attemptsOf('r1')).map((a) => [a.job, a.attempt, a.status, a.exitCode, a.durationMs]),
    ).toEqual([
      ['build', 1, 'failed', 1, 1000],
      ['build', 2, 'passed', 0, 1000],
    ]);

    const events = await store.events.list({ subjectKind: 'pipeline_run', subjectId: 'r1' });
    expect(events.map((e) => e.type)).toEqual([
      'pipeline.run.started',
      'pipeline.job.attempt.started',
      'pipeline.job.attempt.finished',
      'pipeline.job.attempt.started',
      'pipeline.job.attempt.finished',
      'pipeline.job.finished',
      'pipeline.job.finished',
      'pipeline.run.finished',
    ]);
    expect(events[0]?.data).toEqual({
      project: 'shop',
      branch: 'main',
      commit: 'abc',
      jobs: ['build', 'test'],
    });
    expect(events[2]?.data).toEqual({
      job: 'build',
      attempt: 1,
      status: 'failed',
      exitCode: 1,
      durationMs: 1000,
    });
    expect(events[6]?.data).toMatchObject({ job: 'test', status: 'skipped', reason: 'needs failed' });
    expect(events.at(-1)?.data).toMatchObject({ status: 'passed', durationMs: 3000 });
  });

  it('lists runs newest first', async () => {
    await store.runs.runStarted({
      id: 'old',
      project: 'p',
      branch: null,
      commit: null,
      jobs: [],
      startedAt: t(0),
    });
    await store.runs.runStarted({
      id: 'new',
      project: 'p',
      branch: null,
      commit: null,
      jobs: [],
      startedAt: t(5),
    });
    expect((await store.runs.listRuns()).map((r) => r.id)).toEqual(['new', 'old']);
    expect((await store.runs.listRuns(1)).map((r) => r.id)).toEqual(['new']);
  });

  it('rejects calls for an unknown run and writes nothing', async () => {
    await expect(store.runs.attemptStarted('nope', 'build', 1, t(0))).rejects.toMatchObject({
      code: 'TANDEM_RUN_UNKNOWN',
    });
    await expect(
      store.runs.runFinished('nope', { status: 'passed', durationMs: 0, jobs: [] }, t(0)),
    ).rejects.toMatchObject({ code: 'TANDEM_RUN_UNKNOWN' });
    expect(await store.events.list()).toEqual([]);
  });

  it('a failing call leaves no event behind (duplicate run id)', async () => {
    await store.runs.runStarted({
      id: 'r',
      project: 'p',
      branch: null,
      commit: null,
      jobs: ['a'],
      startedAt: t(0),
    });
    await expect(
      store.runs.runStarted({
        id: 'r',
        project: 'p',
        branch: null,
        commit: null,
        jobs: ['a'],
        startedAt: t(1),
      }),
    ).rejects.toThrow();
    expect((await store.events.list()).length).toBe(1);
  });

  it('records a job that runStarted did not list, after the planned ones', async () => {
    await store.runs.runStarted({
      id: 'r',
      project: 'p',
      branch: null,
      commit: null,
      jobs: ['a'],
      startedAt: t(0),
    });
    await store.runs.attemptStarted('r', 'extra', 1, t(1));
    expect((await store.runs.jobsOf('r')).map((j) => j.name)).toEqual(['a', 'extra']);
  });

  it("reads one job's status with its run's, and nothing for an unknown run or job", async () => {
    const runs = store.runs;
    await runs.runStarted({
      id: 'r1',
      project: 'shop',
      branch: null,
      commit: null,
      jobs: ['build'],
      startedAt: t(0),
    });
    expect(await runs.jobState('r1', 'build')).toEqual({ status: 'pending', runStatus: 'running' });
    await runs.attemptStarted('r1', 'build', 1, t(1));
    expect(await runs.jobState('r1', 'build')).toEqual({ status: 'running', runStatus: 'running' });
    await runs.jobFinished(
      'r1',
      { name: 'build', status: 'passed', durationMs: 5, attempts: 1, cacheKey: 'k' },
      null,
      t(2),
    );
    await runs.runFinished('r1', { status: 'passed', durationMs: 5, jobs: [] }, t(2));
    expect(await runs.jobState('r1', 'build')).toEqual({ status: 'passed', runStatus: 'passed' });
    expect(await runs.jobState('r1', 'test')).toBeUndefined();
    expect(await runs.jobState('r2', 'build')).toBeUndefined();
  });
});
