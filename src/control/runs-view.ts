/**
 * Pipeline runs for the dashboard (GET /runs, GET /runs/:id, POST /runs, POST /runs/:id/rerun): runs with
 * their jobs as a DAG (needs, status, cached and skipped reasons, durations).
 *
 * The store keeps each job's result but not its `needs`, so the edges are read from the
 * pipeline config the run ran: a release's build from the tandem.yaml committed in the
 * release, any other run from the project's current tandem.yaml (`needsFrom` says which;
 * a job no longer in it has `needs: null`).
 *
 * Running a pipeline on the control plane means building a release (a deploy builds one,
 * which runs the pipeline of its commit in a clean checkout; src/release/create-release.ts).
 * A re-run builds a new release of the run's commit with the current config, so the pipeline
 * runs again even when the commit is released already (the job cache still applies). Starting
 * the pipeline of a ref reuses a ready release of that commit and config (`status: 'reused'`:
 * it is green already), as a deploy would.
 */
import { ApiError } from '../agent/http-io.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { logger } from '../log/logger.js';
import { createRelease } from '../release/create-release.js';
import { git } from '../release/git.js';
import { releaseProjectDir } from '../release/layout.js';
import type { StoredJobStatus } from '../store/database.js';
import type { StoredAttempt, StoredRun } from '../store/repositories/runs.js';
import type { Store } from '../store/store.js';
import { snapshotOf } from './release-config.js';

export interface RunSummary extends StoredRun {
  /** The release this run built, when it was a release's green pipeline. */
  release: string | null;
  /** How many jobs ended (or stand) in each status. */
  jobs: { total: number; byStatus: Partial<Record<StoredJobStatus, number>> };
}

export interface RunJob {
  name: string;
  /** Order in the plan (topological). */
  position: number;
  status: StoredJobStatus;
  /** The jobs it needs (the DAG's edges); null when unknown (not in the config read). */
  needs: string[] | null;
  /** Its outputs were restored from the cache instead of running. */
  cached: boolean;
  /** Why it was skipped, failed or cancelled, in words. */
  reason: string | null;
  attempts: number;
  /** The first attempt's start. */
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  cacheKey: string | null;
  /** The job's masked log, relative to the project root. */
  logPath: string | null;
}

export interface RunDetail extends Omit<RunSummary, 'jobs'> {
  jobs: RunJob[];
  attempts: StoredAttempt[];
  /** Where `needs` were read: the release's committed tandem.yaml, or the project's current one. */
  needsFrom: 'release' | 'config' | null;
}

export interface RunPage {
  items: RunSummary[];
  next: string | null;
}

export const MAX_RUNS_LIMIT = 200;

/** Runs newest first (started_at, id), keyset-paginated. */
export async function listRunViews(
  store: Store,
  opts: { limit?: number; cursor?: string | undefined } = {},
): Promise<RunPage> {
  const limit = Math.min(Math.max(1, Math.floor(opts.limit ?? 20)), MAX_RUNS_LIMIT);
  let q = store.db.selectFrom('pipeline_runs').selectAll();
  const after = decodeCursor(opts.cursor);
  if (after !== undefined) {
    q = q.where((eb) =>
      eb.or([
        eb('started_at', '<', after.startedAt),
        eb.and([eb('started_at', '=', after.startedAt), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const ids = page.map((r) => r.id);
  const [counts, releases] = await Promise.all([
    ids.length === 0
      ? []
      : store.db
          .selectFrom('pipeline_jobs')
          .select(['run_id', 'status'])
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('run_id', 'in', ids)
          .groupBy(['run_id', 'status'])
          .execute(),
    releasesOfRuns(store, ids),
  ]);
  const jobs = new Map<string, RunSummary['jobs']>();
  for (const c of counts) {
    const j = jobs.get(c.run_id) ?? { total: 0, byStatus: {} };
    j.total += Number(c.n);
    j.byStatus[c.status] = Number(c.n);
    jobs.set(c.run_id, j);
  }
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      project: r.project,
      branch: r.branch,
      commit: r.commit,
      status: r.status,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      durationMs: r.duration_ms,
      release: releases.get(r.id) ?? null,
      jobs: jobs.get(r.id) ?? { total: 0, byStatus: {} },
    })),
    next: rows.length > limit && last !== undefined ? encodeCursor(last.started_at, last.id) : null,
  };
}

/** Where the project is, to read the pipeline config of its runs. */
export interface ProjectLocation {
  /** The project directory holding `.tandem` (ControlPlane.root). */
  root: string;
  /** Its tandem.yaml (ControlPlane.configFile). */
  configFile: string;
}

/** One run with its jobs as a DAG; undefined when there is no such run. */
export async function runDetail(
  store: Store,
  project: ProjectLocation,
  id: string,
): Promise<RunDetail | undefined> {
  const run = await store.runs.getRun(id);
  if (run === undefined) return undefined;
  const [jobs, attempts, releases] = await Promise.all([
    store.runs.jobsOf(id),
    store.runs.attemptsOf(id),
    releasesOfRuns(store, [id]),
  ]);
  const release = releases.get(id) ?? null;
  const names = jobs.map((j) => j.name);
  let needs: Map<string, string[]> | undefined;
  let needsFrom: RunDetail['needsFrom'] = null;
  if (release !== null) {
    const stored = await store.releases.get(release);
    if (stored !== undefined) {
      needs = await needsOf(names, { cwd: releaseProjectDir(project.root, stored) });
      if (needs !== undefined) needsFrom = 'release';
    }
  }
  if (needs === undefined) {
    needs = await needsOf(names, { cwd: project.root, config: project.configFile });
    if (needs !== undefined) needsFrom = 'config';
  }
  const firstStart = new Map<string, string>();
  for (const a of attempts) if (!firstStart.has(a.job)) firstStart.set(a.job, a.startedAt);
  return {
    id: run.id,
    project: run.project,
    branch: run.branch,
    commit: run.commit,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    release,
    needsFrom,
    jobs: jobs.map((j, position) => ({
      name: j.name,
      position,
      status: j.status,
      needs: needs?.get(j.name) ?? null,
      cached: j.status === 'cached',
      reason: j.reason,
      attempts: j.attempts,
      startedAt: firstStart.get(j.name) ?? null,
      finishedAt: j.finishedAt,
      durationMs: j.durationMs,
      cacheKey: j.cacheKey,
      logPath: j.logPath,
    })),
    attempts,
  };
}

/** The needs of each of `jobs` per the config at `where`; undefined when it cannot be read. */
async function needsOf(
  jobs: string[],
  where: { cwd: string; config?: string },
): Promise<Map<string, string[]> | undefined> {
  try {
    const loaded = await loadConfig(where);
    return needsFromConfig(loaded.config.pipeline.jobs, jobs);
  } catch (err) {
    logger().debug({ err, where }, 'runs: cannot read the pipeline config for needs');
    return undefined;
  }
}

/**
 * Edges of the run's jobs from `pipeline.jobs`: a matrix copy (`test (node=20)`) has the needs
 * of its base job, and needing a job with a matrix means needing every copy of it in the run.
 * Jobs whose base is not in the config are left out.
 */
export function needsFromConfig(
  config: Record<string, Pick<Config['pipeline']['jobs'][string], 'needs'>>,
  jobs: readonly string[],
): Map<string, string[]> {
  const baseOf = (name: string) => name.split(' (')[0] as string;
  const copies = new Map<string, string[]>();
  for (const name of jobs) {
    const list = copies.get(baseOf(name)) ?? [];
    list.push(name);
    copies.set(baseOf(name), list);
  }
  const out = new Map<string, string[]>();
  for (const name of jobs) {
    const job = config[baseOf(name)];
    if (job === undefined) continue;
    out.set(
      name,
      (job.needs ?? []).flatMap((base) => copies.get(base) ?? []),
    );
  }
  return out;
}

async function releasesOfRuns(store: Store, runIds: string[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  const rows = await store.db
    .selectFrom('releases')
    .select(['id', 'run_id'])
    .where('run_id', 'in', runIds)
    .execute();
  return new Map(rows.filter((r) => r.run_id !== null).map((r) => [r.run_id as string, r.id]));
}

function encodeCursor(startedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([startedAt, id])).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { startedAt: string; id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string') {
      return { startedAt: v[0], id: v[1] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new ApiError(
    400,
    'TANDEM_BAD_CURSOR',
    `cursor "${cursor}" is not one this API returned; omit it to start from the newest`,
  );
}

// ---- re-run ----------------------------------------------------------------------------------

export interface RerunResult {
  /** started: a release build (and its pipeline run) began; reused: the commit has a ready release already. */
  status: 'started' | 'reused';
  commit: string;
  /** The release being built (or reused); null if the build had not recorded it yet. */
  release: string | null;
  /** The new pipeline run (or the reused release's run); null if it had not started yet. */
  runId: string | null;
}

export interface RerunDeps extends ProjectLocation {
  store: Store;
  env: Record<string, string | undefined>;
  /** How long to wait for the new run to be recorded before answering (default 15 s). */
  startTimeoutMs?: number;
  /** Replaces createRelease (tests). */
  build?: typeof createRelease;
}

export type Rerun = (runId: string) => Promise<RerunResult>;
/** Starts the pipeline of a git ref (a branch, tag or commit; HEAD by default). */
export type StartRun = (ref?: string) => Promise<RerunResult>;

/**
 * Re-runs a pipeline run by building a new release of its commit (see the file comment): the
 * pipeline runs again even when a release of the commit exists (cached jobs replay from the
 * cache). Answers once the new run is recorded (so the caller can follow it) or the build
 * ended; the build goes on in the background. One build per commit at a time.
 */
export function createRerun(deps: RerunDeps): Rerun {
  const launch = launcher(deps);
  return async (runId) => {
    const run = await deps.store.runs.getRun(runId);
    if (run === undefined) throw new ApiError(404, 'TANDEM_RUN_NOT_FOUND', `no pipeline run "${runId}"`);
    if (run.commit === null) {
      throw new ApiError(
        409,
        'TANDEM_RUN_NO_COMMIT',
        `run ${runId} ran outside a git commit, so it cannot be re-run here; run \`tandem run\` in the project instead`,
      );
    }
    return launch(run.commit, { rebuild: true, what: `run ${runId}` });
  };
}

/**
 * Runs the pipeline of a ref by building a release of its commit; a ready release of the same
 * commit and config is reused (status `reused`: nothing ran), as `tandem deploy` would reuse it.
 */
export function createStartRun(deps: RerunDeps): StartRun {
  const launch = launcher(deps);
  return async (ref = 'HEAD') => {
    if (ref === '' || ref.startsWith('-')) {
      throw new ApiError(400, 'TANDEM_BAD_REF', `"${ref}" is not a git revision`);
    }
    const resolved = await git(deps.root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], deps.env);
    if (!resolved.ok || resolved.stdout.trim() === '') {
      throw new ApiError(
        404,
        'TANDEM_BAD_REF',
        `"${ref}" names no commit of the project's repository (a branch, tag or commit id)`,
      );
    }
    return launch(resolved.stdout.trim(), { rebuild: false, what: ref });
  };
}

type Launch = (commit: string, opts: { rebuild: boolean; what: string }) => Promise<RerunResult>;

function launcher(deps: RerunDeps): Launch {
  const building = new Set<string>();
  const startTimeoutMs = deps.startTimeoutMs ?? 15_000;
  const build = deps.build ?? createRelease;
  return async (commit, opts) => {
    const { store } = deps;
    if (building.has(commit)) {
      throw new ApiError(
        409,
        'TANDEM_RERUN_IN_PROGRESS',
        `commit ${commit.slice(0, 7)} is being built already; follow it in the runs list`,
      );
    }
    const loaded = await loadConfig({ cwd: deps.root, config: deps.configFile });
    const [latest] = await store.events.list({ order: 'desc', limit: 1 });
    const since = latest?.id ?? 0;
    building.add(commit);
    const done = build({
      project: loaded.config.project,
      projectDir: loaded.dir,
      stateRoot: deps.root,
      ref: commit,
      configSnapshot: snapshotOf(loaded.config),
      store,
      env: deps.env,
      signal: new AbortController().signal,
      rebuild: opts.rebuild,
      onProgress: (line) => logger().info({ what: opts.what, commit }, line),
    }).finally(() => building.delete(commit));
    const finished = done.then(
      (r): RerunResult => ({
        status: r.reused ? 'reused' : 'started',
        commit,
        release: r.id,
        runId: r.runId,
      }),
    );
    let answered = false;
    // A failure before the answer is the answer; one after it is only in the log (and the run).
    finished.catch((err: unknown) => {
      if (answered) logger().warn({ err, what: opts.what, commit }, 'pipeline: the release build failed');
    });
    const started = waitForStart(store, commit, since, startTimeoutMs);
    try {
      const result = await Promise.race([finished, started.promise]);
      answered = true;
      return result;
    } finally {
      started.cancel();
    }
  };
}

/** Resolves when a release of `commit` was created and its pipeline run started (events after `since`). */
function waitForStart(
  store: Store,
  commit: string,
  since: number,
  timeoutMs: number,
): { promise: Promise<RerunResult>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const promise = new Promise<RerunResult>((resolve) => {
    let after = since;
    let release: string | null = null;
    const deadline = Date.now() + timeoutMs;
    const poll = async () => {
      if (cancelled) return;
      try {
        for (const e of await store.events.list({ afterId: after, limit: 500 })) {
          after = e.id;
          if (e.data.commit !== commit) continue;
          if (e.type === 'release.created') release = e.subjectId;
          if (e.type === 'pipeline.run.started' && release !== null) {
            resolve({ status: 'started', commit, release, runId: e.subjectId });
            return;
          }
        }
      } catch (err) {
        logger().debug({ err }, 're-run: cannot read events');
      }
      if (Date.now() >= deadline) {
        resolve({ status: 'started', commit, release, runId: null });
        return;
      }
      timer = setTimeout(() => void poll(), 100);
    };
    void poll();
  });
  return {
    promise,
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
