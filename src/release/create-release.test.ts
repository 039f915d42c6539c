import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEnv, makeProject, removeProject } from '../../test/helpers/cli.js';
import { loadConfig } from '../config/load.js';
import { runPipeline } from '../pipeline/run/run-pipeline.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { createRelease } from './create-release.js';
import { pruneReleases } from './prune.js';

const CONFIG = '{"services":{"web":{"run":"node server.js"}},"environments":{}}';

/** A build job whose runs are counted in a file outside the project (env is not part of the key). */
const BUILD_YAML = `project: shop
pipeline:
  jobs:
    build:
      run: |
        mkdir -p dist
        cp src/app.txt dist/app.txt
        echo run >> "$COUNT_FILE"
      inputs: [src/**]
      outputs: [dist/**]
`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

async function setup(files: Record<string, string>, projectPath = '') {
  const repo = makeProject(files, { git: true });
  cleanups.push(() => removeProject(repo));
  const counts = mkdtempSync(path.join(os.tmpdir(), 'tandem-count-'));
  cleanups.push(() => rmSync(counts, { recursive: true, force: true }));
  const countFile = path.join(counts, 'count');
  const projectDir = path.join(repo, projectPath);
  const store: Store = await openStore(projectDir);
  cleanups.push(() => store.close());
  const env = cliEnv({ COUNT_FILE: countFile });
  const runs = () => (existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').length - 1 : 0);
  const progress: string[] = [];
  const release = (opts: { ref?: string; config?: string } = {}) =>
    createRelease({
      projectDir,
      stateRoot: projectDir,
      project: 'shop',
      ref: opts.ref,
      configSnapshot: opts.config ?? CONFIG,
      store,
      env,
      signal: new AbortController().signal,
      onProgress: (line) => progress.push(line),
      concurrency: 2,
    });
  return { repo, projectDir, store, env, runs, progress, release };
}

describe('createRelease', () => {
  it('snapshots the committed content, with the outputs of its cached green run restored', async () => {
    const { repo, projectDir, store, env, runs, progress, release } = await setup({
      'tandem.yaml': BUILD_YAML,
      'src/app.txt': 'committed\n',
    });
    // The working tree's own run fills the cache.
    const loaded = await loadConfig({ cwd: repo });
    const first = await runPipeline({
      loaded,
      select: [],
      concurrency: 2,
      readCache: true,
      explain: false,
      env,
      signal: new AbortController().signal,
      observe: () => ({}),
    });
    expect(first.result.status).toBe('passed');
    expect(runs()).toBe(1);
    // Uncommitted edits, including one that would fail the pipeline, are not part of the release.
    writeFileSync(path.join(repo, 'src/app.txt'), 'edited\n');
    writeFileSync(path.join(repo, 'tandem.yaml'), BUILD_YAML.replace('mkdir -p dist', 'exit 7'));

    const r = await release();

    const head = git(repo, 'rev-parse', 'HEAD');
    expect(r).toMatchObject({
      id: `r1-${head.slice(0, 7)}`,
      commit: head,
      ref: 'HEAD',
      status: 'ready',
      config: CONFIG,
      reused: false,
      dir: `releases/r1-${head.slice(0, 7)}/src`,
    });
    expect(r.projectDir).toBe(path.join(projectDir, '.tandem', 'releases', r.id, 'src'));
    expect(readFileSync(path.join(r.projectDir, 'src/app.txt'), 'utf8')).toBe('committed\n');
    expect(readFileSync(path.join(r.projectDir, 'tandem.yaml'), 'utf8')).toBe(BUILD_YAML);
    // Restored from the cache, not built again.
    expect(readFileSync(path.join(r.projectDir, 'dist/app.txt'), 'utf8')).toBe('committed\n');
    expect(runs()).toBe(1);
    expect(progress.some((line) => line.includes('uncommitted changes'))).toBe(true);

    // The run is recorded in the project's store, its logs in the project's .tandem.
    expect(r.runId).not.toBeNull();
    const runId = r.runId as string;
    expect(await store.runs.getRun(runId)).toMatchObject({ status: 'passed', commit: head, branch: 'main' });
    const [job] = await store.runs.jobsOf(runId);
    expect(job).toMatchObject({ name: 'build', status: 'cached' });
    expect(existsSync(path.join(projectDir, job?.logPath as string))).toBe(true);
    expect((await store.events.list({ subjectId: r.id })).map((e) => e.type)).toEqual([
      'release.created',
      'release.ready',
    ]);
  });

  it('builds what is not cached inside the release and stores it for the project', async () => {
    const { repo, runs, release } = await setup({ 'tandem.yaml': BUILD_YAML, 'src/app.txt': 'v1\n' });
    const r = await release();
    expect(runs()).toBe(1);
    expect(readFileSync(path.join(r.projectDir, 'dist/app.txt'), 'utf8')).toBe('v1\n');
    // Nothing was written into the working tree, and its next run hits the entry the release
    // stored, even once the release's directory is pruned (its cache links are not followed).
    expect(existsSync(path.join(repo, 'dist'))).toBe(false);
    expect(await pruneReleases(repo, [], 0)).toEqual([r.id]);
    const outcome = await runPipeline({
      loaded: await loadConfig({ cwd: repo }),
      select: [],
      concurrency: 2,
      readCache: true,
      explain: false,
      env: cliEnv({ COUNT_FILE: '/dev/null' }),
      signal: new AbortController().signal,
      observe: () => ({}),
    });
    expect(outcome.result.jobs.map((j) => j.status)).toEqual(['cached']);
    expect(readFileSync(path.join(repo, 'dist/app.txt'), 'utf8')).toBe('v1\n');
  });

  it('reuses the ready release of the same commit and config, and makes a new one for another config', async () => {
    const { projectDir, store, runs, progress, release } = await setup({
      'tandem.yaml': BUILD_YAML,
      'src/app.txt': 'x\n',
    });
    const first = await release();
    const again = await release({ ref: 'main' });
    expect(again).toMatchObject({ id: first.id, reused: true, projectDir: first.projectDir });
    expect(progress.some((line) => line.includes(`${first.id} already holds`))).toBe(true);
    expect(await store.releases.nextSeq()).toBe(2);

    const other = await release({ config: '{"services":{},"environments":{}}' });
    expect(other).toMatchObject({ seq: 2, status: 'ready', reused: false, commit: first.commit });
    expect(runs()).toBe(1); // the second release's pipeline was served from the cache

    // A ready release whose directory was pruned is built again, under a new id.
    await pruneReleases(projectDir, [other.id], 0);
    const rebuilt = await release();
    expect(rebuilt).toMatchObject({ seq: 3, reused: false, status: 'ready' });
    expect(existsSync(rebuilt.projectDir)).toBe(true);
  });

  it('releases an older commit given by --ref', async () => {
    const { repo, release } = await setup({ 'tandem.yaml': BUILD_YAML, 'src/app.txt': 'old\n' });
    const old = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'src/app.txt'), 'new\n');
    git(repo, 'commit', '-qam', 'second');
    git(repo, 'tag', 'v1', old);
    const r = await release({ ref: 'v1' });
    expect(r).toMatchObject({ commit: old, ref: 'v1' });
    expect(readFileSync(path.join(r.projectDir, 'dist/app.txt'), 'utf8')).toBe('old\n');
  });

  it('refuses a ref that is not a commit with git’s message (exit 2) and records nothing', async () => {
    const { store, release } = await setup({ 'tandem.yaml': BUILD_YAML, 'src/app.txt': 'x\n' });
    for (const ref of ['no-such-branch', '--output=/tmp/x']) {
      const err = await release({ ref }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TANDEM_BAD_REF', exitCode: 2 });
      expect((err as Error).message).toContain(ref);
    }
    const err = await release({ ref: 'no-such-branch' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/fatal|needed a single revision/i);
    expect(await store.releases.list()).toEqual([]);
  });

  it('marks the release failed, naming the failed job, and removes its directory when the pipeline fails', async () => {
    const yaml = `${BUILD_YAML}    check:
      run: echo broken; exit 3
`;
    const { projectDir, store, release } = await setup({ 'tandem.yaml': yaml, 'src/app.txt': 'x\n' });
    const err = await release().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TANDEM_RELEASE_PIPELINE_FAILED', exitCode: 1 });
    expect((err as Error).message).toContain('check');
    const [failed] = await store.releases.list();
    expect(failed).toMatchObject({ status: 'failed', runId: null });
    expect(failed?.reason).toContain('check');
    expect(existsSync(path.join(projectDir, '.tandem', 'releases', failed?.id as string))).toBe(false);
    expect(await store.releases.latestReady()).toBeUndefined();
  });

  it('fails the release when the commit has no tandem.yaml where the project is', async () => {
    const { repo, projectDir, store, release } = await setup({
      'tandem.yaml': BUILD_YAML,
      'src/app.txt': 'x\n',
    });
    const first = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'rm', '-q', 'tandem.yaml');
    git(repo, 'commit', '-qm', 'no config');
    writeFileSync(path.join(repo, 'tandem.yaml'), BUILD_YAML); // untracked: not in the commit
    await expect(release()).rejects.toMatchObject({ code: 'TANDEM_RELEASE_NO_CONFIG', exitCode: 2 });
    const [failed] = await store.releases.list();
    expect(failed?.status).toBe('failed');
    expect(existsSync(path.join(projectDir, '.tandem', 'releases', failed?.id as string))).toBe(false);
    expect((await release({ ref: first })).status).toBe('ready');
  });

  it('releases a project that lives in a subdirectory of its git repository', async () => {
    const { repo, projectDir, runs, release } = await setup(
      {
        'README.md': 'monorepo\n',
        'services/shop/tandem.yaml': BUILD_YAML,
        'services/shop/src/app.txt': 'shop\n',
      },
      'services/shop',
    );
    const r = await release();
    expect(r.dir).toBe(`releases/${r.id}/src/services/shop`);
    expect(r.projectDir).toBe(path.join(projectDir, '.tandem', 'releases', r.id, 'src', 'services', 'shop'));
    expect(readFileSync(path.join(r.projectDir, 'dist/app.txt'), 'utf8')).toBe('shop\n');
    expect(existsSync(path.join(r.projectDir, '..', '..', 'README.md'))).toBe(true);
    expect(runs()).toBe(1);
    expect(existsSync(path.join(repo, '.tandem'))).toBe(false);
  });
});
