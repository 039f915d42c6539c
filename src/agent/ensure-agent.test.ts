import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, isAlive } from '../../test/helpers/cli.js';
import type { InstanceSpec } from '../runtime/local/types.js';
import { agentFilePath, readAgentFile, writeAgentFile } from './agent-file.js';
import { ensureAgent } from './ensure-agent.js';

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ensureAgent', () => {
  let root: string;
  /** Every process a test may leave behind; each leads its own process group. */
  const pids = new Set<number>();

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'tandem-ensure-agent-'));
  });
  afterAll(() => {
    for (const pid of pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('fails with the last lines of agent.log when the agent cannot start, ignoring a stale agent.json', async () => {
    const stateDir = path.join(root, 'broken', '.tandem');
    mkdirSync(stateDir, { recursive: true });
    // A stale file: its pid is not an agent of this state directory (it is the test itself).
    writeAgentFile(stateDir, {
      pid: process.pid,
      url: 'http://127.0.0.1:9',
      token: 'stale',
      startedAt: new Date().toISOString(),
      build: 'old',
    });
    const cliPath = path.join(root, 'broken-cli.mjs');
    writeFileSync(cliPath, "process.stderr.write('boom: the agent cannot start\\n'); process.exit(3);\n");
    const err = await ensureAgent({ stateDir, cliPath, env: cliEnv() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TANDEM_AGENT_START' });
    expect((err as Error).message).toContain('exited (code 3)');
    expect((err as Error).message).toContain('boom: the agent cannot start');
  });

  it('starts the real agent (real CLI, real supervisor), routes through a listener, adopts it, shuts it down', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true);
    const project = path.join(root, 'project');
    const stateDir = path.join(project, '.tandem');
    mkdirSync(stateDir, { recursive: true });

    const client = await ensureAgent({ stateDir, cliPath: CLI, env: cliEnv() });
    const agentPid = (await client.state()).pid;
    pids.add(agentPid);
    expect(readAgentFile(stateDir)?.pid).toBe(agentPid);
    expect(agentPid).not.toBe(process.pid);

    const server =
      "require('node:http').createServer((q, s) => s.end('hello from ' + process.env.PORT))" +
      ".listen(Number(process.env.PORT), '127.0.0.1')";
    const spec: InstanceSpec = {
      id: 'e2e-web-1',
      environment: 'e2e',
      service: 'web',
      revision: 'r1',
      command: `exec '${process.execPath}' -e "${server}"`,
      cwd: project,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      port: 0,
      health: {
        kind: 'http',
        path: '/',
        intervalMs: 100,
        timeoutMs: 2_000,
        healthyThreshold: 1,
        unhealthyThreshold: 3,
      },
      stop: { signal: 'SIGTERM', graceMs: 3_000 },
    };
    const started = await client.startInstance(spec);
    if (started.pid !== null) pids.add(started.pid);
    const listener = await client.putListener({
      key: 'e2e.web',
      port: 0,
      host: '127.0.0.1',
      traffic: [{ revision: 'r1', weight: 1, instances: ['e2e-web-1'] }],
    });
    await until(
      async () => (await client.state()).listeners[0]?.routed.includes('e2e-web-1') === true,
      'the instance to be healthy and routed',
    );
    const instance = (await client.state()).instances.find((i) => i.id === 'e2e-web-1')!;
    if (instance.pid !== null) pids.add(instance.pid);
    expect(instance).toMatchObject({ state: 'running', healthy: true });
    expect(await get(listener.port)).toEqual({ status: 200, body: `hello from ${instance.port}` });

    // A second control plane adopts the running agent instead of starting another.
    const again = await ensureAgent({ stateDir, cliPath: CLI, env: cliEnv() });
    expect((await again.state()).pid).toBe(agentPid);
    expect(await get(listener.port)).toEqual({ status: 200, body: `hello from ${instance.port}` });

    await again.shutdown();
    await until(() => !isAlive(agentPid), 'the agent to exit');
    expect(instance.pid === null || !isAlive(instance.pid)).toBe(true);
    expect(existsSync(agentFilePath(stateDir))).toBe(false);
    await expect(get(listener.port)).rejects.toThrow();
  });
});
