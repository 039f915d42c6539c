import type { Command } from 'commander';
import { type GlobalOptions, runAction } from '../output.js';

/** `tandem validate`: schema, positions, then the same planning checks `run` does. Offline. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check tandem.yaml: schema, job graph (cycles, unknown needs) and expressions')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem validate
  $ tandem validate --config ci/tandem.yaml --json

Exit codes: 0 valid, 2 invalid (each problem printed as file:line:col).`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const [{ loadConfig }, { planPipeline }] = await Promise.all([
          import('../../config/load.js'),
          import('../../pipeline/plan/plan.js'),
        ]);
        const loaded = await loadConfig({ config: globals.config, cwd: process.cwd() });
        // Secrets are not needed to validate: an unknown secret is reported by `run`.
        const plan = planPipeline(loaded, { env: process.env, secrets: undefined });
        if (globals.json) {
          process.stdout.write(
            `${JSON.stringify({ valid: true, file: loaded.file, jobs: plan.jobs.map((j) => j.name) })}\n`,
          );
        } else {
          process.stdout.write(`${loaded.file} is valid: ${plan.jobs.length} job(s)\n`);
        }
        return 0;
      });
    });
}
