import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickFreePort } from './free-port.js';
import { probe } from './health-check.js';
import type { HealthCheck } from './types.js';

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok') res.end('fine');
    else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
    else if (req.url === '/stream')
      res.write('never ends'); // headers and a first chunk, no end
    else if (req.url === '/hang')
      return; // no answer at all
    else res.writeHead(500).end('broken');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const http_ = (path: string, timeoutMs = 2_000): HealthCheck => ({
  kind: 'http',
  path,
  intervalMs: 1_000,
  timeoutMs,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
});
const tcp: HealthCheck = {
  kind: 'tcp',
  intervalMs: 1_000,
  timeoutMs: 2_000,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

describe('health probe', () => {
  it('passes on 2xx and 3xx, fails on 5xx with the status as the reason', async () => {
    expect(await probe(http_('/ok'), port)).toEqual({ ok: true, detail: 'HTTP 200' });
    expect((await probe(http_('/moved'), port)).ok).toBe(true);
    expect(await probe(http_('/boom'), port)).toEqual({ ok: false, detail: 'HTTP 500 from GET /boom' });
  });

  it('passes on the status line of a body that never ends, fails on no answer within the timeout', async () => {
    expect((await probe(http_('/stream', 300), port)).ok).toBe(true);
    expect(await probe(http_('/hang', 200), port)).toEqual({ ok: false, detail: 'no response within 200ms' });
  });

  it('fails when nothing listens, over HTTP and TCP; TCP passes when something does', async () => {
    const closed = await pickFreePort();
    expect((await probe(http_('/ok'), closed)).ok).toBe(false);
    expect((await probe(tcp, closed)).ok).toBe(false);
    expect(await probe(tcp, port)).toEqual({ ok: true, detail: 'connected' });
  });

  it('never hands out the same free port twice in a row, nor one to avoid', async () => {
    const a = await pickFreePort();
    const b = await pickFreePort(new Set([a + 1]));
    expect(b).not.toBe(a);
    expect(b).not.toBe(a + 1);
  });
});
