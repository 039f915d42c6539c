import type { Command } from 'commander';
import type { ApiClient } from '../../client/api-client.js';
import { type GlobalOptions, runAction } from '../output.js';

/** `tandem promote|abort|pause|resume ENV`: manual control of a rollout in progress. */
export function registerControl(program: Command): void {
  const verb = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .argument('<env>', 'environment name')
      .option('--detach', 'return at once instead of following the rollout');

  verb('promote', 'move a paused or waiting canary on to its next step (--full: straight to 100%)')
    .option('--full', 'skip the remaining steps and analysis')
    .action(async (env: string, opts: { full?: boolean; detach?: boolean }, cmd: Command) => {
      await send(cmd, env, 'promote', opts.full ? { full: true } : {}, !opts.detach);
    });
  verb('abort', 'abort the rollout: traffic goes back to the stable release at once')
    .option('--reason <text>', 'recorded with the rollout')
    .action(async (env: string, opts: { reason?: string; detach?: boolean }, cmd: Command) => {
      await send(cmd, env, 'abort', opts.reason ? { reason: opts.reason } : {}, !opts.detach);
    });
  verb('pause', 'hold the rollout where it is (traffic stays as it is)').action(
    async (env: string, _opts: unknown, cmd: Command) => {
      await send(cmd, env, 'pause', {}, false);
    },
  );
  verb('resume', 'let a paused rollout go on').action(
    async (env: string, opts: { detach?: boolean }, cmd: Command) => {
      await send(cmd, env, 'resume', {}, !opts.detach);
    },
  );
}

type Action = 'promote' | 'abort' | 'pause' | 'resume';

const SEND: Record<
  Action,
  (api: ApiClient, env: string, body: { full?: boolean; reason?: string }) => ReturnType<ApiClient['pause']>
> = {
  promote: (api, env, body) => api.promote(env, body),
  abort: (api, env, body) => api.abort(env, body),
  pause: (api, env) => api.pause(env),
  resume: (api, env) => api.resume(env),
};

async function send(
  cmd: Command,
  env: string,
  action: Action,
  body: { full?: boolean; reason?: string },
  follow: boolean,
): Promise<void> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  await runAction(Boolean(globals.json), async () => {
    const { connect } = await import('../control-client.js');
    const client = connect({ config: globals.config, cwd: process.cwd(), env: process.env });
    const view = await SEND[action](client.api, env, body);
    if (!follow) {
      if (globals.json) process.stdout.write(`${JSON.stringify(view)}\n`);
      else process.stdout.write(`${view.deployment.id}: ${view.state}\n`);
      return 0;
    }
    const { followDeployment } = await import('../follow-deployment.js');
    const print = (line: string) => process.stderr.write(`${line}\n`);
    const { code, view: end } = await followDeployment(client, view, globals.json ? () => {} : print);
    if (globals.json) process.stdout.write(`${JSON.stringify(end)}\n`);
    else process.stdout.write(`${end.deployment.id}: ${end.state}\n`);
    return action === 'abort' ? (end.state === 'rolled-back' ? 0 : 1) : code;
  });
}
