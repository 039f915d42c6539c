import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createLocalExecutor } from '../pipeline/executors/local/local-executor.js';
import { createMasker } from '../pipeline/masking/masker.js';

export interface ReleaseCommandOptions {
  /** The release's project directory. */
  cwd: string;
  /** The service's `release:` step, e.g. migrations. */
  command: string;
  env: Record<string, string | undefined>;
  /** Output is appended here (created with its directory when missing). */
  logFile: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** After SIGTERM on timeout or abort, how long before SIGKILL; 5 s by default. */
  killGraceMs?: number;
  /** Values masked in the log and in `lastLines` (the service's secrets). */
  secretValues?: Iterable<string>;
}

export interface ReleaseCommandOutcome {
  ok: boolean;
  /** null when it was killed (timeout, abort) or died of a signal. */
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** The last lines of its (masked) output, to show why it failed. */
  lastLines: string[];
}

const LAST_LINES = 20;
/** Enough text to hold LAST_LINES ordinary lines, without keeping a chatty command's whole output. */
const TAIL_CHARS = 16 * 1024;

/**
 * Runs a service's release command once, with bash (errexit, pipefail) in its own process group
 * like a pipeline job, so a timeout or an abort kills everything it started.
 */
export async function runReleaseCommand(opts: ReleaseCommandOptions): Promise<ReleaseCommandOutcome> {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a', 0o600);
  const masker = createMasker(opts.secretValues ?? []);
  let tail = '';
  let truncated = false;
  const write = (text: string) => {
    if (text === '') return;
    writeSync(fd, text);
    tail += text;
    if (tail.length > TAIL_CHARS) {
      tail = tail.slice(-TAIL_CHARS);
      truncated = true;
    }
  };
  try {
    writeSync(fd, `# ${new Date().toISOString()} release command in ${opts.cwd}\n`);
    const outcome = await createLocalExecutor().run(
      {
        name: 'release',
        script: opts.command,
        cwd: opts.cwd,
        env: definedOnly(opts.env),
        timeoutMs: opts.timeoutMs,
        killGraceMs: opts.killGraceMs ?? 5000,
      },
      { write: (chunk) => write(masker.write(chunk)) },
      opts.signal,
    );
    write(masker.flush());
    const ok = outcome.exitCode === 0 && !outcome.timedOut && !outcome.cancelled;
    const how = outcome.timedOut
      ? `timed out after ${opts.timeoutMs} ms`
      : outcome.cancelled
        ? 'cancelled'
        : outcome.exitCode === null
          ? `killed by ${outcome.signal ?? 'a signal'}`
          : `exited with code ${outcome.exitCode}`;
    writeSync(fd, `${tail === '' || tail.endsWith('\n') ? '' : '\n'}# release command ${how}\n`);
    return {
      ok,
      exitCode: outcome.timedOut || outcome.cancelled ? null : outcome.exitCode,
      timedOut: outcome.timedOut,
      cancelled: outcome.cancelled,
      lastLines: lastLines(tail, truncated),
    };
  } finally {
    closeSync(fd);
  }
}

function lastLines(tail: string, truncated: boolean): string[] {
  const lines = tail.split(/\r?\n/);
  // The first line of a truncated tail may be a fragment of a longer one.
  if (truncated) lines.shift();
  return lines.filter((line) => line.trim() !== '').slice(-LAST_LINES);
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
