import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticSite, defaultWebRoot } from './static.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'tandem-static-'));
const root = path.join(base, 'web');
const JS = `console.info(${JSON.stringify('x'.repeat(4000))});\n`;
const INDEX =
  '<!doctype html><title>Tandem</title><script type="module" src="/assets/app-AB12CD34.js"></script>';
let server: Server;
let port: number;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request: the path is sent as written (fetch would normalise `..` away). */
function get(
  pathname: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: pathname, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), INDEX);
  writeFileSync(path.join(root, 'assets', 'app-AB12CD34.js'), JS);
  writeFileSync(path.join(root, 'assets', 'styles-EF56.css'), 'body{color:red}');
  writeFileSync(path.join(root, 'secret.txt'), 'root secret');
  writeFileSync(path.join(base, 'secret.txt'), 'outside secret');
  const site = createStaticSite({ root });
  server = createServer((req, res) => {
    void site.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end('for the API');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(base, { recursive: true, force: true });
});

describe('the dashboard static handler (real HTTP on 127.0.0.1)', () => {
  it('answers / and every app route with index.html, never cached, with a strict CSP', async () => {
    for (const p of ['/', '/pipelines/run-1?job=test', '/services/web?environment=production', '/login']) {
      const a = await get(p);
      expect(a.status, p).toBe(200);
      expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(a.headers['cache-control']).toBe('no-cache');
      expect(a.headers['content-security-policy']).toContain("script-src 'self'");
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.body.toString()).toBe(INDEX);
    }
    const first = await get('/');
    const again = await get('/', { headers: { 'if-none-match': first.headers.etag as string } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('serves hashed assets for a year, gzipped when asked, with the right types', async () => {
    const plain = await get('/assets/app-AB12CD34.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(JS);
    expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(JS));

    const gz = await get('/assets/app-AB12CD34.js', { headers: { 'accept-encoding': 'br, gzip;q=0.8' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(gz.body.length).toBeLessThan(Buffer.byteLength(JS) / 4);
    expect(gunzipSync(gz.body).toString()).toBe(JS);
    const refused = await get('/assets/app-AB12CD34.js', { headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();

    const css = await get('/assets/styles-EF56.css', { headers: { 'accept-encoding': 'gzip' } });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    // Too small to be worth compressing.
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.body.toString()).toBe('body{color:red}');

    const head = await get('/assets/app-AB12CD34.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(JS)));
    expect(head.body.length).toBe(0);
  });

  it('answers 404 for a missing asset or a file-like path, not the app', async () => {
    for (const p of ['/assets/app-MISSING.js', '/favicon.ico', '/robots.txt', '/secret.txt']) {
      const a = await get(p);
      expect(a.status, p).toBe(404);
      expect(a.body.toString()).not.toContain('<!doctype html>');
    }
  });

  it('never reads a file outside the assets directory', async () => {
    const attempts = [
      '/assets/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/..%5csecret.txt',
      '/assets/%2fetc%2fpasswd',
      '/assets/.%2e/index.html',
      '/assets/app-AB12CD34.js%00.css',
      '/%2e%2e/secret.txt',
      '/assets/%E0%A4%A',
    ];
    for (const p of attempts) {
      const a = await get(p);
      const text = a.body.toString();
      expect(text, p).not.toContain('secret');
      expect(text, p).not.toContain('root:');
      expect([400, 404, 200]).toContain(a.status);
      // A 200 can only be the app itself (a path that normalised to an app route).
      if (a.status === 200) expect(text, p).toBe(INDEX);
    }
  });

  it('leaves API paths and other methods to the API server', async () => {
    for (const p of ['/api/v1/overview', '/api', '/v1/status', '/metrics'])
      expect((await get(p)).status, p).toBe(418);
    expect((await get('/', { method: 'POST' })).status).toBe(418);
    expect((await get('/assets/app-AB12CD34.js', { method: 'DELETE' })).status).toBe(418);
  });

  it('picks up a new build at once, and says when there is none', async () => {
    writeFileSync(path.join(root, 'index.html'), `${INDEX}<!-- rebuilt, longer -->`);
    expect((await get('/')).body.toString()).toContain('rebuilt');
    rmSync(path.join(root, 'index.html'));
    const none = await get('/services/web');
    expect(none.status).toBe(503);
    expect(none.body.toString()).toContain('npm run build');
    writeFileSync(path.join(root, 'index.html'), INDEX);
    expect((await get('/')).status).toBe(200);
  });

  it('finds dist/web next to the bundled CLI', () => {
    const bundled = `file://${path.join(base, 'dist', 'cli', 'tandem.cjs')}`;
    expect(defaultWebRoot(bundled)).toBe(path.join(base, 'dist', 'web'));
  });
});
