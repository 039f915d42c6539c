import { accessSync, constants } from 'node:fs';

const BASH = '/bin/bash';
const SH = '/bin/sh';

let hasBash: boolean | undefined;

/**
 * The command line that runs a job's script: bash with errexit and pipefail (as options, so
 * the shell's error messages keep the script's own line numbers), or `sh -e` where bash is
 * missing, turning pipefail on when that sh supports it.
 */
export function shellCommand(script: string): [file: string, args: string[]] {
  hasBash ??= isExecutable(BASH);
  if (hasBash) return [BASH, ['-e', '-o', 'pipefail', '-c', script]];
  // On the script's first line, so line numbers in error messages stay right.
  return [SH, ['-e', '-c', `(set -o pipefail) 2>/dev/null && set -o pipefail; ${script}`]];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
