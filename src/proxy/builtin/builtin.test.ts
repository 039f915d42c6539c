import { type Agent, createServer, type IncomingMessage, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { dataPlaneContract } from '../contract.js';
import type { DataPlane } from '../types.js';
import { createBuiltinDataPlane } from './builtin-data-plane.js';

dataPlaneContract('builtin', () => createBuiltinDataPlane());

describe('builtin data plane', () => {
  let plane: DataPlane | undefined;
  const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];
  afterEach(async () => {
    await plane?.close();
    plane = undefined;
    for (const { server, sockets } of servers.splice(0)) {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  /** An upstream that counts its open connections. */
  async function upstream(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
    const sockets = new Set<Socket>();
    const server = createServer(handler);
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push({ server, sockets });
    return { port: (server.address() as { port: number }).port, sockets };
  }

  function get(port: number, path: string, agent: Agent | false = false) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await sleep(10);
    expect(check()).toBe(true);
  }

  it('releases the upstream connections once nothing is in flight on it', async () => {
    let release: (() => void) | undefined;
    const a = await upstream((req, res) => {
      if (req.url === '/slow') release = () => res.end('slow');
      else res.end('a');
    });
    const b = await upstream((_req, res) => res.end('b'));
    plane = createBuiltinDataPlane();
    const { port } = await plane.listen(0, '127.0.0.1');
    const route = (id: string, p: number) => ({
      revisions: [{ revision: id, weight: 1, instances: [{ id, host: '127.0.0.1', port: p }] }],
    });
    plane.setRoutes(route('a', a.port));
    expect((await get(port, '/')).body).toBe('a');
    const slow = get(port, '/slow');
    await until(() => release !== undefined);
    plane.setRoutes(route('b', b.port));
    expect((await get(port, '/')).body).toBe('b');
    await sleep(50);
    expect(a.sockets.size).toBeGreaterThan(0);
    release!();
    expect(await slow).toEqual({ status: 200, body: 'slow' });
    await until(() => a.sockets.size === 0);
    expect(b.sockets.size).toBe(1);
  });

  it('cuts the upstream request off when the client goes away', async () => {
    let upstreamClosed = false;
    const a = await upstream((req) => {
      req.socket.on('close', () => (upstreamClosed = true));
    });
    plane = createBuiltinDataPlane();
    const { port } = await plane.listen(0, '127.0.0.1');
    plane.setRoutes({
      revisions: [{ revision: 'v1', weight: 1, instances: [{ id: 'a', host: '127.0.0.1', port: a.port }] }],
    });
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false });
    req.on('error', () => undefined);
    req.end();
    await until(() => plane!.stats().instances.a?.inFlight === 1);
    req.destroy();
    await until(() => upstreamClosed && plane!.stats().instances.a!.inFlight === 0);
    expect(plane.stats().total.inFlight).toBe(0);
  });

  it('cuts the client off when the upstream dies mid-response', async () => {
    const a = await upstream((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    });
    plane = createBuiltinDataPlane();
    const { port } = await plane.listen(0, '127.0.0.1');
    plane.setRoutes({
      revisions: [{ revision: 'v1', weight: 1, instances: [{ id: 'a', host: '127.0.0.1', port: a.port }] }],
    });
    await expect(get(port, '/')).rejects.toThrow();
    await until(() => plane!.stats().instances.a!.inFlight === 0);
  });

  it('closes idle client connections after keepAliveTimeoutMs, and idle upstream ones after upstreamIdleMs', async () => {
    const a = await upstream((_req, res) => res.end('a'));
    plane = createBuiltinDataPlane({ keepAliveTimeoutMs: 150, upstreamIdleMs: 100 });
    const { port } = await plane.listen(0, '127.0.0.1');
    plane.setRoutes({
      revisions: [{ revision: 'v1', weight: 1, instances: [{ id: 'a', host: '127.0.0.1', port: a.port }] }],
    });
    const socket = connect(port, '127.0.0.1');
    let closed = false;
    socket.once('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.resume();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => a.sockets.size === 1);
    await until(() => closed && a.sockets.size === 0);
  });

  it('rejects an invalid route table and keeps the previous one', () => {
    plane = createBuiltinDataPlane();
    const ok = {
      revisions: [{ revision: 'v1', weight: 1, instances: [{ id: 'a', host: '127.0.0.1', port: 1 }] }],
    };
    plane.setRoutes(ok);
    const bad = [
      { revisions: [{ revision: 'v1', weight: 1.5, instances: [] }] },
      { revisions: [{ revision: 'v1', weight: -1, instances: [] }] },
      {
        revisions: [
          { revision: 'v1', weight: 1, instances: [{ id: 'a', host: 'h', port: 1 }] },
          { revision: 'v2', weight: 1, instances: [{ id: 'a', host: 'h', port: 2 }] },
        ],
      },
      { revisions: [{ revision: 'v1', weight: 1, instances: [{ id: 'a', host: 'h', port: 0 }] }] },
    ];
    for (const table of bad) expect(() => plane!.setRoutes(table)).toThrow(TandemError);
  });

  it('does not retry a request with a body: a refused POST gets a 502', async () => {
    plane = createBuiltinDataPlane();
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    plane.setRoutes({
      revisions: [
        { revision: 'v1', weight: 1, instances: [{ id: 'dead', host: '127.0.0.1', port: deadPort }] },
      ],
    });
    const { port } = await plane.listen(0, '127.0.0.1');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end('payload');
    });
    expect(status).toBe(502);
    expect(plane.stats().instances.dead!.connectionFailures).toBe(1);
  });
});
