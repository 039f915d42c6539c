import type { Command } from 'commander';
import { type GlobalOptions, runAction } from '../output.js';

/** `tandem validate`: schema, positions, then the same planning checks `run` does. Offline. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check tandem.yaml: schema, job graph, expressions, environments, alerts and SLOs')
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
        const [{ loadConfig }, { planPipeline }, { planEnvironments }, { planObserve }, { ConfigError }] =
          await Promise.all([
            import('../../config/load.js'),
            import('../../pipeline/plan/plan.js'),
            import('../../delivery/environment-plan.js'),
            import('../../observe/plan.js'),
            import('../../config/errors.js'),
          ]);
        const loaded = await loadConfig({ config: globals.config, cwd: process.cwd() });
        // Every planner's problems at once (pipeline, environments, alerts and SLOs), in file order.
        const issues: InstanceType<typeof ConfigError>['issues'] = [];
        const check = <T>(plan: () => T): T | undefined => {
          try {
            return plan();
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            issues.push(...err.issues);
            return undefined;
          }
        };
        // Secrets are not needed to validate: an unknown secret is reported by `run`.
        const plan = check(() => planPipeline(loaded, { env: process.env, secrets: undefined }));
        check(() => planEnvironments(loaded, { env: process.env, secrets: undefined }));
        check(() => planObserve(loaded));
        if (plan === undefined || issues.length > 0) {
          throw new ConfigError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
        }
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
