import type { Command } from 'commander';
import { TandemError, UsageError } from '../../errors.js';
import { type GlobalOptions, runAction } from '../output.js';

interface UpOptions {
  port: string;
  host: string;
  detach?: boolean;
  deploy: boolean;
}

/** `tandem up` and `tandem down`: the control plane's life. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the control plane: API, reconciler, process supervisor and data plane')
    .option('--port <port>', 'port of the API', '7070')
    .option('--host <host>', 'address of the API and dashboard (non-loopback needs auth on)', '127.0.0.1')
    .option('--detach', 'run in the background and return once it answers')
    .option('--no-deploy', 'do not deploy HEAD to environments that never had a deploy')
    .addHelpText(
      'after',
      `
Examples:
  $ tandem up                       # foreground; Ctrl-C stops everything
  $ tandem up --detach              # background; \`tandem down\` stops it

The data plane and the services run in processes of their own (the agent): if the control
plane dies, no request is dropped, and the next \`tandem up\` adopts them. SIGTERM stops only
the control plane; Ctrl-C (SIGINT) and \`tandem down\` stop everything.`,
    )
    .action(async (opts: UpOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port must be a port number, got "${opts.port}"`);
        if (opts.detach)
          return (await import('../up-detached.js')).upDetached({
            ...opts,
            port,
            config: globals.config,
            json: globals.json,
          });
        const { serve } = await import('../../server/serve.js');
        const print = (line: string) =>
          process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
        const serving = await serve({
          config: globals.config,
          cwd: process.cwd(),
          port,
          host: opts.host,
          env: process.env,
          cliPath: process.argv[1] as string,
          initialDeploy: opts.deploy,
          print,
        });
        const status = await serving.plane.status();
        if (globals.json) process.stdout.write(`${JSON.stringify({ url: serving.url, pid: process.pid })}\n`);
        else {
          process.stdout.write(
            `Tandem control plane for ${serving.plane.project} on ${serving.url} (pid ${process.pid})\n`,
          );
          process.stdout.write(
            `  dashboard: ${serving.url}/${serving.tokenFile !== null ? ` (log in with the token in ${serving.tokenFile})` : ''}\n`,
          );
          for (const env of status.environments) {
            for (const [service, p] of Object.entries(env.listeners)) {
              process.stdout.write(`  ${env.name}: ${service} on http://127.0.0.1:${p}/\n`);
            }
          }
          process.stdout.write(
            'Ctrl-C stops everything; `tandem down` from another terminal does the same.\n',
          );
        }
        process.once('SIGINT', () => {
          print('stopping the control plane, the data plane and the services');
          void serving.stop(true);
        });
        process.once('SIGTERM', () => {
          print('stopping the control plane (the data plane and the services keep running)');
          void serving.stop(false);
        });
        await serving.done;
        // Whatever still holds the event loop (idle keep-alive sockets) must not keep us alive.
        setTimeout(() => process.exit(), 200).unref();
        return 0;
      });
    });

  program
    .command('down')
    .description('stop the control plane, the data plane and the services')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await runAction(Boolean(globals.json), async () => {
        const { down } = await import('../down.js');
        const result = await down({ config: globals.config, cwd: process.cwd(), env: process.env });
        if (globals.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else process.stdout.write(`${result.message}\n`);
        if (!result.stopped) throw new TandemError('TANDEM_UNREACHABLE', result.message, { exitCode: 3 });
        return 0;
      });
    });
}
