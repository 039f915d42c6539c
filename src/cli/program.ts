import { Command, CommanderError } from 'commander';
import { registerAgent } from './verbs/agent.js';
import { registerAlerts } from './verbs/alerts.js';
import { registerAudit } from './verbs/audit.js';
import { registerControl } from './verbs/control.js';
import { registerDeploy } from './verbs/deploy.js';
import { registerIncident } from './verbs/incident.js';
import { registerInit } from './verbs/init.js';
import { registerLogs } from './verbs/logs.js';
import { registerRun } from './verbs/run.js';
import { registerScale } from './verbs/scale.js';
import { registerSecret } from './verbs/secret.js';
import { registerSilence } from './verbs/silence.js';
import { registerStatus } from './verbs/status.js';
import { registerToken } from './verbs/token.js';
import { registerTop } from './verbs/top.js';
import { registerUp } from './verbs/up.js';
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
    .addHelpText(
      'after',
      `
Examples:
  $ tandem init                 write a tandem.yaml for this repository
  $ tandem run                  run the pipeline (cached jobs are replayed)
  $ tandem run test --explain   run "test" and what it needs; say why caches missed
  $ tandem validate --json      check tandem.yaml, machine-readable

Exit codes: 0 success, 1 the operation failed, 2 bad usage or invalid config,
3 the control plane cannot be reached. NO_COLOR turns colours off.
Docs: docs/pipeline.md, docs/configuration.md`,
    )
    .exitOverride();
  program.configureOutput({ outputError: (text, write) => write(`tandem: ${text.replace(/^error: /, '')}`) });
  registerInit(program);
  registerValidate(program);
  registerRun(program);
  registerSecret(program);
  registerUp(program);
  registerDeploy(program);
  registerControl(program);
  registerStatus(program);
  registerScale(program);
  registerLogs(program);
  registerTop(program);
  registerAlerts(program);
  registerIncident(program);
  registerSilence(program);
  registerToken(program);
  registerAudit(program);
  registerAgent(program);
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
