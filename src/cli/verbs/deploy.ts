import type { Command } from 'commander';
import type { DeploymentView } from '../../control/control-plane.js';
import { UsageError } from '../../errors.js';
import type { ControlClient } from '../control-client.js';
import { type GlobalOptions, runAction } from '../output.js';

interface FollowOptions {
  detach?: boolean;
  force?: boolean;
}

/** `tandem deploy`, `rollback`, `restart`: start a rollout, then follow it (unless --detach). */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('build a release of a commit (running its pipeline) and roll it out to an environment')
    .argument('<env>', 'environment name')
    .option('--ref <gitref>', 'commit, branch or tag to release', 'HEAD')
    .option('--release <id>', 'deploy an existing release instead of building one')
    .option('--force', 'supersede a rollout in progress')
    .option('--override-freeze', 'deploy during a freeze window (needs --reason, recorded)')
    .option('--reason <text>', 'why the freeze is overridden')
    .option('--detach', 'return once the rollout started')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem deploy production              # release HEAD, roll it out, follow it
  $ tandem deploy staging --ref v1.4.0
  $ tandem deploy production --release r12-4f2a9c1 --detach

Exit codes: 0 promoted, 1 the deploy failed or was rolled back, 2 bad usage or config,
3 the control plane cannot be reached.`,
    )
    .action(
      async (
        env: string,
        opts: FollowOptions & { ref: string; release?: string; overrideFreeze?: boolean; reason?: string },
        cmd: Command,
      ) => {
        await rollout(cmd, opts, (client) => {
          if (opts.overrideFreeze && opts.reason === undefined) {
            throw new UsageError(
              '--override-freeze needs --reason "..." (it is recorded with the deployment)',
            );
          }
          return client.api.deploy({
            environment: env,
            ...(opts.release !== undefined ? { release: opts.release } : { ref: opts.ref }),
            ...(opts.force ? { force: true } : {}),
            ...(opts.overrideFreeze ? { overrideFreeze: true, reason: opts.reason } : {}),
          });
        });
      },
    );

  program
    .command('approve')
    .description('approve the rollout of an environment that awaits approval, then follow it')
    .argument('<env>', 'environment name')
    .option('--detach', 'return once approved')
    .action(async (env: string, opts: FollowOptions, cmd: Command) => {
      await rollout(cmd, opts, (client) => client.api.approve(env));
    });

  program
    .command('rollback')
    .description('roll an environment back to a previous release (no pipeline), health-gated')
    .argument('<env>', 'environment name')
    .option('--to <release>', 'the release to go back to (default: the one before the current)')
    .option('--force', 'supersede a rollout in progress')
    .option('--detach', 'return once the rollout started')
    .action(async (env: string, opts: FollowOptions & { to?: string }, cmd: Command) => {
      await rollout(cmd, opts, (client) =>
        client.api.rollback(env, {
          ...(opts.to !== undefined ? { to: opts.to } : {}),
          ...(opts.force ? { force: true } : {}),
        }),
      );
    });

  program
    .command('restart')
    .description("restart an environment's instances one by one, with no downtime")
    .argument('<env>', 'environment name')
    .option('--force', 'supersede a rollout in progress')
    .option('--detach', 'return once the rollout started')
    .action(async (env: string, opts: FollowOptions, cmd: Command) => {
      await rollout(cmd, opts, (client) => client.api.restart(env, opts.force ? { force: true } : {}));
    });
}

async function rollout(
  cmd: Command,
  opts: FollowOptions,
  begin: (client: ControlClient) => Promise<DeploymentView>,
): Promise<void> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  await runAction(Boolean(globals.json), async () => {
    const { connect } = await import('../control-client.js');
    const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
    const print = (line: string) => process.stderr.write(`${line}\n`);
    if (cmd.name() === 'deploy' && !globals.json)
      print('preparing the release (a new commit runs its pipeline first)…');
    const started = await begin(client);
    if (opts.detach) {
      if (globals.json) process.stdout.write(`${JSON.stringify(started)}\n`);
      else
        process.stdout.write(
          `${started.deployment.id}: ${started.deployment.kind} of ${started.deployment.release} to ${started.deployment.environment} started\n`,
        );
      return 0;
    }
    const { followDeployment } = await import('../follow-deployment.js');
    const { code, view } = await followDeployment(client, started, globals.json ? () => {} : print);
    if (globals.json) process.stdout.write(`${JSON.stringify(view)}\n`);
    else process.stdout.write(`${view.deployment.id}: ${view.state}\n`);
    return code;
  });
}
