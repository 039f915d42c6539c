import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../test/helpers/cli.js';
import { TandemError } from '../errors.js';
import { createSupervisor } from '../runtime/local/supervisor.js';
import type { InstanceSpec } from '../runtime/local/types.js';
import { agentFilePath, readAgentFile } from './agent-file.js';
import { type RunningAgent, startAgent } from './agent-server.js';
import { AgentClient } from './client.js';
import { FakeSupervisor } from './fake-supervisor.js';

function spec(id: string, port: number, revision = 'r1'): InstanceSpec {
  return {
    id,
    environment: 'production',
    service: 'web',
    revision,
    command: 'node server.js',
    cwd: '/srv/app',
    env: {},
    port,
    health: {
      kind: 'http',
      path: '/health',
      intervalMs: 1000,
      timeoutMs: 500,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
    },
    stop: { signal: 'SIGTERM', graceMs: 5000 },
  };
}

/** One request on a fresh connection; 0 as status when the connection failed. */
function get(port: number, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** Which upstreams answer `n` requests through the listener. */
async function answers(port: number, n = 6): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await get(port);
    seen.add(r.status === 200 ? r.body : String(r.status));
  }
  return [...seen].sort();
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Error bodies, and the few fields of success bodies the raw requests read. */
interface ApiBody {
  error: { code: string; message: string };
  [key: string]: unknown;
}

describe('agent server', () => {
  let stateDir: string;
  let fake: FakeSupervisor;
  let agent: RunningAgent;
  let client: AgentClient;
  const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];

  beforeEach(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'tandem-agent-'));
    fake = new FakeSupervisor();
    agent = await startAgent({ stateDir, supervisor: fake, now: () => Date.UTC(2030, 0, 1) });
    client = new AgentClient({ url: agent.url, token: agent.token });
  });
  afterEach(async () => {
    await agent.close();
    for (const { server, sockets } of servers.splice(0)) {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** A real upstream on an ephemeral port; answers `name` unless the handler says otherwise. */
  async function upstream(name: string, handler?: (req: IncomingMessage, res: ServerResponse) => boolean) {
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => {
      if (handler?.(req, res)) return;
      res.end(name);
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push({ server, sockets });
    return (server.address() as { port: number }).port;
  }

  async function raw(method: string, route: string, opts: { token?: string | null; body?: string } = {}) {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? agent.token : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${agent.url}${route}`, { method, headers, body: opts.body });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as ApiBody) };
  }

  it('answers nothing without the right bearer token (fake supervisor)', async () => {
    for (const token of [null, 'wrong', `${agent.token}x`, '']) {
      const state = await raw('GET', '/v1/state', { token });
      expect(state.status).toBe(401);
      expect(state.json?.error.code).toBe('TANDEM_AGENT_UNAUTHORIZED');
    }
    const put = await raw('PUT', '/v1/instances/a', {
      token: 'wrong',
      body: JSON.stringify(spec('a', 1234)),
    });
    expect(put.status).toBe(401);
    expect((await raw('POST', '/v1/shutdown', { token: null })).status).toBe(401);
    expect((await raw('GET', '/v1/nowhere', { token: null })).status).toBe(401);
    expect(fake.list()).toEqual([]);

    const ok = await raw('GET', '/v1/state');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ pid: process.pid, startedAt: '2030-01-01T00:00:00.000Z', instances: [] });
    await expect(new AgentClient({ url: agent.url, token: 'nope' }).state()).rejects.toMatchObject({
      code: 'TANDEM_AGENT_UNAUTHORIZED',
    });
  });

  it('refuses bad bodies with 400 and changes nothing (fake supervisor)', async () => {
    const { health: _health, ...noHealth } = spec('a', 1234);
    const cases: Array<[string, string, string, string]> = [
      ['PUT', '/v1/instances/a', '{ not json', 'not JSON'],
      ['PUT', '/v1/instances/a', '', 'empty'],
      ['PUT', '/v1/instances/a', JSON.stringify(noHealth), 'health'],
      ['PUT', '/v1/instances/a', JSON.stringify({ ...spec('a', 1234), port: -1 }), 'port'],
      ['PUT', '/v1/instances/a', JSON.stringify({ ...spec('a', 1234), cwd: 'relative' }), 'cwd'],
      [
        'PUT',
        '/v1/instances/a',
        JSON.stringify({ ...spec('a', 1234), stop: { signal: 'SIGNOPE', graceMs: 1 } }),
        'stop.signal',
      ],
      ['PUT', '/v1/instances/a', JSON.stringify({ ...spec('a', 1234), extra: 1 }), 'extra'],
      ['PUT', '/v1/instances/b', JSON.stringify(spec('a', 1234)), 'differs'],
      [
        'PUT',
        '/v1/listeners/production.web',
        JSON.stringify({
          key: 'production.web',
          port: 0,
          host: '127.0.0.1',
          traffic: [{ revision: 'r1', weight: -1, instances: ['a'] }],
        }),
        'traffic.0.weight',
      ],
      [
        'PUT',
        '/v1/listeners/production.web',
        JSON.stringify({
          key: 'production.web',
          port: 0,
          host: '127.0.0.1',
          traffic: [
            { revision: 'r1', weight: 1, instances: ['a'] },
            { revision: 'r2', weight: 1, instances: ['a'] },
          ],
        }),
        'appears twice',
      ],
      ['PUT', '/v1/listeners/production.web', JSON.stringify({ key: 'production', port: 0 }), 'key'],
    ];
    for (const [method, route, body, mentions] of cases) {
      const res = await raw(method, route, { body });
      expect(res.status, `${route} ${body}`).toBe(400);
      expect(res.json?.error.code).toBe('TANDEM_AGENT_BAD_REQUEST');
      expect(res.json?.error.message).toContain(mentions);
    }
    await client.startInstance(spec('a', 1234));
    const stop = await raw('POST', '/v1/instances/a/stop', { body: JSON.stringify({ drainMs: -5 }) });
    expect(stop.status).toBe(400);
    expect((await raw('GET', '/v1/instances/a/logs?lines=zero')).status).toBe(400);

    const state = await client.state();
    expect(state.instances.map((i) => [i.id, i.state])).toEqual([['a', 'starting']]);
    expect(state.listeners).toEqual([]);
    expect(fake.stopCalls).toEqual([]);
  });

  it('starts, restarts and tails instances through the supervisor (fake supervisor)', async () => {
    const started = await client.startInstance(spec('a', 1234));
    expect(started).toMatchObject({ id: 'a', state: 'starting', healthy: false, port: 1234 });
    await expect(client.startInstance(spec('a', 1234))).rejects.toMatchObject({
      code: 'TANDEM_INSTANCE_EXISTS',
    });
    expect((await raw('PUT', '/v1/instances/a', { body: JSON.stringify(spec('a', 1)) })).status).toBe(409);
    await client.restartInstance('a');
    expect(fake.restartCalls).toEqual(['a']);
    expect(await client.logs('a', 2)).toEqual(['a line 2', 'a line 3']);
    for (const call of [() => client.restartInstance('zz'), () => client.stopInstance('zz', 0)]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TandemError);
      expect(err).toMatchObject({ code: 'TANDEM_INSTANCE_NOT_FOUND' });
    }
    expect((await raw('DELETE', '/v1/state')).status).toBe(405);
    expect((await raw('GET', '/v2/state')).status).toBe(404);
  });

  it('routes only to listed instances that run and are healthy now (fake supervisor)', async () => {
    const [pa, pb, pc] = [await upstream('a'), await upstream('b'), await upstream('c')];
    await client.startInstance(spec('a', pa, 'r1'));
    await client.startInstance(spec('b', pb, 'r2'));
    // c is healthy but not listed in the listener's traffic: it never gets a request.
    await client.startInstance(spec('c', pc, 'r2'));
    fake.set('c', { state: 'running', healthy: true });
    const listener = await client.putListener({
      key: 'production.web',
      port: 0,
      host: '127.0.0.1',
      traffic: [
        { revision: 'r1', weight: 1, instances: ['a'] },
        { revision: 'r2', weight: 1, instances: ['b'] },
      ],
    });
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.routed).toEqual([]);
    const port = listener.port;
    expect(await answers(port)).toEqual(['503']);

    // Healthy but not yet 'running' (the supervisor's state lags): still not routed.
    fake.set('a', { healthy: true });
    expect(await answers(port)).toEqual(['503']);
    fake.set('a', { state: 'running' });
    expect(await answers(port)).toEqual(['a']);
    fake.set('b', { state: 'running', healthy: true });
    expect(await answers(port)).toEqual(['a', 'b']);
    expect((await client.state()).listeners[0]!.routed).toEqual(['a', 'b']);

    // a fails its checks: it leaves traffic at once, without the control plane.
    fake.set('a', { healthy: false });
    expect(await answers(port)).toEqual(['b']);
    expect((await client.state()).listeners[0]).toMatchObject({ key: 'production.web', port, routed: ['b'] });

    // A PUT re-applies the rule to the new traffic list, on the same port.
    fake.set('a', { healthy: true });
    const moved = await client.putListener({
      key: 'production.web',
      port: 0,
      host: '127.0.0.1',
      traffic: [{ revision: 'r1', weight: 1, instances: ['a'] }],
    });
    expect(moved).toMatchObject({ port, routed: ['a'] });
    expect(await answers(port)).toEqual(['a']);

    const stats = await client.stats();
    expect(stats['production.web']?.instances.a?.requests).toBeGreaterThan(0);
    expect(stats['production.web']?.instances.c).toBeUndefined();

    await client.deleteListener('production.web');
    expect((await get(port)).status).toBe(0);
    expect((await client.state()).listeners).toEqual([]);
  });

  it('passes a sticky listener on to its data plane: clients are pinned by cookie (fake supervisor)', async () => {
    const [pa, pb] = [await upstream('a'), await upstream('b')];
    await client.startInstance(spec('a', pa, 'r1'));
    await client.startInstance(spec('b', pb, 'r2'));
    fake.set('a', { state: 'running', healthy: true });
    fake.set('b', { state: 'running', healthy: true });
    const traffic = [
      { revision: 'r1', weight: 1, instances: ['a'] },
      { revision: 'r2', weight: 1, instances: ['b'] },
    ];
    const listener = await client.putListener({
      key: 'production.web',
      port: 0,
      host: '127.0.0.1',
      traffic,
      sticky: true,
    });
    expect(listener.sticky).toBe(true);
    const cookieOf = (port: number, cookie?: string) =>
      new Promise<{ body: string; setCookie: string[] }>((resolve, reject) => {
        const headers = cookie === undefined ? {} : { cookie };
        const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ body, setCookie: res.headers['set-cookie'] ?? [] }));
        });
        req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      });
    const first = await cookieOf(listener.port);
    const revision = first.body === 'a' ? 'r1' : 'r2';
    expect(first.setCookie).toEqual([`tandem-revision=${revision}; Path=/; HttpOnly; SameSite=Lax`]);
    for (let i = 0; i < 6; i++) {
      expect(await cookieOf(listener.port, `tandem-revision=${revision}`)).toEqual({
        body: first.body,
        setCookie: [],
      });
    }
    // Not sticky any more: no cookie set, and the cookie is ignored.
    const plain = await client.putListener({ key: 'production.web', port: 0, host: '127.0.0.1', traffic });
    expect(plain.sticky).toBeUndefined();
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await cookieOf(listener.port, `tandem-revision=${revision}`);
      expect(r.setCookie).toEqual([]);
      seen.add(r.body);
    }
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it('stop drains the instance in every listener before the supervisor stops it (fake supervisor)', async () => {
    let release: (() => void) | undefined;
    const pa = await upstream('a', (req, res) => {
      if (req.url !== '/slow') return false;
      release = () => res.end('slow done');
      return true;
    });
    const pb = await upstream('b');
    await client.startInstance(spec('a', pa));
    await client.startInstance(spec('b', pb));
    fake.set('a', { state: 'running', healthy: true });
    const traffic = [{ revision: 'r1', weight: 1, instances: ['a', 'b'] }];
    const one = await client.putListener({ key: 'production.web', port: 0, host: '127.0.0.1', traffic });
    const two = await client.putListener({ key: 'staging.web', port: 0, host: '127.0.0.1', traffic });

    const slow = get(one.port, '/slow');
    await until(() => release !== undefined, 'the slow request to reach a');
    fake.set('b', { state: 'running', healthy: true });

    await client.stopInstance('a', 20_000);
    const during = await client.state();
    expect(during.instances.find((i) => i.id === 'a')?.state).toBe('stopping');
    expect(during.listeners.map((l) => l.routed)).toEqual([['b'], ['b']]);
    expect(await answers(one.port)).toEqual(['b']);
    expect(await answers(two.port)).toEqual(['b']);
    // The request in flight on a holds the stop back.
    await sleep(100);
    expect(fake.stopCalls).toEqual([]);

    release!();
    expect(await slow).toEqual({ status: 200, body: 'slow done' });
    await until(() => fake.stopCalls.includes('a'), 'the supervisor to be asked to stop a');
    await until(async () => (await client.state()).instances.every((i) => i.id !== 'a'), 'a to be gone');
    // Stopping again is refused: it is gone.
    await expect(client.stopInstance('a', 0)).rejects.toMatchObject({ code: 'TANDEM_INSTANCE_NOT_FOUND' });
  });

  it('stops the instance at the drain timeout even with a request in flight (fake supervisor)', async () => {
    let held: ServerResponse | undefined;
    const pa = await upstream('a', (_req, res) => {
      held = res;
      return true;
    });
    await client.startInstance(spec('a', pa));
    fake.set('a', { state: 'running', healthy: true });
    const { port } = await client.putListener({
      key: 'production.web',
      port: 0,
      host: '127.0.0.1',
      traffic: [{ revision: 'r1', weight: 1, instances: ['a'] }],
    });
    const pending = get(port);
    await until(() => held !== undefined, 'the request to reach a');
    await client.stopInstance('a', 50);
    await until(() => fake.stopCalls.includes('a'), 'the supervisor to be asked to stop a');
    held!.end('late');
    expect(await pending).toEqual({ status: 200, body: 'late' });
  });

  it('answers 409 TANDEM_PORT_IN_USE for a listener port in use, and changes nothing (fake supervisor)', async () => {
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    try {
      const body = { key: 'production.web', port: busy, host: '127.0.0.1', traffic: [] };
      const res = await raw('PUT', '/v1/listeners/production.web', { body: JSON.stringify(body) });
      expect(res.status).toBe(409);
      expect(res.json?.error.code).toBe('TANDEM_PORT_IN_USE');
      expect(res.json?.error.message).toContain(`port ${busy}`);
      const err = await client.putListener(body).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TANDEM_PORT_IN_USE' });
      expect((await client.state()).listeners).toEqual([]);

      // A listener already up keeps serving when a move to a busy port is refused.
      const ok = await client.putListener({ ...body, port: 0 });
      await expect(client.putListener({ ...body, port: busy })).rejects.toMatchObject({
        code: 'TANDEM_PORT_IN_USE',
      });
      expect((await get(ok.port)).status).toBe(503);
      expect((await client.state()).listeners.map((l) => l.port)).toEqual([ok.port]);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('writes agent.json (0600); shutdown stops everything and removes it (fake supervisor)', async () => {
    const file = readAgentFile(stateDir);
    expect(file).toMatchObject({ pid: process.pid, url: agent.url, token: agent.token });
    expect(file?.build).toEqual(expect.any(String));
    if (process.platform !== 'win32') expect(statSync(agentFilePath(stateDir)).mode & 0o777).toBe(0o600);

    await client.startInstance(spec('a', 1234));
    const { port } = await client.putListener({
      key: 'production.web',
      port: 0,
      host: '127.0.0.1',
      traffic: [],
    });
    await client.shutdown();
    await agent.closed;
    expect(fake.closed).toBe(true);
    expect(fake.list()).toEqual([]);
    expect(readAgentFile(stateDir)).toBeUndefined();
    expect((await get(port)).status).toBe(0);
    await expect(client.state()).rejects.toMatchObject({ code: 'TANDEM_AGENT_UNREACHABLE' });
  });
});

describe('agent server with the real supervisor', () => {
  let stateDir: string;
  let agent: RunningAgent | undefined;
  const pids = new Set<number>();

  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'tandem-agent-real-'));
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    pids.clear();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function nodeServer(id: string, revision = 'r1'): InstanceSpec {
    const js = `require('node:http').createServer((q, s) => s.end('${id}')).listen(Number(process.env.PORT), '127.0.0.1')`;
    return {
      ...spec(id, 0, revision),
      command: `exec '${process.execPath}' -e "${js}"`,
      cwd: stateDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      health: {
        kind: 'http',
        path: '/',
        intervalMs: 50,
        timeoutMs: 2_000,
        healthyThreshold: 1,
        unhealthyThreshold: 2,
      },
      stop: { signal: 'SIGTERM', graceMs: 3_000 },
    };
  }

  it('keeps answering while an instance is killed and restarted, and stops one without a failed request', async () => {
    const supervisor = createSupervisor({
      logDir: path.join(stateDir, 'logs', 'instances'),
      restartBackoff: { initialMs: 50 },
    });
    agent = await startAgent({ stateDir, supervisor });
    const client = new AgentClient({ url: agent.url, token: agent.token });
    await client.startInstance(nodeServer('a'));
    await client.startInstance(nodeServer('b'));
    const { port } = await client.putListener({
      key: 'production.web',
      port: 0,
      host: '127.0.0.1',
      traffic: [{ revision: 'r1', weight: 1, instances: ['a', 'b'] }],
    });
    const routed = async () => (await client.state()).listeners[0]!.routed;
    await until(async () => (await routed()).length === 2, 'a and b to be healthy and routed');
    for (const i of (await client.state()).instances) if (i.pid !== null) pids.add(i.pid);

    const failures: string[] = [];
    let load = true;
    const loop = (async () => {
      while (load) {
        const r = await get(port);
        if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
      }
    })();
    await client.restartInstance('a');
    await until(
      async () => (await client.state()).instances.some((i) => i.id === 'a' && i.restarts === 1),
      'a restarted',
    );
    await until(async () => (await routed()).length === 2, 'a to be routed again');
    for (const i of (await client.state()).instances) if (i.pid !== null) pids.add(i.pid);

    const bPid = (await client.state()).instances.find((i) => i.id === 'b')!.pid!;
    await client.stopInstance('b', 5_000);
    await until(async () => (await client.state()).instances.every((i) => i.id !== 'b'), 'b to be stopped');
    expect(isAlive(bPid)).toBe(false);
    load = false;
    await loop;
    expect(failures).toEqual([]);
    expect(await answers(port)).toEqual(['a']);
    expect(await client.logs('b', 50)).toEqual(expect.arrayContaining([expect.stringContaining('stopped')]));
  });
});
