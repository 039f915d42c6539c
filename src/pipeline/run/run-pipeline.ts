import os from 'node:os';
import type { LoadedConfig } from '../../config/loaded-config.js';
import { openVault } from '../../secrets/vault.js';
import { openStore } from '../../store/open.js';
import { createLocalExecutor } from '../executors/local/local-executor.js';
import { createMasker } from '../masking/masker.js';
import { planPipeline } from '../plan/plan.js';
import type { Plan, RunResult } from '../types.js';
import { gitInfo } from './git-info.js';
import { createJobCache } from './job-cache.js';
import { openJobLogFile } from './job-log-file.js';
import type { RunObserver } from './ports.js';
import { newRunId } from './run-id.js';
import { schedule } from './scheduler.js';

export interface RunPipelineOptions {
  loaded: LoadedConfig;
  /** JOB names given on the command line; empty runs every job. */
  select: string[];
  concurrency: number;
  readCache: boolean;
  explain: boolean;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /** Called once the plan is known, before anything runs (the CLI builds its reporter here). */
  observe(plan: Plan, runId: string): RunObserver;
  /**
   * The directory whose `.tandem` holds the store, cache, job logs and master key; loaded.dir by
   * default. A release's pipeline runs in its snapshot of the code but records into the project.
   */
  stateRoot?: string;
}

export interface RunPipelineOutcome {
  runId: string;
  result: RunResult;
  reasons: Record<string, string>;
}

/** Grace between SIGTERM and SIGKILL when a job times out or the run is cancelled. */
const KILL_GRACE_MS = 5000;

/** `tandem run`: plans (a config error runs nothing), records, schedules, records the outcome. */
export async function runPipeline(opts: RunPipelineOptions): Promise<RunPipelineOutcome> {
  const { loaded } = opts;
  const stateRoot = opts.stateRoot ?? loaded.dir;
  const maxBytes = Number(opts.env.TANDEM_CACHE_MAX_BYTES) || undefined;
  // Created first: it starts listing the project's files in the background.
  const cache = createJobCache(loaded.dir, { maxBytes, stateRoot });
  const store = await openStore(stateRoot);
  try {
    const secrets = await openVault(store, stateRoot, opts.env).toSecretSource();
    const plan = planPipeline(loaded, { env: opts.env, secrets, select: opts.select });
    const runId = newRunId();
    const observer = opts.observe(plan, runId);
    const git = await gitInfo(loaded.dir, opts.env);
    await store.runs.runStarted({
      id: runId,
      project: loaded.config.project,
      branch: git.branch,
      commit: git.commit,
      jobs: plan.jobs.map((j) => j.name),
      startedAt: new Date(),
    });
    const secretValues = secrets.values();
    const outcome = await schedule({
      runId,
      plan,
      executor: createLocalExecutor(),
      cache,
      recorder: store.runs,
      observer,
      openLog: (job) => openJobLogFile(stateRoot, runId, job.name),
      createMasker: () => createMasker(secretValues),
      baseEnv: definedOnly(opts.env),
      conditionEnv: opts.env,
      branch: git.branch,
      concurrency: opts.concurrency,
      readCache: opts.readCache,
      explain: opts.explain,
      killGraceMs: KILL_GRACE_MS,
      signal: opts.signal,
      // Wall-clock ms (job timestamps are stored), from the monotonic clock (durations never jump).
      now: () => performance.timeOrigin + performance.now(),
    });
    const result: RunResult = {
      status: outcome.status,
      durationMs: Math.round(outcome.durationMs),
      jobs: outcome.results.map((r) => ({
        name: r.name,
        status: r.status,
        durationMs: Math.round(r.durationMs),
        attempts: r.attempts,
        cacheKey: r.cacheKey,
      })),
    };
    await store.runs.runFinished(runId, result, new Date());
    const reasons = Object.fromEntries(
      outcome.results.filter((r) => r.reason).map((r) => [r.name, r.reason as string]),
    );
    return { runId, result, reasons };
  } finally {
    await store.close();
  }
}

export function defaultConcurrency(): number {
  return os.availableParallelism();
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
