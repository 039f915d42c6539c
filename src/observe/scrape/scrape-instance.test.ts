import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { scrapeInstance } from './scrape-instance.js';

const EXPOSITION = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="get",code="200"} 1027
http_requests_total{method="post",code="500"} 3
# TYPE queue_depth gauge
queue_depth 7
build_info{version="1.2.3"} 1
# TYPE request_seconds histogram
request_seconds_bucket{le="0.1"} 10
request_seconds_bucket{le="+Inf"} 12
request_seconds_sum 1.5
request_seconds_count 12
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.2
rpc_seconds{quantile="0.99"} NaN
rpc_seconds_sum 40
rpc_seconds_count 100
`;

const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push({ server, sockets });
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on: bound then released. */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const base = { host: '127.0.0.1', path: '/metrics', timeoutMs: 5_000 };

describe('scrapeInstance against a real HTTP server', () => {
  it('flattens a valid exposition into typed points', async () => {
    let seenPath = '';
    const port = await serve((req, res) => {
      seenPath = req.url ?? '';
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(EXPOSITION);
    });
    const r = await scrapeInstance({ ...base, port });
    expect(seenPath).toBe('/metrics');
    if (!r.ok) throw new Error(r.error);
    expect(r.errors).toEqual([]);
    expect(r.bytes).toBe(Buffer.byteLength(EXPOSITION));
    expect(r.points).toEqual([
      { name: 'http_requests_total', labels: { method: 'get', code: '200' }, kind: 'counter', value: 1027 },
      { name: 'http_requests_total', labels: { method: 'post', code: '500' }, kind: 'counter', value: 3 },
      { name: 'queue_depth', labels: {}, kind: 'gauge', value: 7 },
      { name: 'build_info', labels: { version: '1.2.3' }, kind: 'gauge', value: 1 },
      { name: 'request_seconds_bucket', labels: { le: '0.1' }, kind: 'counter', value: 10 },
      { name: 'request_seconds_bucket', labels: { le: '+Inf' }, kind: 'counter', value: 12 },
      { name: 'request_seconds_sum', labels: {}, kind: 'counter', value: 1.5 },
      { name: 'request_seconds_count', labels: {}, kind: 'counter', value: 12 },
      { name: 'rpc_seconds', labels: { quantile: '0.5' }, kind: 'gauge', value: 0.2 },
      { name: 'rpc_seconds_sum', labels: {}, kind: 'counter', value: 40 },
      { name: 'rpc_seconds_count', labels: {}, kind: 'counter', value: 100 },
    ]);
  });

  it('keeps the good lines of a malformed exposition and reports the bad ones with their line', async () => {
    const port = await serve((_req, res) => res.end('good 1\nbad{ 2\nalso_good 3\n}}} nonsense\n'));
    const r = await scrapeInstance({ ...base, port });
    if (!r.ok) throw new Error(r.error);
    expect(r.points.map((p) => p.name)).toEqual(['good', 'also_good']);
    expect(r.errors.map((e) => e.line)).toEqual([2, 4]);
  });

  it('caps the series and reports the overflow and the duplicates', async () => {
    const body = `${Array.from({ length: 10 }, (_, i) => `m{i="${i}"} ${i}`).join('\n')}\nm{i="0"} 99\n`;
    const port = await serve((_req, res) => res.end(body));
    const r = await scrapeInstance({ ...base, port, maxSeries: 4 });
    if (!r.ok) throw new Error(r.error);
    expect(r.points.map((p) => p.value)).toEqual([0, 1, 2, 3]);
    expect(r.errors.map((e) => e.message).join('\n')).toMatch(/6 series over the limit of 4/);
    expect(r.errors.map((e) => e.message).join('\n')).toMatch(/1 series were exposed more than once/);
  });

  it('reports a non-2xx answer', async () => {
    const port = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('not found');
    });
    const r = await scrapeInstance({ ...base, port });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/\/metrics: answered HTTP 404/) });
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    const port = await serve(() => {}); // never answers
    const r = await scrapeInstance({ ...base, port, timeoutMs: 200 });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/no complete answer within 200 ms/) });
  });

  it('gives up on a body that trickles past the deadline', async () => {
    const port = await serve((_req, res) => {
      res.write('partial 1\n'); // and never ends
    });
    const r = await scrapeInstance({ ...base, port, timeoutMs: 200 });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/no complete answer within 200 ms/) });
  });

  it('refuses a body over the cap, declared or streamed', async () => {
    const big = `${'x 1\n'.repeat(1000)}`;
    const declared = await serve((_req, res) => res.end(big));
    const r1 = await scrapeInstance({ ...base, port: declared, maxBytes: 1000 });
    expect(r1).toEqual({ ok: false, error: expect.stringMatching(/over the limit of 1000 bytes/) });

    const chunked = await serve((_req, res) => {
      for (let i = 0; i < 10; i++) res.write('x 1\n'.repeat(100));
      res.end();
    });
    const r2 = await scrapeInstance({ ...base, port: chunked, maxBytes: 1000 });
    expect(r2).toEqual({ ok: false, error: expect.stringMatching(/over the limit of 1000 bytes/) });
  });

  it('reports a refused connection', async () => {
    const r = await scrapeInstance({ ...base, port: await closedPort() });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/connection refused/) });
  });

  it('reports a connection closed mid-body', async () => {
    const port = await serve((_req, res) => {
      res.setHeader('content-length', '1000');
      res.write('x 1\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const r = await scrapeInstance({ ...base, port });
    expect(r.ok).toBe(false);
  });

  it('stops when its signal aborts', async () => {
    const port = await serve(() => {});
    const controller = new AbortController();
    const pending = scrapeInstance({ ...base, port, timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toEqual({ ok: false, error: expect.stringMatching(/cancelled/) });
  });
});

describe('scrapeInstance with a signal already aborted', () => {
  it('does not connect and reports the cancellation', async () => {
    let hits = 0;
    const port = await serve((_req, res) => {
      hits++;
      res.end('x 1\n');
    });
    const r = await scrapeInstance({ ...base, port, signal: AbortSignal.abort() });
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/cancelled/) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hits).toBe(0);
  });
});
