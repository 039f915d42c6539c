import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, makeProject, removeProject } from '../../test/helpers/cli.js';
import type { createRelease, Release } from '../release/create-release.js';
import { releaseProjectDir } from '../release/layout.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { createRerun, createStartRun, listRunViews, needsFromConfig, runDetail } from './runs-view.js';

const PIPELINE = `project: shop
pipeline:
  jobs:
    lint: { run: "true" }
    test:
      run: "true"
      needs: lint
      matrix: { node: [20, 22] }
    build: { run: "true", needs: test }
    report: { run: "true", needs: [build], if: always() }
`;

const T = Date.parse('2025-03-01T10:00:00.000Z');
const at = (s: number) => new Date(T + s * 1000);

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = makeProject({ 'tandem.yaml': PIPELINE }, { git: true });
  store = await openStore(dir);
});
afterEach(async () => {
  await store.close();
  removeProject(dir);
});

const location = () => ({ root: dir, configFile: path.join(dir, 'tandem.yaml') });

/** A finished run: lint cached, the tests passed (one after a retry), build failed, report skipped. */
async function seedRun(id: string, s: number, commit: string | null = 'c0ffee1234'): Promise<void> {
  const jobs = ['lint', 'test (node=20)', 'test (node=22)', 'build', 'report'];
  await store.runs.runStarted({ id, project: 'shop', branch: 'main', commit, jobs, startedAt: at(s) });
  const finish = (
    name: string,
    status: 'passed' | 'failed' | 'cached' | 'skipped',
    attempts: number,
    reason?: string,
  ) =>
    store.runs.jobFinished(
      id,
      { name, status, durationMs: 1200, attempts, cacheKey: `k-${name}`, ...(reason ? { reason } : {}) },
      `.tandem/runs/${id}/${name}.log`,
      at(s + 5),
    );
  await finish('lint', 'cached', 0, 'cache hit k-lint');
  await store.runs.attemptStarted(id, 'test (node=20)', 1, at(s + 1));
  await store.runs.attemptFinished(id, 'test (node=20)', 1, {
    status: 'failed',
    exitCode: 1,
    finishedAt: at(s + 2),
    durationMs: 1000,
  });
  await store.runs.attemptStarted(id, 'test (node=20)', 2, at(s + 2));
  await store.runs.attemptFinished(id, 'test (node=20)', 2, {
    status: 'passed',
    exitCode: 0,
    finishedAt: at(s + 3),
    durationMs: 1000,
  });
  await finish('test (node=20)', 'passed', 2);
  await finish('test (node=22)', 'passed', 1);
  await finish('build', 'failed', 1);
  await finish('report', 'skipped', 0, 'build failed');
  await store.runs.runFinished(id, { status: 'failed', durationMs: 6000, jobs: [] }, at(s + 6));
}

describe('runs view', () => {
  it('lists runs newest first with job counts, paged by cursor', async () => {
    for (const [i, s] of [0, 10, 10, 20, 30].entries()) await seedRun(`run-${i}`, s);
    const first = await listRunViews(store, { limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(['run-4', 'run-3']);
    expect(first.items[0]).toMatchObject({
      status: 'failed',
      commit: 'c0ffee1234',
      durationMs: 6000,
      release: null,
      jobs: { total: 5, byStatus: { cached: 1, passed: 2, failed: 1, skipped: 1 } },
    });
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await listRunViews(store, { limit: 2, cursor });
      ids.push(...page.items.map((r) => r.id));
      if (page.next === null) break;
      cursor = page.next;
    }
    // Same start time: by id, descending.
    expect(ids).toEqual(['run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
    await expect(listRunViews(store, { cursor: 'nope' })).rejects.toMatchObject({ status: 400 });
  });

  it("draws a run's DAG from the current config, with cached and skipped reasons", async () => {
    await seedRun('run-1', 0);
    const detail = await runDetail(store, location(), 'run-1');
    expect(detail?.needsFrom).toBe('config');
    expect(detail?.jobs.map((j) => [j.name, j.needs])).toEqual([
      ['lint', []],
      ['test (node=20)', ['lint']],
      ['test (node=22)', ['lint']],
      ['build', ['test (node=20)', 'test (node=22)']],
      ['report', ['build']],
    ]);
    expect(detail?.jobs[0]).toMatchObject({
      status: 'cached',
      cached: true,
      reason: 'cache hit k-lint',
      position: 0,
    });
    expect(detail?.jobs[1]).toMatchObject({
      attempts: 2,
      startedAt: at(1).toISOString(),
      durationMs: 1200,
      logPath: '.tandem/runs/run-1/test (node=20).log',
    });
    expect(detail?.jobs[4]).toMatchObject({ status: 'skipped', reason: 'build failed' });
    expect(detail?.attempts.map((a) => [a.job, a.attempt, a.status])).toEqual([
      ['test (node=20)', 1, 'failed'],
      ['test (node=20)', 2, 'passed'],
    ]);
    expect(await runDetail(store, location(), 'missing')).toBeUndefined();
  });

  it("reads a release build's DAG from the config committed in the release", async () => {
    await seedRun('run-1', 0);
    const release = await store.releases.create({
      project: 'shop',
      commit: 'c0ffee1234',
      ref: 'main',
      config: '{}',
      dir: (id) => `releases/${id}/src`,
    });
    await store.releases.markReady(release.id, 'run-1');
    const releaseDir = releaseProjectDir(dir, release);
    mkdirSync(releaseDir, { recursive: true });
    // Back then, build needed lint only.
    writeFileSync(path.join(releaseDir, 'tandem.yaml'), PIPELINE.replace('needs: test }', 'needs: lint }'));
    const detail = await runDetail(store, location(), 'run-1');
    expect(detail?.release).toBe(release.id);
    expect(detail?.needsFrom).toBe('release');
    expect(detail?.jobs.find((j) => j.name === 'build')?.needs).toEqual(['lint']);
    expect((await listRunViews(store)).items[0]?.release).toBe(release.id);
  });

  it('maps matrix copies to their base job, and leaves jobs gone from the config unknown', () => {
    const needs = needsFromConfig({ a: {}, b: { needs: ['a'] }, c: { needs: ['b', 'gone'] } }, [
      'a (x=1)',
      'a (x=2)',
      'b',
      'c',
      'old',
    ]);
    expect(Object.fromEntries(needs)).toEqual({
      'a (x=1)': [],
      'a (x=2)': [],
      b: ['a (x=1)', 'a (x=2)'],
      c: ['b'],
    });
  });
});

describe('re-run', () => {
  type Build = typeof createRelease;

  /** A build that records a release and a run start at once, then waits for `finish`. */
  function gatedBuild(): { build: Build; finish(): void; calls: Array<Parameters<Build>[0]> } {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const calls: Array<Parameters<Build>[0]> = [];
    const build: Build = async (opts) => {
      calls.push(opts);
      const r = await opts.store.releases.create({
        project: opts.project,
        commit: opts.ref as string,
        ref: opts.ref ?? null,
        config: opts.configSnapshot,
        dir: (id) => `releases/${id}/src`,
      });
      const runId = `run-new-${calls.length}`;
      await opts.store.runs.runStarted({
        id: runId,
        project: 'shop',
        branch: null,
        commit: opts.ref as string,
        jobs: ['lint'],
        startedAt: new Date(),
      });
      await gate;
      const ready = await opts.store.releases.markReady(r.id, runId);
      return { ...ready, projectDir: '', reused: false } satisfies Release;
    };
    return { build, finish: () => open(), calls };
  }

  it('answers once the new run started, one re-run per commit at a time', async () => {
    await seedRun('run-1', 0);
    const { build, finish, calls } = gatedBuild();
    const rerun = createRerun({ store, ...location(), env: {}, build });
    const started = await rerun('run-1');
    expect(started).toMatchObject({ status: 'started', commit: 'c0ffee1234', runId: 'run-new-1' });
    expect(started.release).toMatch(/^r1-/);
    expect(calls[0]).toMatchObject({ ref: 'c0ffee1234', stateRoot: dir, project: 'shop' });
    await expect(rerun('run-1')).rejects.toMatchObject({ status: 409, code: 'TANDEM_RERUN_IN_PROGRESS' });
    finish();
    await new Promise((r) => setTimeout(r, 50));
    // Free again once the build ended.
    const again = await Promise.race([
      rerun('run-1').then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('waiting'), 2000)),
    ]);
    expect(again).toBe('answered');
  });

  it('starting a released commit reuses its release, a re-run builds again; refuses what cannot run', async () => {
    await seedRun('run-1', 0);
    await seedRun('run-2', 5, null);
    const build: Build = async (opts) => ({
      id: 'r9-c0ffee1',
      seq: 9,
      project: 'shop',
      commit: opts.ref as string,
      ref: null,
      runId: 'run-0',
      dir: 'releases/r9-c0ffee1/src',
      config: '{}',
      status: 'ready',
      reason: null,
      createdAt: '',
      finishedAt: null,
      projectDir: '',
      reused: true,
    });
    const calls: Array<Parameters<Build>[0]> = [];
    const recorded: Build = (opts) => {
      calls.push(opts);
      return build(opts);
    };
    // Starting a ref whose commit is released already reuses the release: nothing runs.
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const start = createStartRun({ store, ...location(), env: cliEnv(), build: recorded });
    expect(await start('HEAD')).toMatchObject({ status: 'reused', commit: head, release: 'r9-c0ffee1' });
    expect(calls[0]).toMatchObject({ ref: head, rebuild: false });
    await expect(start('no-such-branch')).rejects.toMatchObject({ status: 404, code: 'TANDEM_BAD_REF' });
    await expect(start('--upload-pack=x')).rejects.toMatchObject({ status: 400, code: 'TANDEM_BAD_REF' });
    // A re-run asks for a new release even then (the fake build answers as if reused).
    const rerun = createRerun({ store, ...location(), env: {}, build: recorded });
    expect(await rerun('run-1')).toEqual({
      status: 'reused',
      commit: 'c0ffee1234',
      release: 'r9-c0ffee1',
      runId: 'run-0',
    });
    expect(calls[1]).toMatchObject({ ref: 'c0ffee1234', rebuild: true });
    await expect(rerun('missing')).rejects.toMatchObject({ status: 404, code: 'TANDEM_RUN_NOT_FOUND' });
    await expect(rerun('run-2')).rejects.toMatchObject({ status: 409, code: 'TANDEM_RUN_NO_COMMIT' });
    const failing = createRerun({
      store,
      ...location(),
      env: {},
      build: async () => Promise.reject(Object.assign(new Error('bad ref'), { code: 'TANDEM_BAD_REF' })),
    });
    await expect(failing('run-1')).rejects.toThrow('bad ref');
  });

  it('really re-runs the pipeline of the commit by building a release of it', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    await store.runs.runStarted({
      id: 'run-old',
      project: 'shop',
      branch: 'main',
      commit: head,
      jobs: ['lint'],
      startedAt: at(0),
    });
    await store.runs.runFinished('run-old', { status: 'failed', durationMs: 10, jobs: [] }, at(1));
    const rerun = createRerun({ store, ...location(), env: cliEnv(), startTimeoutMs: 20_000 });
    const result = await rerun('run-old');
    expect(result.status).toBe('started');
    expect(result.runId).not.toBeNull();
    expect(result.runId).not.toBe('run-old');
    // The build goes on in the background: wait for its run to finish.
    const deadline = Date.now() + 20_000;
    while ((await store.runs.getRun(result.runId as string))?.status !== 'passed') {
      if (Date.now() > deadline) throw new Error('the re-run did not pass in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    const run = await store.runs.getRun(result.runId as string);
    expect(run?.commit).toBe(head);
    // Let the release finish too before the project is removed.
    while ((await store.releases.get(result.release as string))?.status === 'building') {
      if (Date.now() > deadline) throw new Error('the release did not finish in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await store.releases.get(result.release as string))?.status).toBe('ready');
  });
});
