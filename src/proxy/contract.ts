import { createHash } from 'node:crypto';
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataPlane, RouteTable, UpstreamInstance } from './types.js';

/**
 * The conformance suite every DataPlane must pass, so a rollout behaves the same whatever
 * carries its traffic. Call it from the implementation's test file:
 * `dataPlaneContract('builtin', () => createBuiltinDataPlane())`.
 *
 * Everything runs on 127.0.0.1 against real HTTP upstreams on ephemeral ports; every server,
 * socket and agent a test opens is closed after it.
 */
export function dataPlaneContract(name: string, create: () => DataPlane): void {
  describe(`data plane contract: ${name}`, () => {
    let plane: DataPlane;
    let port: number;
    let client: Agent;
    const cleanups: Array<() => unknown> = [];

    beforeEach(async () => {
      plane = create();
      port = (await plane.listen(0, '127.0.0.1')).port;
      client = new Agent({ keepAlive: true, maxSockets: 64 });
    });
    afterEach(async () => {
      client.destroy();
      await plane.close();
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** An upstream on an ephemeral port; its default handler answers 200 with its id. */
    async function upstream(id: string, handler?: Handler): Promise<Upstream> {
      const sockets = new Set<Duplex>();
      const server = createServer((req, res) => {
        if (handler !== undefined) handler(req, res);
        else res.end(id);
      });
      server.keepAliveTimeout = 10_000;
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await listen(server);
      cleanups.push(() => closeServer(server, sockets));
      return { id, host: '127.0.0.1', port: portOf(server), server, sockets };
    }

    const get = (path = '/', opts: RequestOptions = {}) => send(port, path, { agent: client, ...opts });

    it('routes requests to the one instance, with method, path and query', async () => {
      const a = await upstream('a', (req, res) => res.end(`a ${req.method} ${req.url}`));
      plane.setRoutes(table([['v1', 1, [a]]]));
      const res = await get('/x/y?z=1');
      expect(res.status).toBe(200);
      expect(res.body).toBe('a GET /x/y?z=1');
      const del = await get('/thing', { method: 'DELETE' });
      expect(del.body).toBe('a DELETE /thing');
    });

    it('streams a large request body and echoes it back', async () => {
      const a = await upstream('a', (req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        req.pipe(res);
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      const body = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
      const res = await get('/echo', { method: 'POST', body, raw: true });
      expect(res.status).toBe(200);
      expect(res.raw.length).toBe(body.length);
      expect(sha256(res.raw)).toBe(sha256(body));
    });

    it('streams a chunked response: the first chunk arrives before the upstream ends', async () => {
      const gate = deferred<void>();
      const a = await upstream('a', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        void gate.promise.then(() => res.end('second'));
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      const text = await new Promise<string>((resolve, reject) => {
        const req = request({ port, host: '127.0.0.1', path: '/stream', agent: client }, (res) => {
          let acc = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            acc += chunk;
            if (acc === 'first;') gate.resolve();
          });
          res.on('end', () => resolve(acc));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      expect(text).toBe('first;second');
    });

    it('splits traffic by weight exactly (smooth weighted round-robin) and sends none to weight 0', async () => {
      const a = await upstream('a');
      const b = await upstream('b');
      const c = await upstream('c');
      plane.setRoutes(
        table([
          ['v1', 90, [a]],
          ['v2', 10, [b]],
          ['v3', 0, [c]],
        ]),
      );
      const counts: Record<string, number> = {};
      for (let i = 0; i < 200; i++) {
        const { body } = await get(`/${i}`);
        counts[body] = (counts[body] ?? 0) + 1;
      }
      expect(counts).toEqual({ a: 180, b: 20 });
    });

    describe('sticky (cookie)', () => {
      const sticky = { cookie: 'tandem-revision' };
      const revisionOf: Record<string, string> = { a: 'v1', b: 'v2' };
      const pinned = (res: Reply) => res.headers['set-cookie'] ?? [];
      const cookieFor = (revision: string) => `tandem-revision=${revision}; Path=/; HttpOnly; SameSite=Lax`;

      it('sets the cookie on the first response and keeps a client on its revision at 50/50', async () => {
        const a = await upstream('a');
        const b = await upstream('b');
        plane.setRoutes({
          ...table([
            ['v1', 50, [a]],
            ['v2', 50, [b]],
          ]),
          sticky,
        });
        // New clients are split by weight, each told where it landed.
        const first = await get('/');
        const second = await get('/');
        expect(new Set([first.body, second.body])).toEqual(new Set(['a', 'b']));
        for (const res of [first, second]) expect(pinned(res)).toEqual([cookieFor(revisionOf[res.body]!)]);
        // A client with the cookie stays, among other cookies, and is not told again.
        for (const [id, revision] of Object.entries(revisionOf)) {
          for (let i = 0; i < 50; i++) {
            const res = await get(`/${i}`, { headers: { cookie: `a=1; tandem-revision=${revision}; b=2` } });
            expect([res.status, res.body, pinned(res)]).toEqual([200, id, []]);
          }
        }
        // The same through the full HTTP machinery (a chunked upload).
        const upload = await get('/up', {
          method: 'POST',
          body: 'x',
          headers: { 'transfer-encoding': 'chunked', cookie: 'tandem-revision=v2' },
        });
        expect([upload.body, pinned(upload)]).toEqual(['b', []]);
        const fresh = await get('/up', {
          method: 'POST',
          body: 'x',
          headers: { 'transfer-encoding': 'chunked' },
        });
        expect(pinned(fresh)).toEqual([cookieFor(revisionOf[fresh.body]!)]);
      });

      it('replaces a cookie naming a revision gone from the table or at weight 0', async () => {
        const a = await upstream('a');
        const b = await upstream('b');
        const c = await upstream('c');
        plane.setRoutes({
          ...table([
            ['v1', 50, [a]],
            ['v2', 50, [b]],
            ['v3', 0, [c]],
          ]),
          sticky,
        });
        for (const stale of ['gone', 'v3', '']) {
          for (let i = 0; i < 4; i++) {
            const res = await get('/', { headers: { cookie: `tandem-revision=${stale}` } });
            expect(['a', 'b']).toContain(res.body);
            expect(pinned(res)).toEqual([cookieFor(revisionOf[res.body]!)]);
          }
        }
      });

      it('sets no cookie with one revision taking traffic, nor without sticky', async () => {
        const a = await upstream('a');
        const b = await upstream('b');
        plane.setRoutes({
          ...table([
            ['v1', 1, [a]],
            ['v2', 0, [b]],
          ]),
          sticky,
        });
        const one = await get('/', { headers: { cookie: 'tandem-revision=v2' } });
        expect([one.body, pinned(one)]).toEqual(['a', []]);
        plane.setRoutes(
          table([
            ['v1', 50, [a]],
            ['v2', 50, [b]],
          ]),
        );
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) {
          const res = await get('/', { headers: { cookie: 'tandem-revision=v2' } });
          seen.add(res.body);
          expect(pinned(res)).toEqual([]);
        }
        expect(seen).toEqual(new Set(['a', 'b']));
      });
    });

    it('sends fewer requests to a slow instance (least outstanding)', async () => {
      const slow = await upstream('slow', (_req, res) => {
        setTimeout(() => res.end('slow'), 150);
      });
      const fast = await upstream('fast');
      plane.setRoutes(table([['v1', 1, [slow, fast]]]));
      const counts: Record<string, number> = { slow: 0, fast: 0 };
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 6; i++) {
            const { status, body } = await get('/');
            expect(status).toBe(200);
            counts[body] = (counts[body] ?? 0) + 1;
          }
        }),
      );
      expect(counts.slow! + counts.fast!).toBe(60);
      expect(counts.slow! * 2).toBeLessThan(counts.fast!);
    });

    it('adds X-Forwarded-* and a request id, echoes it, keeps a sane client id and drops hop-by-hop headers', async () => {
      const a = await upstream('a', (req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.headers));
      });
      plane.setRoutes(table([['v1', 1, [a]]]));

      const first = await get('/h', { headers: { connection: 'keep-alive, x-hop', 'x-hop': '1' } });
      const seen = JSON.parse(first.body) as IncomingHttpHeaders;
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
      expect(seen.host).toBe(`127.0.0.1:${port}`);
      expect(seen['x-hop']).toBeUndefined();
      expect(seen['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(first.headers['x-request-id']).toBe(seen['x-request-id']);

      const second = await get('/h', {
        headers: { 'x-request-id': 'req-42.abc', 'x-forwarded-for': '10.1.2.3' },
      });
      const seen2 = JSON.parse(second.body) as IncomingHttpHeaders;
      expect(seen2['x-request-id']).toBe('req-42.abc');
      expect(second.headers['x-request-id']).toBe('req-42.abc');
      expect(seen2['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');

      const third = await get('/h', { headers: { 'x-request-id': 'not a sane id <script>' } });
      const seen3 = JSON.parse(third.body) as IncomingHttpHeaders;
      expect(seen3['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(third.headers['x-request-id']).toBe(seen3['x-request-id']);
    });

    it('retries a refused connection on another instance: no request fails', async () => {
      const dead = await deadInstance('dead');
      const live = await upstream('live');
      plane.setRoutes(table([['v1', 1, [dead, live]]]));
      for (let i = 0; i < 10; i++) {
        const res = await get('/', { method: i % 2 === 0 ? 'GET' : 'HEAD' });
        expect(res.status).toBe(200);
        if (i % 2 === 0) expect(res.body).toBe('live');
      }
      const stats = plane.stats();
      expect(stats.instances.dead!.connectionFailures).toBeGreaterThan(0);
      expect(stats.instances.live!.responses['2xx']).toBe(10);
      expect(stats.total.responses['5xx']).toBe(0);
    });

    it('answers 502 when every instance refuses and 503 when there is no instance', async () => {
      expect((await get('/')).status).toBe(503);
      const d1 = await deadInstance('d1');
      const d2 = await deadInstance('d2');
      plane.setRoutes(table([['v1', 1, [d1, d2]]]));
      const bad = await get('/');
      expect(bad.status).toBe(502);
      expect(bad.headers['x-request-id']).toBeTruthy();
      plane.setRoutes(table([['v1', 1, []]]));
      expect((await get('/')).status).toBe(503);
      const a = await upstream('a');
      plane.setRoutes(table([['v1', 0, [a]]]));
      expect((await get('/')).status).toBe(503);
      plane.setRoutes({ revisions: [] });
      expect((await get('/')).status).toBe(503);
    });

    it('drains: the in-flight request completes, new requests go elsewhere, drain resolves drained', async () => {
      const arrived = deferred<void>();
      const release = deferred<void>();
      const slow = await upstream('slow', (req, res) => {
        if (req.url !== '/slow') return void res.end('slow');
        arrived.resolve();
        void release.promise.then(() => res.end('slow done'));
      });
      const other = await upstream('other');
      plane.setRoutes(table([['v1', 1, [slow]]]));
      const inFlight = get('/slow');
      await arrived.promise;
      plane.setRoutes(table([['v1', 1, [slow, other]]]));

      let settled = false;
      const drain = plane.drain('slow', 5_000).then((r) => {
        settled = true;
        return r;
      });
      for (let i = 0; i < 5; i++) expect((await get('/')).body).toBe('other');
      await sleep(50);
      expect(settled).toBe(false);
      expect(plane.stats().instances.slow!.inFlight).toBe(1);

      release.resolve();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body).toBe('slow done');
      expect(await drain).toEqual({ drained: true, inFlight: 0 });
      expect(plane.stats().instances.slow!.inFlight).toBe(0);
    });

    it('resolves drained: false when a request outlives the drain timeout', async () => {
      const arrived = deferred<void>();
      const release = deferred<void>();
      cleanups.push(() => release.resolve());
      const slow = await upstream('slow', (_req, res) => {
        arrived.resolve();
        void release.promise.then(() => res.end('late'));
      });
      plane.setRoutes(table([['v1', 1, [slow]]]));
      const inFlight = get('/').catch(() => undefined);
      await arrived.promise;
      const started = Date.now();
      expect(await plane.drain('slow', 100)).toEqual({ drained: false, inFlight: 1 });
      expect(Date.now() - started).toBeLessThan(2_000);
      release.resolve();
      await inFlight;
    });

    it('swaps routes under keep-alive load with zero failures on one client connection', async () => {
      const arrived = deferred<void>();
      const release = deferred<void>();
      const a = await upstream('a', (req, res) => {
        if (req.url !== '/slow') return void res.end('a');
        arrived.resolve();
        void release.promise.then(() => res.end('a slow'));
      });
      const b = await upstream('b');
      const c = await upstream('c');
      plane.setRoutes(table([['v1', 1, [a]]]));
      // A request in flight on `a` while `a` leaves the table finishes where it is.
      const slowAgent = new Agent({ keepAlive: true });
      cleanups.push(() => slowAgent.destroy());
      const slowReq = send(port, '/slow', { agent: slowAgent });
      await arrived.promise;

      const one = new Agent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => one.destroy());
      const sockets = new Set<unknown>();
      const seen: string[] = [];
      for (let i = 0; i < 200; i++) {
        if (i === 50) plane.setRoutes(table([['v2', 1, [b]]]));
        if (i === 100)
          plane.setRoutes(
            table([
              ['v2', 1, [b]],
              ['v3', 1, [c]],
            ]),
          );
        if (i === 150) plane.setRoutes(table([['v3', 1, [c]]]));
        const res = await send(port, `/${i}`, { agent: one });
        expect(res.status).toBe(200);
        sockets.add(res.socket);
        seen.push(res.body);
      }
      expect(sockets.size).toBe(1);
      expect(seen.slice(0, 50).every((s) => s === 'a')).toBe(true);
      expect(seen.slice(50, 100).every((s) => s === 'b')).toBe(true);
      expect(seen.slice(100, 150).filter((s) => s === 'c')).toHaveLength(25);
      expect(seen.slice(150).every((s) => s === 'c')).toBe(true);

      release.resolve();
      const slow = await slowReq;
      expect(slow.status).toBe(200);
      expect(slow.body).toBe('a slow');
      expect(plane.stats().total.responses['5xx']).toBe(0);
    });

    it('proxies an Upgrade (WebSocket-style) both ways and drain waits for it', async () => {
      const a = await upstream('a');
      a.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: tandem-test\r\nConnection: Upgrade\r\nX-Seen-Request-Id: ${req.headers['x-request-id']}\r\n\r\n`,
        );
        socket.on('data', (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
        socket.on('end', () => socket.end());
        socket.on('error', () => undefined);
        a.sockets.add(socket);
      });
      plane.setRoutes(table([['v1', 1, [a]]]));

      const { socket, response } = await upgrade(port);
      cleanups.push(() => socket.destroy());
      expect(response.statusCode).toBe(101);
      expect(response.headers['x-seen-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(await roundTrip(socket, 'ping')).toBe('echo:ping');
      expect(await roundTrip(socket, 'pong')).toBe('echo:pong');
      expect(plane.stats().instances.a!.inFlight).toBe(1);

      let settled = false;
      const drain = plane.drain('a', 5_000).then((r) => {
        settled = true;
        return r;
      });
      await sleep(50);
      expect(settled).toBe(false);
      expect(await roundTrip(socket, 'still')).toBe('echo:still');
      socket.end();
      expect(await drain).toEqual({ drained: true, inFlight: 0 });
    });

    it('closes an upgraded connection that outlives the drain timeout', async () => {
      const a = await upstream('a');
      a.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: tandem-test\r\nConnection: Upgrade\r\n\r\n',
        );
        socket.on('data', (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
        socket.on('end', () => socket.end());
        socket.on('error', () => undefined);
        a.sockets.add(socket);
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      const { socket } = await upgrade(port);
      cleanups.push(() => socket.destroy());
      expect(await roundTrip(socket, 'hi')).toBe('echo:hi');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(await plane.drain('a', 100)).toEqual({ drained: false, inFlight: 1 });
      await closed;
      await eventually(() => plane.stats().instances.a!.inFlight === 0);
    });

    it('counts requests, response classes, latency and in-flight per instance and revision', async () => {
      const a = await upstream('a', (req, res) => {
        res.statusCode = req.url === '/fail' ? 500 : req.url === '/missing' ? 404 : 200;
        res.end('x');
      });
      const b = await upstream('b');
      plane.setRoutes(
        table([
          ['v1', 1, [a]],
          ['v2', 0, [b]],
        ]),
      );
      for (const path of ['/', '/', '/', '/fail', '/missing']) await get(path);
      await eventually(() => plane.stats().instances.a!.latency.count === 5);
      const stats = plane.stats();
      const inst = stats.instances.a!;
      expect(inst.revision).toBe('v1');
      expect(inst.requests).toBe(5);
      expect(inst.responses).toEqual({ '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 1 });
      expect(inst.inFlight).toBe(0);
      expect(inst.connectionFailures).toBe(0);
      expect(inst.latency.count).toBe(5);
      expect(inst.latency.counts.reduce((x, y) => x + y, 0)).toBe(5);
      expect(inst.latency.counts).toHaveLength(inst.latency.bucketsMs.length + 1);
      expect(inst.latency.sumMs).toBeGreaterThan(0);
      const rev = stats.revisions.v1!;
      expect(rev.requests).toBe(5);
      expect(rev.responses).toEqual({ '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 1 });
      expect(rev.latency.count).toBe(5);
      expect(stats.revisions.v2?.requests ?? 0).toBe(0);
      expect(stats.instances.b?.requests ?? 0).toBe(0);
    });

    it('answers pipelined requests in order, on one connection', async () => {
      const a = await upstream('a', (req, res) => {
        // The first one is the slowest: order must not follow completion.
        const delay = req.url === '/1' ? 60 : 0;
        setTimeout(() => res.end(`r${req.url}`), delay);
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      const three = ['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
      const text = await rawExchange(port, three, (t) => count(t, 'HTTP/1.1 200') === 3 && t.endsWith('r/3'));
      const bodies = text
        .split('HTTP/1.1 200')
        .slice(1)
        .map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
      expect(bodies).toEqual(['r/1', 'r/2', 'r/3']);
    });

    it('frames HEAD, 204 and 304 responses without a body and keeps the connection usable', async () => {
      const a = await upstream('a', (req, res) => {
        if (req.url === '/204') res.writeHead(204).end();
        else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end();
        else res.writeHead(200, { 'content-length': 5 }).end(req.method === 'HEAD' ? undefined : 'hello');
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      const one = new Agent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => one.destroy());
      const head = await send(port, '/h', { method: 'HEAD', agent: one });
      expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '5', '']);
      expect((await send(port, '/204', { agent: one })).status).toBe(204);
      const notModified = await send(port, '/304', { agent: one });
      expect([notModified.status, notModified.headers.etag]).toEqual([304, '"x"']);
      const last = await send(port, '/after', { agent: one });
      expect([last.status, last.body]).toEqual([200, 'hello']);
      expect(new Set([head.socket, notModified.socket, last.socket]).size).toBe(1);
    });

    it('passes a chunked response through and reuses both connections after it', async () => {
      const a = await upstream('a', (req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 100; i++) res.write(`${req.url}:${i};`);
        res.end();
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      const one = new Agent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => one.destroy());
      const expected = (p: string) => Array.from({ length: 100 }, (_, i) => `${p}:${i};`).join('');
      const first = await send(port, '/a', { agent: one });
      const second = await send(port, '/b', { agent: one });
      expect(first.headers['transfer-encoding']).toBe('chunked');
      expect([first.body, second.body]).toEqual([expected('/a'), expected('/b')]);
      expect(first.socket).toBe(second.socket);
      expect(a.sockets.size).toBe(1);
    });

    it('streams large bodies both ways, with Content-Length and chunked', async () => {
      const big = Buffer.alloc(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
      const a = await upstream('a', (req, res) => {
        if (req.url === '/length') res.writeHead(200, { 'content-length': big.length }).end(big);
        else if (req.url === '/chunked') {
          res.writeHead(200);
          for (let off = 0; off < big.length; off += 1 << 20) res.write(big.subarray(off, off + (1 << 20)));
          res.end();
        } else req.pipe(res);
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      for (const path of ['/length', '/chunked']) {
        const res = await get(path, { raw: true });
        expect(res.raw.length).toBe(big.length);
        expect(sha256(res.raw)).toBe(sha256(big));
      }
      const echoed = await get('/echo', { method: 'PUT', body: big, raw: true });
      expect(sha256(echoed.raw)).toBe(sha256(big));
    });

    it('honours Connection: close from the client, and from the upstream without closing the client', async () => {
      const a = await upstream('a', (req, res) => {
        if (req.url === '/bye') res.setHeader('connection', 'close');
        res.end(`a${req.url}`);
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      // The client asks: the response says so and the connection ends after it.
      const text = await rawExchange(
        port,
        'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        () => false,
      );
      expect(text.toLowerCase()).toContain('connection: close');
      expect(text.endsWith('a/x')).toBe(true);
      // The upstream says so: its connection is not reused, the client's stays open.
      const one = new Agent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => one.destroy());
      const bye = await send(port, '/bye', { agent: one });
      const next = await send(port, '/next', { agent: one });
      expect([bye.body, next.body]).toEqual(['a/bye', 'a/next']);
      expect(bye.headers.connection).not.toBe('close');
      expect(bye.socket).toBe(next.socket);
    });

    it('passes a response delimited by the upstream closing, then closes the client connection', async () => {
      const raw = await rawUpstream((socket) => {
        socket.once('data', () =>
          socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end'),
        );
      });
      plane.setRoutes(table([['v1', 1, [raw]]]));
      const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', () => false);
      expect(text.startsWith('HTTP/1.1 200')).toBe(true);
      expect(text.toLowerCase()).toContain('connection: close');
      expect(text.endsWith('\r\n\r\nuntil the end')).toBe(true);
    });

    it('does not fail a request when the upstream closed an idle keep-alive connection', async () => {
      const a = await upstream('a');
      a.server.keepAliveTimeout = 50;
      plane.setRoutes(table([['v1', 1, [a]]]));
      expect((await get('/')).status).toBe(200);
      await eventually(() => a.sockets.size === 0, 5_000);
      expect((await get('/')).status).toBe(200);
      // The race itself: the upstream closes a reused connection instead of answering on it.
      let served = 0;
      const racy = await rawUpstream((socket) => {
        let n = 0;
        socket.on('data', () => {
          if (++n === 2) return void socket.destroy();
          served++;
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        });
      });
      plane.setRoutes(table([['v2', 1, [racy]]]));
      for (let i = 0; i < 4; i++) {
        const res = await get(`/${i}`);
        expect([res.status, res.body]).toEqual([200, 'ok']);
      }
      expect(served).toBe(4);
      expect(plane.stats().total.responses['5xx']).toBe(0);
    });

    it('proxies requests that need the full HTTP machinery: Expect, chunked upload, HTTP/1.0', async () => {
      const a = await upstream('a', (req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(`${req.method} ${req.url} ${n} ${req.headers['x-forwarded-for']}`));
      });
      plane.setRoutes(table([['v1', 1, [a]]]));
      // All on one client connection, after a plain request.
      const one = new Agent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => one.destroy());
      const plain = await send(port, '/p', { agent: one });
      expect(plain.body).toBe('GET /p 0 127.0.0.1');
      const expect100 = await send(port, '/e', {
        agent: one,
        method: 'POST',
        body: 'abc',
        headers: { expect: '100-continue' },
      });
      expect(expect100.body).toBe('POST /e 3 127.0.0.1');
      const chunked = await send(port, '/c', {
        agent: one,
        method: 'POST',
        body: 'abcd',
        headers: { 'transfer-encoding': 'chunked' },
      });
      expect(chunked.body).toBe('POST /c 4 127.0.0.1');
      expect(new Set([plain.socket, expect100.socket, chunked.socket]).size).toBe(1);
      const old = await rawExchange(port, 'GET /old HTTP/1.0\r\nHost: x\r\n\r\n', () => false);
      expect(old.startsWith('HTTP/1.1 200') || old.startsWith('HTTP/1.0 200')).toBe(true);
      expect(old.endsWith('GET /old 0 127.0.0.1')).toBe(true);
    });

    it('answers 400 to a malformed request and closes the connection', async () => {
      const a = await upstream('a');
      plane.setRoutes(table([['v1', 1, [a]]]));
      const bad = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', () => false);
      expect(bad.startsWith('HTTP/1.1 400')).toBe(true);
      const smuggle = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde';
      expect((await rawExchange(port, smuggle, () => false)).startsWith('HTTP/1.1 400')).toBe(true);
      expect(plane.stats().instances.a?.requests ?? 0).toBe(0);
    });

    it('rejects listen() on a port in use with TANDEM_PORT_IN_USE, naming the port and tandem.yaml', async () => {
      const other = create();
      cleanups.push(() => other.close());
      const err = await other.listen(port, '127.0.0.1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'TandemError', code: 'TANDEM_PORT_IN_USE' });
      expect((err as Error).message).toContain(String(port));
      expect((err as Error).message).toContain('listen:');
      expect((err as Error).message).toContain('tandem.yaml');
    });

    // -- helpers that need the suite's cleanups ----------------------------------------------

    /** An instance whose port was just released: connecting to it is refused. */
    async function deadInstance(id: string): Promise<UpstreamInstance> {
      const server = createServer();
      await listen(server);
      const deadPort = portOf(server);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return { id, host: '127.0.0.1', port: deadPort };
    }

    /** An upstream speaking raw TCP (for behaviours node:http would not produce). */
    async function rawUpstream(onConnection: (socket: Socket) => void): Promise<UpstreamInstance> {
      const sockets = new Set<Socket>();
      const server = createNetServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        onConnection(socket);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      );
      return {
        id: `raw${(server.address() as { port: number }).port}`,
        host: '127.0.0.1',
        port: (server.address() as { port: number }).port,
      };
    }
  });
}

// ---------------------------------------------------------------------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Upstream extends UpstreamInstance {
  server: Server;
  sockets: Set<Duplex>;
}

interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  agent?: Agent;
  raw?: boolean;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
  socket: unknown;
}

function table(revisions: Array<[string, number, UpstreamInstance[]]>): RouteTable {
  return {
    revisions: revisions.map(([revision, weight, instances]) => ({
      revision,
      weight,
      instances: instances.map(({ id, host, port }) => ({ id, host, port })),
    })),
  };
}

function send(port: number, path: string, opts: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const socket = res.socket;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: opts.raw ? '' : raw.toString('utf8'),
            raw,
            socket,
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`request ${path} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function upgrade(port: number): Promise<{ socket: Socket; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws',
      headers: { connection: 'Upgrade', upgrade: 'tandem-test' },
    });
    req.setTimeout(10_000, () => req.destroy(new Error('upgrade timed out')));
    req.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      req.setTimeout(0);
      if (head.length > 0) socket.unshift(head);
      socket.on('error', () => undefined);
      resolve({ socket, response });
    });
    req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const expected = `echo:${text}`;
    let acc = '';
    const timer = setTimeout(() => done(new Error(`no echo for ${text}`)), 5_000);
    const onData = (chunk: Buffer) => {
      acc += chunk.toString();
      if (acc.length >= expected.length) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) reject(err);
      else resolve(acc);
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function portOf(server: Server): number {
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('server has no port');
  return addr.port;
}

function closeServer(server: Server, sockets: Set<Duplex>): Promise<void> {
  return new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/**
 * Writes `data` on a new connection and collects what comes back until `done(text)` or the
 * connection closes (10 s at most).
 */
function rawExchange(port: number, data: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(
      () => finish(new Error(`no complete answer to ${JSON.stringify(data.slice(0, 40))}: ${text}`)),
      10_000,
    );
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (done(text)) finish();
    });
    socket.on('end', () => finish());
    socket.on('error', (err) => finish(err));
    socket.write(data, 'latin1');
  });
}

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}
