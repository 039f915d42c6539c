/**
 * Serves the built dashboard (dist/web, from scripts/build-web.mjs): `/assets/*` are content-hashed
 * and cached for a year; every other dashboard path is the single-page app's index.html (never
 * cached, so a new build is picked up at once). API paths are left to the API server. A request
 * can only ever read a file directly inside the assets directory or index.html.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { logger } from '../log/logger.js';

export interface StaticSiteOptions {
  /** The built dashboard: a directory with index.html and assets/. */
  root: string;
}

export interface StaticSite {
  /**
   * Answers a GET or HEAD of `/`, an SPA route or `/assets/*` and resolves true; resolves false,
   * having written nothing, for anything else (API paths, other methods) so the caller routes it.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.json', '.map', '.svg', '.txt']);
/** Below this, gzip's framing costs more than it saves. */
const GZIP_MIN_BYTES = 1024;
/** An asset name as the build writes them (`app-5KJ2M3XQ.js`): no separators, no leading dot. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Paths the API server owns. */
const NOT_OURS = /^\/(api|v1|metrics)(\/|$)/;

/** The page may only load what the server itself serves: no CDN, no inline script. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Cached {
  key: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

/** Each distinct build's files at most once in memory; the count bounds repeated rebuilds. */
const MAX_CACHED = 64;

export function createStaticSite(opts: StaticSiteOptions): StaticSite {
  const root = path.resolve(opts.root);
  const assetsDir = path.join(root, 'assets');
  const indexFile = path.join(root, 'index.html');
  const cache = new Map<string, Cached>();

  /** The file's bytes (and gzip), re-read when its size or mtime changes; undefined if missing. */
  async function load(file: string, compressible: boolean): Promise<Cached | undefined> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger().warn({ err, file }, 'dashboard file');
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = cache.get(file);
    if (hit !== undefined && hit.key === key) return hit;
    const body = await readFile(file);
    const entry: Cached = {
      key,
      body,
      gzip: compressible && body.length >= GZIP_MIN_BYTES ? gzipSync(body) : null,
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
    };
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(file, entry);
    return entry;
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    file: Cached,
    headers: Record<string, string>,
    compressible: boolean,
  ): void {
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, { etag: file.etag, 'cache-control': headers['cache-control'] ?? 'no-cache' });
      res.end();
      return;
    }
    const gzip = file.gzip !== null && acceptsGzip(req.headers['accept-encoding']);
    const body = gzip ? (file.gzip as Buffer) : file.body;
    res.writeHead(200, {
      ...headers,
      etag: file.etag,
      'content-length': String(body.length),
      ...(compressible ? { vary: 'accept-encoding' } : {}),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function plain(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  return {
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const pathname = pathOf(req.url);
      if (pathname === undefined) {
        plain(req, res, 400, 'bad path');
        return true;
      }
      if (NOT_OURS.test(pathname)) return false;

      if (pathname.startsWith('/assets/')) {
        const name = pathname.slice('/assets/'.length);
        const file = path.join(assetsDir, name);
        // The name pattern already rules out separators and `..`; the prefix check says so twice.
        if (!ASSET_NAME.test(name) || path.dirname(file) !== assetsDir) {
          plain(req, res, 404, 'no such asset');
          return true;
        }
        const ext = path.extname(name).toLowerCase();
        const compressible = COMPRESSIBLE.has(ext);
        const cached = await load(file, compressible);
        if (cached === undefined) {
          plain(req, res, 404, 'no such asset');
          return true;
        }
        send(
          req,
          res,
          cached,
          {
            'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
            'cache-control': 'public, max-age=31536000, immutable',
            'x-content-type-options': 'nosniff',
          },
          compressible,
        );
        return true;
      }

      // A file-like path outside /assets (favicon.ico, robots.txt) is not an app route.
      if (path.posix.extname(pathname) !== '') {
        plain(req, res, 404, 'not found');
        return true;
      }
      const index = await load(indexFile, true);
      if (index === undefined) {
        plain(
          req,
          res,
          503,
          `The dashboard is not built (no ${indexFile}). Run \`npm run build\` and reload this page.`,
        );
        return true;
      }
      send(
        req,
        res,
        index,
        { 'content-type': CONTENT_TYPES['.html'] as string, 'cache-control': 'no-cache', ...PAGE_HEADERS },
        true,
      );
      return true;
    },
  };
}

/** Where the built dashboard is: next to the bundled CLI (dist/cli → dist/web), or dist/web from src. */
export function defaultWebRoot(moduleUrl: string = import.meta.url): string {
  const here = path.dirname(fileURLToPath(moduleUrl));
  const candidates = [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')];
  return candidates.find((c) => existsSync(path.join(c, 'index.html'))) ?? (candidates[0] as string);
}

/** The decoded path of a request URL; undefined when it cannot be decoded or holds a NUL. */
function pathOf(url: string | undefined): string | undefined {
  const raw = (url ?? '/').split('?')[0]?.split('#')[0] ?? '/';
  try {
    const decoded = decodeURIComponent(raw);
    return decoded.includes('\0') || !decoded.startsWith('/') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
