import { type Logger, pino } from 'pino';

/**
 * The structured logger for library code. It writes JSON to stderr so that stdout stays
 * reserved for a verb's output (and `--json`). Quiet by default; `TANDEM_LOG=debug` shows more.
 */
export type { Logger };

export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.TANDEM_LOG ?? 'warn';
  return pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination(2));
}

let root: Logger | undefined;

export function logger(): Logger {
  root ??= createLogger();
  return root;
}
