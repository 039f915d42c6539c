import { formatDuration } from '../../util/duration.js';
import type { ExecOutcome, Executor } from '../executors/types.js';
import { evaluateCondition } from '../expressions/evaluate.js';
import type { AttemptStatus, JobResult, Plan, PlannedJob, RunRecorder, RunStatus } from '../types.js';
import { ancestorsOf, blockedReason, needsContext, statusOverAncestors } from './needs-status.js';
import type { JobCache, JobLog, RunObserver } from './ports.js';
import { Semaphore } from './semaphore.js';

export interface StreamMasker {
  write(chunk: string): string;
  flush(): string;
}

export interface SchedulerOptions {
  runId: string;
  plan: Plan;
  executor: Executor;
  cache: JobCache;
  recorder: RunRecorder;
  observer: RunObserver;
  openLog(job: PlannedJob): JobLog;
  createMasker(): StreamMasker;
  /** The environment every job starts from (the job's env is laid over it). */
  baseEnv: Record<string, string>;
  /** Environment seen by `if` expressions as env.NAME. */
  conditionEnv: Record<string, string | undefined>;
  branch: string | null;
  concurrency: number;
  readCache: boolean;
  explain: boolean;
  killGraceMs: number;
  signal: AbortSignal;
  now(): number;
}

export interface ScheduleOutcome {
  status: RunStatus;
  durationMs: number;
  /** In plan order. */
  results: JobResult[];
}

/**
 * Runs a plan as a DAG: as many ready jobs at once as `concurrency` allows, each through its
 * condition, the cache, then its attempts. A failed job skips what needs it (with the reason);
 * unrelated branches go on. Cancelling (the signal) kills running jobs and cancels the rest.
 */
export async function schedule(opts: SchedulerOptions): Promise<ScheduleOutcome> {
  const started = opts.now();
  const jobs = new Map(opts.plan.jobs.map((job) => [job.name, job]));
  const results = new Map<string, JobResult>();
  const pending = [...opts.plan.jobs];
  const running = new Set<Promise<void>>();
  // Concurrency bounds the commands that run, not the bookkeeping: cache lookups, replays
  // and skips of ready jobs proceed while other jobs' commands hold the slots.
  const slots = new Semaphore(Math.max(1, opts.concurrency));

  while (pending.length > 0 || running.size > 0) {
    for (let i = 0; i < pending.length; ) {
      const job = pending[i] as PlannedJob;
      if (!job.needs.every((need) => results.has(need))) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      const task: Promise<void> = runJob(job, jobs, results, slots, opts).then((result) => {
        results.set(job.name, result);
        running.delete(task);
      });
      running.add(task);
    }
    if (running.size === 0) break; // only reachable with a cycle, which planning rules out
    await Promise.race(running);
  }

  const ordered = opts.plan.jobs.map((job) => results.get(job.name) as JobResult);
  let status: RunStatus = 'passed';
  if (opts.signal.aborted) status = 'cancelled';
  else if (ordered.some((r) => r.status === 'failed' || r.status === 'cancelled')) status = 'failed';
  return { status, durationMs: opts.now() - started, results: ordered };
}

async function runJob(
  job: PlannedJob,
  jobs: ReadonlyMap<string, PlannedJob>,
  results: ReadonlyMap<string, JobResult>,
  slots: Semaphore,
  opts: SchedulerOptions,
): Promise<JobResult> {
  // A job's duration counts from when its command starts (or its cache lookup), not its wait for a slot.
  let started = opts.now();
  const finish = async (result: Omit<JobResult, 'name' | 'durationMs'>, log?: JobLog): Promise<JobResult> => {
    const full: JobResult = { name: job.name, durationMs: opts.now() - started, ...result };
    const logPath = log ? await log.close() : null;
    await opts.recorder.jobFinished(opts.runId, full, logPath, new Date(opts.now()));
    opts.observer.jobFinished?.(job, full);
    return full;
  };

  if (opts.signal.aborted) {
    return finish({
      status: 'cancelled',
      attempts: 0,
      cacheKey: '',
      reason: 'the run was cancelled before it started',
    });
  }
  const status = statusOverAncestors(ancestorsOf(jobs, job.name), results);
  const shouldRun = evaluateCondition(job.if, {
    branch: opts.branch,
    env: opts.conditionEnv,
    matrix: job.matrix,
    needs: needsContext(job, jobs, results),
    status: { ...status, cancelled: false },
  });
  if (!shouldRun) {
    const reason = job.if === undefined ? blockedReason(job, results) : `condition \`${job.if}\` is false`;
    return finish({ status: 'skipped', attempts: 0, cacheKey: '', reason });
  }

  const neededKeys = Object.fromEntries(job.needs.map((need) => [need, results.get(need)?.cacheKey ?? '']));
  const lookup = await opts.cache.lookup(job, neededKeys, {
    read: opts.readCache && job.cache,
    explain: opts.explain && job.cache,
  });
  const log = opts.openLog(job);

  if (lookup.hit) {
    try {
      await lookup.hit.restore();
      log.append(lookup.hit.log);
      opts.observer.jobOutput?.(job, lookup.hit.log, true);
      return finish({ status: 'cached', attempts: 0, cacheKey: lookup.key }, log);
    } catch {
      // Outputs could not be put back: run the job as if it had missed.
    }
  }
  if (lookup.missReasons) opts.observer.cacheMissExplained?.(job, lookup.missReasons);

  const maxAttempts = job.retries + 1;
  for (let attempt = 1; ; attempt++) {
    const { outcome, output } = await slots.use(() => {
      if (attempt === 1) started = opts.now();
      return runAttempt(job, attempt, log, opts);
    });
    const attemptStatus = statusOf(outcome);
    await opts.recorder.attemptFinished(opts.runId, job.name, attempt, {
      status: attemptStatus,
      exitCode: outcome.exitCode,
      durationMs: outcome.durationMs,
      finishedAt: new Date(opts.now()),
    });
    if (attemptStatus === 'passed') {
      if (job.cache) await opts.cache.save(job, lookup.key, output);
      return finish({ status: 'passed', attempts: attempt, cacheKey: lookup.key }, log);
    }
    if (attemptStatus === 'cancelled') {
      return finish(
        { status: 'cancelled', attempts: attempt, cacheKey: lookup.key, reason: 'cancelled' },
        log,
      );
    }
    const why = describeFailure(outcome, job.timeoutMs);
    const willRetry = attempt < maxAttempts && !opts.signal.aborted;
    opts.observer.attemptFailed?.(job, attempt, willRetry, why);
    if (!willRetry) {
      const reason = maxAttempts > 1 ? `${why} (after ${attempt} attempts)` : why;
      return finish({ status: 'failed', attempts: attempt, cacheKey: lookup.key, reason }, log);
    }
    log.append(`\n--- attempt ${attempt} ${why}; retrying (attempt ${attempt + 1} of ${maxAttempts}) ---\n`);
  }
}

async function runAttempt(job: PlannedJob, attempt: number, log: JobLog, opts: SchedulerOptions) {
  opts.cache.treeMayChange?.();
  await opts.recorder.attemptStarted(opts.runId, job.name, attempt, new Date(opts.now()));
  opts.observer.jobStarted?.(job, attempt);
  const masker = opts.createMasker();
  let output = '';
  const emit = (text: string) => {
    if (text.length === 0) return;
    output += text;
    log.append(text);
    opts.observer.jobOutput?.(job, text, false);
  };
  const env = {
    ...opts.baseEnv,
    ...job.env,
    TANDEM: 'true',
    TANDEM_RUN_ID: opts.runId,
    TANDEM_JOB: job.name,
    TANDEM_ATTEMPT: String(attempt),
  };
  const outcome = await opts.executor.run(
    {
      name: job.name,
      script: job.run,
      cwd: job.cwd,
      env,
      timeoutMs: job.timeoutMs,
      killGraceMs: opts.killGraceMs,
    },
    { write: (chunk) => emit(masker.write(chunk)) },
    opts.signal,
  );
  emit(masker.flush());
  // Also after: hashes taken while the command ran may be of files it was still writing.
  opts.cache.treeMayChange?.();
  return { outcome, output };
}

function statusOf(outcome: ExecOutcome): AttemptStatus {
  if (outcome.cancelled) return 'cancelled';
  if (outcome.timedOut) return 'timed-out';
  return outcome.exitCode === 0 ? 'passed' : 'failed';
}

function describeFailure(outcome: ExecOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `timed out after ${formatDuration(timeoutMs)}`;
  if (outcome.exitCode === null) return `killed by ${outcome.signal ?? 'a signal'}`;
  return `exit code ${outcome.exitCode}`;
}
