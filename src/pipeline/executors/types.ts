/** Runs one attempt of one job. Implementations: local/ (child processes); later kubernetes/. */
export interface Executor {
  readonly id: string;
  run(spec: ExecSpec, sink: OutputSink, signal: AbortSignal): Promise<ExecOutcome>;
}

export interface ExecSpec {
  /** Job name, for diagnostics only. */
  name: string;
  /** Shell script; runs with errexit and pipefail. */
  script: string;
  /** Absolute working directory. */
  cwd: string;
  /** Full environment of the process. */
  env: Record<string, string>;
  timeoutMs: number;
  /** After SIGTERM, how long to wait before SIGKILL. */
  killGraceMs: number;
}

export interface OutputSink {
  /** Raw output as it arrives, stdout and stderr interleaved in arrival order. */
  write(chunk: string, stream: 'stdout' | 'stderr'): void;
}

export interface ExecOutcome {
  /** Exit code of the script, null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The signal aborted it (Ctrl-C, run cancelled). */
  cancelled: boolean;
  durationMs: number;
}
