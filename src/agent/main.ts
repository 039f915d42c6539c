/**
 * `tandem __agent --state-dir DIR`: the agent in the foreground until SIGTERM, SIGINT or
 * POST /v1/shutdown, each of which stops the instances and listeners before it exits. Logs are
 * pino JSON on stderr (ensure-agent.ts sends them to `<stateDir>/logs/agent.log`).
 */
import path from 'node:path';
import { TandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import { readAgentFile } from './agent-file.js';
import { isAgentProcess } from './agent-process.js';
import { startAgent } from './agent-server.js';
import { BUILD_ID } from './build-id.js';

/** Runs the agent; resolves with the exit code once it has shut down. */
export async function runAgent(opts: { stateDir: string }): Promise<number> {
  const stateDir = path.resolve(opts.stateDir);
  // The agent's log is its only trace: show what it does, not only warnings.
  const log = logger();
  log.level = process.env.TANDEM_LOG ?? 'info';

  const other = readAgentFile(stateDir);
  if (other !== undefined && other.pid !== process.pid && isAgentProcess(other.pid, stateDir)) {
    throw new TandemError(
      'TANDEM_AGENT_RUNNING',
      `an agent (pid ${other.pid}) already runs for ${stateDir}; stop it first (kill ${other.pid})`,
    );
  }

  // The supervisor is the default one, logging to <stateDir>/logs/instances.
  const agent = await startAgent({ stateDir });
  log.info({ url: agent.url, stateDir, build: BUILD_ID }, 'agent: listening');

  let exitCode = 0;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'agent: second signal, exiting without waiting for the instances');
      process.exit(130);
    }
    log.info({ signal }, 'agent: shutting down');
    void agent.close();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', (err) => {
    // Stop the instances rather than orphan them; then exit as a crash.
    log.fatal({ err }, 'agent: uncaught exception, shutting down');
    exitCode = 1;
    void agent.close();
  });

  await agent.closed;
  log.info('agent: stopped');
  return exitCode;
}
