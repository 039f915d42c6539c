/**
 * Finds the project's running agent or starts one. The agent outlives the control plane that
 * started it (own process group, output to a file, not waited for), so a restarted control plane
 * adopts it with its instances and listeners instead of starting over.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TandemError } from '../errors.js';
import { readAgentFile } from './agent-file.js';
import { isAgentProcess } from './agent-process.js';
import { AgentClient } from './client.js';
import type { AgentFile } from './protocol.js';

export interface EnsureAgentOptions {
  /** The project's `.tandem` directory. */
  stateDir: string;
  /** The CLI entry point to run as `node <cliPath> __agent` (the control plane's process.argv[1]). */
  cliPath: string;
  /** The agent's environment, inherited by the instances it starts. */
  env: NodeJS.ProcessEnv;
  /** How long a new agent may take to answer; default 10 s. */
  startTimeoutMs?: number;
}

const POLL_MS = 50;
/** An adopted agent must answer this fast (it is idle or busy proxying, never blocked). */
const ADOPT_TIMEOUT_MS = 3_000;

export function agentLogPath(stateDir: string): string {
  return path.join(stateDir, 'logs', 'agent.log');
}

export async function ensureAgent(opts: EnsureAgentOptions): Promise<AgentClient> {
  const stateDir = path.resolve(opts.stateDir);
  const existing = readAgentFile(stateDir);
  if (existing !== undefined && isAgentProcess(existing.pid, stateDir)) {
    const client = await answering(existing, ADOPT_TIMEOUT_MS);
    if (client !== undefined) return client;
    if (isAgentProcess(existing.pid, stateDir)) {
      // Starting a second agent would fight the first over the listener ports.
      throw new TandemError(
        'TANDEM_AGENT_UNRESPONSIVE',
        `the agent (pid ${existing.pid}) runs but does not answer at ${existing.url}; ` +
          `stop it (kill ${existing.pid}) and try again; its log is ${agentLogPath(stateDir)}`,
      );
    }
  }
  return spawnAgent(stateDir, opts, existing?.pid);
}

async function spawnAgent(stateDir: string, opts: EnsureAgentOptions, stalePid: number | undefined) {
  const logFile = agentLogPath(stateDir);
  mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
  const fd = openSync(logFile, 'a', 0o600);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, [opts.cliPath, '__agent', '--state-dir', stateDir], {
      cwd: stateDir,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let exited: string | undefined;
  child.once('error', (err) => {
    exited = `could not be started: ${err.message}`;
  });
  child.once('exit', (code, signal) => {
    exited = `exited (${signal ?? `code ${code}`})`;
  });
  child.unref();

  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && exited === undefined) {
    const file = readAgentFile(stateDir);
    // Our child, or (when two control planes raced) another agent that won the state directory.
    const fresh =
      file !== undefined &&
      (file.pid === child.pid || (file.pid !== stalePid && isAgentProcess(file.pid, stateDir)));
    if (fresh) {
      const client = await answering(file, Math.max(1, Math.min(2_000, deadline - Date.now())));
      if (client !== undefined) return client;
    }
    await sleep(POLL_MS);
  }
  if (exited === undefined && child.pid !== undefined) {
    // Never leave a half-started agent behind.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const what = exited ?? `did not answer within ${timeoutMs} ms`;
  throw new TandemError(
    'TANDEM_AGENT_START',
    `the agent ${what}; last lines of ${logFile}:\n${tail(logFile, 20) || '(empty)'}`,
  );
}

async function answering(file: AgentFile, timeoutMs: number): Promise<AgentClient | undefined> {
  const client = new AgentClient({ url: file.url, token: file.token });
  try {
    const state = await client.state(timeoutMs);
    return state.pid === file.pid ? client : undefined;
  } catch {
    return undefined;
  }
}

/** The last `lines` lines of a file, reading at most its last 16 KiB. */
function tail(file: string, lines: number): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
