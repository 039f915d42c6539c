import { createRequire } from 'node:module';
import type { Logger } from 'pino';

/**
 * The structured logger for library code. It writes JSON to stderr so that stdout stays
 * reserved for a verb's output (and `--json`). Quiet by default; `TANDEM_LOG=debug` shows more.
 *
 * pino is loaded on first use, not at start-up: most commands never log (the default level is
 * warn) and loading it cost ~15 ms of every command.
 */
export type { Logger };

const load = createRequire(import.meta.url);

export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  const { pino } = load('pino') as typeof import('pino');
  const level = process.env.TANDEM_LOG ?? 'warn';
  return pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination(2));
}

let root: Logger | undefined;

export function logger(): Logger {
  root ??= createLogger();
  return root;
}
