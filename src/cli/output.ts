import { isTandemError } from '../errors.js';

/** Colour only when a person is looking: a TTY and no NO_COLOR (https://no-color.org). */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return (noColor === undefined || noColor === '') && stream.isTTY === true;
}

export interface Colors {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  /** A stable colour per name, for job prefixes. */
  byName(name: string, text: string): string;
}

const PALETTE = [36, 35, 34, 33, 32, 96, 95, 94];
const sgr = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const identity = (text: string) => text;

export function colors(enabled: boolean): Colors {
  if (!enabled) {
    return {
      red: identity,
      green: identity,
      yellow: identity,
      dim: identity,
      bold: identity,
      byName: (_n, t) => t,
    };
  }
  return {
    red: sgr(31),
    green: sgr(32),
    yellow: sgr(33),
    dim: sgr(2),
    bold: sgr(1),
    byName(name, text) {
      let h = 0;
      for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
      return sgr(PALETTE[h % PALETTE.length] as number)(text);
    },
  };
}

/** Options every verb takes (DESIGN.md §4). */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

/**
 * Runs a verb's action and turns its outcome into the exit code of the CLI contract. A
 * TandemError prints its message (or a JSON error object with --json); anything else is a bug
 * and prints its stack.
 */
export async function runAction(json: boolean, action: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await action()) ?? 0;
  } catch (err) {
    if (isTandemError(err)) {
      if (json) {
        const detail = 'issues' in err ? { issues: (err as { issues: unknown }).issues } : {};
        process.stdout.write(
          `${JSON.stringify({ error: { code: err.code, message: err.message, ...detail } })}\n`,
        );
      } else {
        process.stderr.write(`tandem: ${err.message}\n`);
      }
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(
      `tandem: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  }
}
