/**
 * `tandem down`: asks the control plane to stop everything; with no control plane, stops the
 * project's agent directly (after a control plane died, its services still run).
 */

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAgentFile } from '../agent/agent-file.js';
import { isAlive } from '../agent/agent-process.js';
import { AgentClient } from '../agent/client.js';
import { findConfigFile } from '../config/load.js';
import { TandemError } from '../errors.js';
import { stateDir } from '../store/open.js';
import { ControlClient, findServer, tokenFor } from './control-client.js';

export interface DownResult {
  stopped: boolean;
  message: string;
}

export async function down(opts: {
  config?: string;
  cwd: string;
  env: Record<string, string | undefined>;
}): Promise<DownResult> {
  let found: ReturnType<typeof findServer> | undefined;
  try {
    found = findServer(opts);
  } catch (err) {
    if (!(err instanceof TandemError) || err.code !== 'TANDEM_UNREACHABLE') throw err;
  }
  if (found !== undefined) {
    try {
      const token = tokenFor(found, opts.env);
      await new ControlClient(found.url, token === undefined ? {} : { token }).api.shutdown();
      if (found.file !== undefined) {
        const deadline = Date.now() + 60_000;
        while (isAlive(found.file.pid) && Date.now() < deadline) await sleep(100);
      }
      return {
        stopped: true,
        message: `stopped the control plane at ${found.url}, the data plane and the services`,
      };
    } catch (err) {
      if (!(err instanceof TandemError) || err.code !== 'TANDEM_UNREACHABLE') throw err;
    }
  }
  // No control plane: stop the agent of the project, if one runs.
  const configFile =
    opts.config !== undefined ? path.resolve(opts.cwd, opts.config) : await findConfigFile(opts.cwd);
  const root = found?.file?.root ?? (configFile === undefined ? undefined : path.dirname(configFile));
  const agentFile = root === undefined ? undefined : readAgentFile(stateDir(root));
  if (agentFile !== undefined && isAlive(agentFile.pid)) {
    await new AgentClient({ url: agentFile.url, token: agentFile.token }).shutdown();
    const deadline = Date.now() + 60_000;
    while (isAlive(agentFile.pid) && Date.now() < deadline) await sleep(100);
    return {
      stopped: true,
      message: 'no control plane was running; stopped the data plane and the services',
    };
  }
  return {
    stopped: false,
    message: 'nothing to stop: no control plane and no agent is running for this project',
  };
}
