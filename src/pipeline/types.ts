/**
 * The pipeline's shared vocabulary. Planning turns a LoadedConfig into a Plan of
 * PlannedJobs (matrix expanded, values interpolated); the scheduler runs a Plan through an
 * Executor, consults the cache and records everything through a RunRecorder.
 */

export type JobStatus = 'passed' | 'failed' | 'cached' | 'skipped' | 'cancelled';
export type RunStatus = 'passed' | 'failed' | 'cancelled';
export type MatrixValue = string | number | boolean;

/** A job after matrix expansion and interpolation: exactly what runs. */
export interface PlannedJob {
  /** Unique name, e.g. `test` or `test (node=20, os=linux)`. */
  name: string;
  /** The key under pipeline.jobs, e.g. `test`. */
  baseName: string;
  /** The matrix combination of this copy; {} without a matrix. */
  matrix: Record<string, MatrixValue>;
  /** The shell script (interpolated). */
  run: string;
  /** Names of the planned jobs this one needs (matrix needs expanded to every copy). */
  needs: string[];
  /** The `if` expression, undefined meaning success(). */
  if: string | undefined;
  /** pipeline.env merged with job env, interpolated; what the job adds to the process env. */
  env: Record<string, string>;
  /** Working directory relative to the project root, '.' by default (posix separators). */
  workingDirectory: string;
  /** Absolute working directory. */
  cwd: string;
  timeoutMs: number;
  retries: number;
  /** Input globs relative to cwd; undefined means every git-tracked file under cwd. */
  inputs: string[] | undefined;
  /** Output globs relative to cwd. */
  outputs: string[];
  cache: boolean;
}

export interface Plan {
  /** Absolute project root (directory of tandem.yaml). */
  root: string;
  /** Jobs in a topological order (each after everything it needs). */
  jobs: PlannedJob[];
}

/** Secret values must never be printed; planning collects every one a job may see. */
export interface SecretSource {
  get(name: string): string | undefined;
  /** Every secret value known, so logs can be masked even when a job reads one indirectly. */
  values(): string[];
}

export interface JobResult {
  name: string;
  status: JobStatus;
  durationMs: number;
  attempts: number;
  cacheKey: string;
  /** Why a job was skipped, failed or cancelled, in words. */
  reason?: string;
}

/** The `--json` contract of `tandem run`; keep this shape. */
export interface RunResult {
  status: RunStatus;
  durationMs: number;
  jobs: Array<Pick<JobResult, 'name' | 'status' | 'durationMs' | 'attempts' | 'cacheKey'>>;
}

export type AttemptStatus = 'passed' | 'failed' | 'timed-out' | 'cancelled';

/** Where a run is recorded (the store implements it). Every call is one transaction with its event. */
export interface RunRecorder {
  runStarted(run: {
    id: string;
    project: string;
    branch: string | null;
    commit: string | null;
    jobs: string[];
    startedAt: Date;
  }): Promise<void>;
  attemptStarted(runId: string, job: string, attempt: number, startedAt: Date): Promise<void>;
  attemptFinished(
    runId: string,
    job: string,
    attempt: number,
    outcome: { status: AttemptStatus; exitCode: number | null; durationMs: number; finishedAt: Date },
  ): Promise<void>;
  /** `logPath` is the job's masked log file, relative to the project root. */
  jobFinished(runId: string, result: JobResult, logPath: string | null, finishedAt: Date): Promise<void>;
  runFinished(runId: string, result: RunResult, finishedAt: Date): Promise<void>;
}
