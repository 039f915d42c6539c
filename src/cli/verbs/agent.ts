import type { Command } from 'commander';
import { runAction } from '../output.js';

/**
 * `tandem __agent --state-dir DIR`: hidden; the control plane starts it (src/agent/ensure-agent.ts)
 * as the long-lived process that hosts the instances' supervisor and the data planes.
 */
export function registerAgent(program: Command): void {
  program
    .command('__agent', { hidden: true })
    .description('run the agent (supervisor + data planes) in the foreground; started by the control plane')
    .requiredOption('--state-dir <dir>', "the project's .tandem directory")
    .action(async (opts: { stateDir: string }) => {
      await runAction(false, async () => {
        const { runAgent } = await import('../../agent/main.js');
        return runAgent({ stateDir: opts.stateDir });
      });
      // Nothing may keep a stopped agent alive (timers, sockets of finished requests).
      process.exit();
    });
}
