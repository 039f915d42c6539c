import { existsSync } from 'node:fs';
import { mkdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE_NAMES, loadConfig } from '../config/load.js';
import { isTandemError, TandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import { defaultConcurrency, runPipeline } from '../pipeline/run/run-pipeline.js';
import type { RunResult } from '../pipeline/types.js';
import type { StoredRelease } from '../store/repositories/releases.js';
import type { Store } from '../store/store.js';
import { git } from './git.js';
import { releaseDirColumn, releaseProjectDir, releaseRoot, releasesDir } from './layout.js';

export interface CreateReleaseOptions {
  /** Directory of the working tree's tandem.yaml. */
  projectDir: string;
  /** The project directory holding `.tandem` (store, cache, logs, releases); usually projectDir. */
  stateRoot: string;
  /** The project's name (tandem.yaml `project`), recorded with the release. */
  project: string;
  /** What to release: a commit, branch or tag; HEAD by default. */
  ref?: string;
  /** JSON of `{ services, environments }` the release runs with (decided by the caller). */
  configSnapshot: string;
  store: Store;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /** Lines for people: what is happening, one at a time. */
  onProgress?: (line: string) => void;
  /** Jobs at once in the release's pipeline; the number of CPUs by default. */
  concurrency?: number;
  /** Build a new release even when a ready one of the same commit and config exists (a re-run). */
  rebuild?: boolean;
}

export interface Release extends StoredRelease {
  /** Absolute directory of the release's project (its committed tandem.yaml and built outputs). */
  projectDir: string;
  /** An existing ready release of the same commit and config was returned instead of a new one. */
  reused: boolean;
}

/**
 * Builds an immutable release: a detached checkout of `ref`'s commit in
 * `.tandem/releases/<id>/src`, where the committed tandem.yaml's whole pipeline runs with the
 * project's store, cache (cached outputs are restored into the release) and logs. A ready
 * release of the same commit and config is reused. Uncommitted changes are never part of it.
 * Any failure after the release is recorded removes its directory and marks it failed.
 */
export async function createRelease(opts: CreateReleaseOptions): Promise<Release> {
  const ref = opts.ref ?? 'HEAD';
  const progress = opts.onProgress ?? (() => undefined);
  const { store, env, signal } = opts;
  const run = (cwd: string, args: string[]) => git(cwd, args, env, signal);

  if (ref === '' || ref.startsWith('-')) throw badRef(ref, 'not a git revision');
  const toplevel = await run(opts.projectDir, ['rev-parse', '--show-toplevel']);
  throwIfAborted(signal);
  if (!toplevel.ok) {
    throw new TandemError(
      'TANDEM_NOT_A_GIT_REPO',
      `a release is built from a git commit, but ${opts.projectDir} is not in a git repository (${toplevel.stderr}); run \`git init\` and commit first`,
      { exitCode: 2 },
    );
  }
  const resolved = await run(opts.projectDir, ['rev-parse', '--verify', `${ref}^{commit}`]);
  throwIfAborted(signal);
  if (!resolved.ok) throw badRef(ref, resolved.stderr);
  const commit = resolved.stdout.trim();
  const short = commit.slice(0, 7);
  const projectPath = toPosix(
    path.relative(await realpath(toplevel.stdout), await realpath(opts.projectDir)),
  );

  const status = await run(opts.projectDir, ['status', '--porcelain', '--', '.']);
  if (status.ok && status.stdout.trim() !== '') {
    progress(
      `the working tree has uncommitted changes: they are not part of the release (built from commit ${short})`,
    );
  }

  const existing = opts.rebuild
    ? undefined
    : await store.releases.findReadyByCommitAndConfig(commit, opts.configSnapshot);
  if (existing) {
    const dir = releaseProjectDir(opts.stateRoot, existing);
    if (existsSync(dir)) {
      progress(`release ${existing.id} already holds commit ${short} with this config: reusing it`);
      return { ...existing, projectDir: dir, reused: true };
    }
  }
  throwIfAborted(signal);

  const branch = await branchOf(opts.projectDir, ref, run);
  const created = await store.releases.create({
    project: opts.project,
    commit,
    ref,
    config: opts.configSnapshot,
    dir: (id) => releaseDirColumn(id, projectPath),
  });
  const root = releaseRoot(opts.stateRoot, created.id);
  const projectDir = releaseProjectDir(opts.stateRoot, created);
  try {
    progress(`release ${created.id}: checking out commit ${short}${ref === commit ? '' : ` (${ref})`}`);
    await mkdir(releasesDir(opts.stateRoot), { recursive: true });
    await rm(root, { recursive: true, force: true }); // a leftover of a crashed attempt
    const source = path.join(root, 'src');
    await step(
      run(opts.stateRoot, ['clone', '--quiet', '--shared', '--no-checkout', toplevel.stdout, source]),
      {
        signal,
        what: `clone ${toplevel.stdout}`,
      },
    );
    await step(run(source, ['checkout', '--quiet', '--detach', commit]), {
      signal,
      what: `check out ${commit}`,
    });

    const configFile = CONFIG_FILE_NAMES.map((name) => path.join(projectDir, name)).find((f) =>
      existsSync(f),
    );
    if (!configFile) {
      throw new TandemError(
        'TANDEM_RELEASE_NO_CONFIG',
        `commit ${short} has no ${CONFIG_FILE_NAMES.join(' or ')} in ${projectPath || 'the repository root'}; commit it first`,
        { exitCode: 2 },
      );
    }
    // Shown relative to the repository, as git shows paths: `tandem.yaml:12:7`.
    const loaded = await loadConfig({ cwd: source, config: path.relative(source, configFile) });

    progress(`release ${created.id}: running the pipeline of commit ${short}`);
    const pipelineEnv = branch && !env.TANDEM_BRANCH ? { ...env, TANDEM_BRANCH: branch } : env;
    const outcome = await runPipeline({
      loaded,
      select: [],
      concurrency: opts.concurrency ?? defaultConcurrency(),
      readCache: true,
      explain: false,
      env: pipelineEnv,
      signal,
      stateRoot: opts.stateRoot,
      observe: () => ({
        jobFinished: (job, result) => progress(`  ${job.name}: ${result.status}`),
      }),
    });
    if (outcome.result.status !== 'passed') throw pipelineFailed(outcome.runId, outcome.result, signal);

    const ready = await store.releases.markReady(created.id, outcome.runId);
    progress(`release ${created.id}: ready`);
    return { ...ready, projectDir, reused: false };
  } catch (err) {
    await rm(root, { recursive: true, force: true }).catch((rmErr: unknown) =>
      logger().warn({ err: rmErr, release: created.id }, 'cannot remove the directory of a failed release'),
    );
    const reason = err instanceof Error ? err.message : String(err);
    await store.releases
      .markFailed(created.id, reason)
      .catch((markErr: unknown) =>
        logger().error({ err: markErr, release: created.id }, 'cannot mark the release failed'),
      );
    progress(`release ${created.id}: failed`);
    if (signal.aborted && !isTandemError(err)) throw cancelled();
    throw err;
  }
}

function badRef(ref: string, why: string): TandemError {
  return new TandemError('TANDEM_BAD_REF', `cannot release --ref ${JSON.stringify(ref)}: ${why}`, {
    exitCode: 2,
  });
}

function cancelled(): TandemError {
  return new TandemError('TANDEM_RELEASE_CANCELLED', 'the release was cancelled');
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw cancelled();
}

async function step(
  result: Promise<{ ok: boolean; stderr: string }>,
  opts: { signal: AbortSignal; what: string },
): Promise<void> {
  const { ok, stderr } = await result;
  throwIfAborted(opts.signal);
  if (!ok) throw new TandemError('TANDEM_RELEASE_GIT', `cannot ${opts.what}: ${stderr}`);
}

function pipelineFailed(runId: string, result: RunResult, signal: AbortSignal): TandemError {
  if (result.status === 'cancelled' || signal.aborted) {
    return new TandemError('TANDEM_RELEASE_CANCELLED', `the release's pipeline run ${runId} was cancelled`);
  }
  const failed = result.jobs.filter((j) => j.status === 'failed').map((j) => j.name);
  const which = failed.length > 0 ? `job(s) ${failed.join(', ')} failed` : `it ended ${result.status}`;
  return new TandemError(
    'TANDEM_RELEASE_PIPELINE_FAILED',
    `the release's pipeline run ${runId} is not green: ${which} (logs in .tandem/runs/${runId}/)`,
  );
}

/** The branch `ref` names (HEAD: the checked-out one), so `if: branch == ...` sees what the user sees. */
async function branchOf(
  cwd: string,
  ref: string,
  run: (cwd: string, args: string[]) => Promise<{ ok: boolean; stdout: string }>,
): Promise<string | undefined> {
  const full = await run(cwd, ['rev-parse', '--symbolic-full-name', ref]);
  const name = full.ok ? full.stdout.trim() : '';
  return name.startsWith('refs/heads/') ? name.slice('refs/heads/'.length) : undefined;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
