import type { Command } from 'commander';
import { isTandemError, UsageError } from '../../errors.js';
import type { TopSnapshot } from '../../observe/top/types.js';
import { parseDuration } from '../../util/duration.js';
import type { ControlClient } from '../control-client.js';
import { colorEnabled, colors, type GlobalOptions, runAction } from '../output.js';

export interface TopOptions {
  /** Print one snapshot and exit (also the behaviour when stdout is not a terminal). */
  once: boolean;
  /** Print the snapshot as JSON (once). */
  json: boolean;
  intervalMs: number;
  environment?: string;
  color: boolean;
}

/** Where `tandem top` draws: process.stdout, or a fake in tests. */
export interface TopOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

const MIN_INTERVAL_MS = 100;

// ANSI: the alternate screen (the shell's screen is back as it was on exit), cursor, erasing.
const ENTER = '\u001b[?1049h\u001b[?25l';
const LEAVE = '\u001b[?25h\u001b[?1049l';
const HOME = '\u001b[H';
const CLEAR_LINE_END = '\u001b[K';
const CLEAR_BELOW = '\u001b[J';

/** `tandem top`: a live view of every instance (req/s, errors, p95, CPU, RSS, replicas). */
export function registerTop(program: Command): void {
  program
    .command('top')
    .description('live view of instances: req/s, errors, p95, CPU, memory, replicas (Ctrl-C quits)')
    .option('--once', 'print one snapshot and exit (the default when stdout is not a terminal)')
    .option('--interval <duration>', 'time between refreshes, e.g. 2s, 500ms', '2s')
    .option('--environment <name>', 'only this environment')
    .addHelpText('after', '\n`--json` prints one snapshot (the GET /api/v1/top answer).')
    .action(async (opts: { once?: boolean; interval: string; environment?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const intervalMs = parseInterval(opts.interval);
        const { connect } = await import('../control-client.js');
        const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
        return runTop(
          client,
          {
            once: Boolean(opts.once),
            json: Boolean(globals.json),
            intervalMs,
            environment: opts.environment,
            color: colorEnabled(process.stdout),
          },
          process.stdout,
        );
      });
    });
}

/** "2s", "500ms", or a number of seconds. */
export function parseInterval(text: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Math.round(Number(text) * 1000) : parseDuration(text);
  if (ms === undefined)
    throw new UsageError(`--interval must be a duration such as 2s or 500ms, got "${text}"`);
  if (ms < MIN_INTERVAL_MS)
    throw new UsageError(`--interval must be at least ${MIN_INTERVAL_MS}ms, got "${text}"`);
  return ms;
}

/**
 * Fetches GET /api/v1/top and prints it: once (not a terminal, --once, --json), or redrawn in place
 * every interval on the alternate screen until Ctrl-C (SIGINT/SIGTERM) or `signal` aborts. An
 * unreachable control plane on the first fetch throws (exit 3); later ones are shown and retried.
 */
export async function runTop(
  client: Pick<ControlClient, 'api'>,
  opts: TopOptions,
  out: TopOutput,
  signal?: AbortSignal,
): Promise<number> {
  const { renderTop } = await import('../../observe/top/render.js');
  const fetchSnapshot = async () => onlyEnvironment(await client.api.top(opts.environment), opts.environment);

  const live = !opts.once && !opts.json && out.isTTY === true;
  if (!live) {
    const snapshot = await fetchSnapshot();
    if (opts.json) out.write(`${JSON.stringify(snapshot)}\n`);
    else {
      const width = out.isTTY === true && out.columns ? out.columns : Number.POSITIVE_INFINITY;
      out.write(renderTop(snapshot, { width, color: opts.color }));
    }
    return 0;
  }

  let snapshot = await fetchSnapshot();
  let problem: string | null = null;
  const c = colors(opts.color);
  const draw = () => {
    const width = out.columns || 80;
    const lines = renderTop(snapshot, { width, color: opts.color }).replace(/\n$/, '').split('\n');
    if (problem !== null) lines.splice(1, 0, c.red(cut(problem, width)));
    const rows = out.rows || 24;
    if (lines.length > rows) {
      const hidden = lines.length - (rows - 1);
      lines.splice(
        rows - 1,
        lines.length,
        c.dim(cut(`… ${hidden} more lines (a taller terminal, or --environment)`, width)),
      );
    }
    out.write(`${HOME}${lines.map((l) => `${l}${CLEAR_LINE_END}`).join('\n')}${CLEAR_BELOW}`);
  };

  const stop = new AbortController();
  const onStop = () => stop.abort();
  const restore = () => out.write(LEAVE);
  signal?.addEventListener('abort', onStop, { once: true });
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('exit', restore);
  out.on?.('resize', draw);
  out.write(ENTER);
  try {
    while (!stop.signal.aborted) {
      draw();
      await sleep(opts.intervalMs, stop.signal);
      if (stop.signal.aborted) break;
      try {
        snapshot = await fetchSnapshot();
        problem = null;
      } catch (err) {
        if (!isTandemError(err)) throw err;
        problem = `${err.message} (retrying every ${opts.intervalMs}ms)`;
      }
    }
  } finally {
    out.off?.('resize', draw);
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('exit', restore);
    signal?.removeEventListener('abort', onStop);
    restore();
  }
  return 0;
}

/** The control plane filters by ?environment too; an older one may not, so filter here as well. */
function onlyEnvironment(snapshot: TopSnapshot, environment: string | undefined): TopSnapshot {
  if (environment === undefined) return snapshot;
  return { ...snapshot, environments: snapshot.environments.filter((e) => e.name === environment) };
}

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
