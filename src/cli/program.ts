import { Command, CommanderError } from 'commander';
import { registerInit } from './verbs/init.js';
import { registerRun } from './verbs/run.js';
import { registerSecret } from './verbs/secret.js';
import { registerValidate } from './verbs/validate.js';

export const VERSION = '0.1.0';

/** The `tandem` program: global options, then one file per verb under verbs/. */
export function createProgram(): Command {
  const program = new Command('tandem')
    .version(VERSION)
    .description('Tandem: pipeline, release, deploy, watch, scale and roll back, in one tool.')
    .option('--config <file>', 'tandem.yaml to use (default: found walking up from the working directory)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ outputError: (text, write) => write(`tandem: ${text.replace(/^error: /, '')}`) });
  registerInit(program);
  registerValidate(program);
  registerRun(program);
  registerSecret(program);
  return program;
}

/** Parses argv and runs; bad usage exits 2 per the CLI contract. */
export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
      process.exitCode = benign ? 0 : 2;
      return;
    }
    throw err;
  }
}
