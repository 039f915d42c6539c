import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { type GlobalOptions, runAction } from '../output.js';

/** `tandem scale SERVICE N --env ENV` and `tandem apply`. */
export function registerScale(program: Command): void {
  program
    .command('scale')
    .description('set the number of instances of a deployed service')
    .argument('<service>', 'service name')
    .argument('<replicas>', 'number of instances (0-64)')
    .requiredOption('--env <env>', 'environment')
    .addHelpText(
      'after',
      '\nExample:\n  $ tandem scale web 4 --env production\n\nLasts until the next deploy or a `replicas:` change applied with `tandem apply`.',
    )
    .action(async (service: string, replicas: string, opts: { env: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const n = Number(replicas);
        if (!/^\d+$/.test(replicas) || n > 64)
          throw new UsageError(`replicas must be a whole number from 0 to 64, got "${replicas}"`);
        const { connect } = await import('../control-client.js');
        const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
        const result = await client.api.scale(opts.env, service, n);
        if (globals.json)
          process.stdout.write(`${JSON.stringify({ environment: opts.env, service, ...result })}\n`);
        else process.stdout.write(`${opts.env}.${service}: ${result.desired} replicas wanted\n`);
        return 0;
      });
    });

  program
    .command('apply')
    .description('load the edited tandem.yaml into the running control plane (an invalid file is refused)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const { connect } = await import('../control-client.js');
        const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
        const result = await client.api.apply();
        if (globals.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(`applied ${result.file}${result.changes.length === 0 ? ': no change' : ''}\n`);
          for (const c of result.changes) process.stdout.write(`  ${c}\n`);
        }
        return 0;
      });
    });
}
