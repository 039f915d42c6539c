import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createApiServer } from './api-server.js';
import { acceptsGzip, COMPRESS_MIN_BYTES, encodeBody } from './compress.js';

describe('gzip of large JSON answers', () => {
  it('reads Accept-Encoding, q=0 included', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('gzips only what is large, and only for a client that takes it', async () => {
    const small = await encodeBody('{"ok":true}', 'gzip');
    expect(small.headers).toEqual({ 'content-length': 11, vary: 'accept-encoding' });
    const text = JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ service: `svc-${i}` })) });
    expect(text.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    const big = await encodeBody(text, 'gzip');
    expect(big.headers['content-encoding']).toBe('gzip');
    expect(big.headers['content-length']).toBeLessThan(text.length / 5);
    expect(gunzipSync(big.body as Buffer).toString('utf8')).toBe(text);
    expect((await encodeBody(text, undefined)).body).toBe(text);
  });

  it('the API answers the OpenAPI document gzipped to a client that asks (real HTTP)', async () => {
    const server = createApiServer({ plane: {} as never, onShutdown: () => {} });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (headers: Record<string, string>) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/api/v1/openapi.json', headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      });
    try {
      const zipped = await get({ 'accept-encoding': 'gzip' });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toBe('accept-encoding');
      const doc = JSON.parse(gunzipSync(zipped.body).toString('utf8')) as { openapi: string };
      expect(doc.openapi).toMatch(/^3\./);
      const plain = await get({});
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(plain.body.toString('utf8'))).toEqual(doc);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
