import { type ChildProcess, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { logger } from '../../../log/logger.js';
import type { ExecOutcome, ExecSpec, Executor, OutputSink } from '../types.js';
import { type OutputPipe, pipeOutput } from './output-pipe.js';
import { terminateGroup } from './process-group.js';
import { shellCommand } from './shell.js';

/** How long to wait for the output pipes to close once the job's process group is gone. */
const CLOSE_BOUND_MS = 500;
/** setTimeout's limit; longer timeouts mean "no timeout". */
const MAX_TIMER_MS = 2_147_483_647;
/** Exit code of a job that could not be started (like a shell's "command not found"). */
export const SPAWN_FAILURE_EXIT_CODE = 127;

/**
 * Runs each job as a child process: bash with errexit and pipefail (sh -e without bash) in
 * its own process group, so a timeout, a cancel or the end of the job can signal every
 * process it started.
 */
export function createLocalExecutor(): Executor {
  return { id: 'local', run: runLocal };
}

type Outcome = Omit<ExecOutcome, 'durationMs'>;

async function runLocal(spec: ExecSpec, sink: OutputSink, signal: AbortSignal): Promise<ExecOutcome> {
  const started = performance.now();
  const done = (outcome: Partial<Outcome>): ExecOutcome => ({
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    ...outcome,
    durationMs: Math.round(performance.now() - started),
  });
  if (signal.aborted) return done({ cancelled: true });

  const cwdProblem = await checkCwd(spec.cwd);
  if (cwdProblem !== undefined) return done(spawnFailure(sink, cwdProblem));

  const [file, args] = shellCommand(spec.script);
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    return done(spawnFailure(sink, `cannot start ${file}: ${errorText(err)}`));
  }
  return done(await supervise(child, spec, sink, signal));
}

function supervise(child: ChildProcess, spec: ExecSpec, sink: OutputSink, signal: AbortSignal) {
  return new Promise<Outcome>((resolve) => {
    const pgid = child.pid;
    const pipes: OutputPipe[] = [];
    if (child.stdout) pipes.push(pipeOutput(child.stdout, 'stdout', sink));
    if (child.stderr) pipes.push(pipeOutput(child.stderr, 'stderr', sink));
    let timedOut = false;
    let cancelled = false;
    let terminating: Promise<void> | undefined;
    let settled = false;

    const terminate = (): Promise<void> => {
      if (pgid === undefined) return Promise.resolve();
      terminating ??= terminateGroup(pgid, Math.max(0, spec.killGraceMs));
      return terminating;
    };
    let exited = false;
    // After the shell has exited, a late timeout or abort no longer changes the outcome.
    const onAbort = (): void => {
      if (!timedOut && !exited) cancelled = true;
      void terminate();
    };
    const timer =
      Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0 && spec.timeoutMs <= MAX_TIMER_MS
        ? setTimeout(() => {
            if (!cancelled && !exited) timedOut = true;
            void terminate();
          }, spec.timeoutMs)
        : undefined;
    signal.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };

    child.once('error', (err) => {
      if (pgid !== undefined) {
        logger().warn({ job: spec.name, err }, 'local executor: child process error');
        return;
      }
      // The process never started: no 'exit' will follow.
      for (const pipe of pipes) pipe.stop();
      finish(spawnFailure(sink, `cannot start the job's shell: ${errorText(err)}`));
    });

    child.once('exit', (code, exitSignal) => {
      exited = true;
      clearTimeout(timer);
      void (async () => {
        // Whatever the job left in its group (`sleep 100 &`) must not outlive it.
        await terminate();
        // A process that escaped the group may still hold the pipes: do not wait for it.
        await settleWithin(Promise.all(pipes.map((pipe) => pipe.closed)), CLOSE_BOUND_MS);
        for (const pipe of pipes) pipe.stop();
        finish({ exitCode: code, signal: exitSignal, timedOut, cancelled });
      })();
    });
  });
}

/** Waits for `promise`, at most `ms` (without a timer left behind to hold the process open). */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkCwd(cwd: string): Promise<string | undefined> {
  try {
    const info = await stat(cwd);
    return info.isDirectory() ? undefined : `working directory is not a directory: ${cwd}`;
  } catch (err) {
    return `working directory does not exist or cannot be read: ${cwd} (${errorText(err)})`;
  }
}

function spawnFailure(sink: OutputSink, message: string): Outcome {
  try {
    sink.write(`tandem: ${message}\n`, 'stderr');
  } catch (err) {
    logger().warn({ err }, 'local executor: output sink failed');
  }
  return { exitCode: SPAWN_FAILURE_EXIT_CODE, signal: null, timedOut: false, cancelled: false };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
