import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createStaticSite } from '../../src/server/static.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const out = mkdtempSync(path.join(os.tmpdir(), 'tandem-web-build-'));
let server: Server | undefined;

afterAll(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  }
  rmSync(out, { recursive: true, force: true });
});

/** What the issue asks to report, and a budget so the dashboard stays small. */
const GZIP_BUDGET_BYTES = 60 * 1024;

describe('scripts/build-web.mjs (real esbuild, real HTTP)', () => {
  it('writes hashed assets and an index.html that loads them, all served from the package', async () => {
    const { stdout } = await run(process.execPath, ['scripts/build-web.mjs', '--outdir', out, '--json'], {
      cwd: repo,
      timeout: 60_000,
    });
    const report = JSON.parse(stdout) as {
      files: Array<{ file: string; bytes: number; gzipBytes: number }>;
      total: { bytes: number; gzipBytes: number };
    };
    const assets = readdirSync(path.join(out, 'assets')).sort();
    expect(assets).toHaveLength(2);
    expect(assets[0]).toMatch(/^app-[A-Z0-9]{8}\.js$/);
    expect(assets[1]).toMatch(/^styles-[A-Z0-9]{8}\.css$/);
    expect(report.files.map((f) => f.file).sort()).toEqual([
      `assets/${assets[0]}`,
      `assets/${assets[1]}`,
      'index.html',
    ]);
    expect(report.total.gzipBytes).toBeGreaterThan(0);
    expect(report.total.gzipBytes).toBeLessThan(report.total.bytes);
    expect(report.total.gzipBytes).toBeLessThan(GZIP_BUDGET_BYTES);

    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain(`<script type="module" src="/assets/${assets[0]}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/assets/${assets[1]}">`);
    // No network: nothing the page loads comes from another origin (no CDN, no web fonts).
    const css = readFileSync(path.join(out, 'assets', assets[1] as string), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(css).not.toMatch(/@import|url\((?!data:)/);

    const site = createStaticSite({ root: out });
    server = createServer((req, res) => {
      void site.handle(req, res).then((ok) => {
        if (!ok) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const page = await fetch(`${base}/services/web`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(html);
    for (const a of assets) {
      const res = await fetch(`${base}/assets/${a}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect((await res.arrayBuffer()).byteLength).toBe(
        report.files.find((f) => f.file === `assets/${a}`)?.bytes,
      );
    }
  });
});
