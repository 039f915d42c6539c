import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../test/helpers/cli.js';
import { createSupervisor } from '../runtime/local/supervisor.js';
import type { InstanceSpec } from '../runtime/local/types.js';
import { type RunningAgent, startAgent } from './agent-server.js';
import { AgentClient } from './client.js';
import { FakeSupervisor } from './fake-supervisor.js';
import type { UsageResponse } from './protocol.js';

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await read();
    if (ok(v)) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function spec(id: string, command: string, cwd: string): InstanceSpec {
  return {
    id,
    environment: 'production',
    service: 'worker',
    revision: 'r1',
    command,
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    port: 0,
    health: { kind: 'tcp', intervalMs: 60_000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 2 },
    stop: { signal: 'SIGKILL', graceMs: 1_000 },
  };
}

describe('agent GET /v1/usage', () => {
  let stateDir: string;
  let agent: RunningAgent | undefined;
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'tandem-agent-usage-'));
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('needs the token, only answers GET, and gives null for an instance without a process (fake supervisor)', async () => {
    const fake = new FakeSupervisor();
    agent = await startAgent({ stateDir, supervisor: fake });
    const client = new AgentClient({ url: agent.url, token: agent.token });
    expect(await client.usage()).toEqual({});

    await client.startInstance(spec('a', 'true', stateDir)); // the fake gives it no pid
    expect(await client.usage()).toEqual({ a: null });

    const anonymous = await fetch(`${agent.url}/v1/usage`);
    expect(anonymous.status).toBe(401);
    const post = await fetch(`${agent.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.token}` },
    });
    expect(post.status).toBe(405);
  });

  it.runIf(process.platform === 'linux')(
    "reports a real instance's CPU rising and its memory, and forgets it once stopped",
    async () => {
      const supervisor = createSupervisor({ logDir: path.join(stateDir, 'logs', 'instances') });
      agent = await startAgent({ stateDir, supervisor });
      const client = new AgentClient({ url: agent.url, token: agent.token });
      await client.startInstance(spec('busy', 'sleep 60 & while :; do :; done', stateDir));
      await client.startInstance(spec('idle', 'sleep 60', stateDir));

      const first = await until(
        () => client.usage(),
        (u) => u.busy?.processes === 2 && u.idle?.processes === 1,
        'both instances to have their processes',
      );
      const pids = (await client.state()).instances.map((i) => i.pid!);
      const later = await until(
        () => client.usage(),
        (u: UsageResponse) => (u.busy?.cpuSeconds ?? 0) >= first.busy!.cpuSeconds + 0.2,
        'the busy instance to use 0.2 s more CPU',
      );
      expect(later.busy!.rssBytes).toBeGreaterThan(100_000);
      expect(later.idle!.rssBytes).toBeGreaterThan(0);
      expect(later.idle!.cpuSeconds).toBeLessThan(later.busy!.cpuSeconds);

      await client.stopInstance('busy', 0);
      await until(
        () => client.usage(),
        (u) => !('busy' in u),
        'the stopped instance to leave the usage',
      );
      await agent.close();
      agent = undefined;
      for (const pid of pids) {
        await until(
          async () => isAlive(pid),
          (alive) => !alive,
          `pid ${pid} to exit`,
        );
      }
    },
  );
});
