/**
 * Tandem's error taxonomy: every error a user can see has a stable `code` and an exit code
 * from the CLI contract (DESIGN.md §4): 1 the operation failed, 2 bad usage or invalid
 * config, 3 the control plane cannot be reached.
 */
export type ExitCode = 0 | 1 | 2 | 3;

export class TandemError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TandemError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad command-line usage: exit 2, nothing ran. */
export class UsageError extends TandemError {
  constructor(message: string) {
    super('TANDEM_USAGE', message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

export function isTandemError(err: unknown): err is TandemError {
  return err instanceof TandemError;
}
