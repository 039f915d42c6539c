/**
 * One scrape of an instance's application metrics (`metrics: {path}` in tandem.yaml): an HTTP GET
 * with a deadline and a body size cap, parsed as the Prometheus text format and flattened to
 * AppPoints. Total: a failing, slow, huge or malformed endpoint comes back as a result to report,
 * never as a throw, since one broken instance must not stop the collection of the others.
 */
import { type IncomingMessage, request } from 'node:http';
import type { AppPoint } from '../metrics/types.js';
import { type ParseError, parsePrometheusText } from '../prometheus/index.js';
import { flattenFamilies } from './flatten.js';

export const DEFAULT_SCRAPE_MAX_BYTES = 1024 * 1024;
export const DEFAULT_SCRAPE_MAX_SERIES = 500;

export interface ScrapeOptions {
  host: string;
  port: number;
  /** e.g. `/metrics` */
  path: string;
  /** The whole exchange, connect to last byte. */
  timeoutMs: number;
  /** Body size cap (default 1 MiB): a bigger body fails the scrape. */
  maxBytes?: number;
  /** Series kept per scrape (default 500); the rest is dropped and reported in `errors`. */
  maxSeries?: number;
  signal?: AbortSignal;
}

export type ScrapeResult =
  | {
      ok: true;
      points: AppPoint[];
      /** Malformed lines (skipped, the rest was kept) and the series over the cap. */
      errors: ParseError[];
      /** Size of the body read. */
      bytes: number;
    }
  | { ok: false; error: string };

export async function scrapeInstance(opts: ScrapeOptions): Promise<ScrapeResult> {
  const maxSeries = opts.maxSeries ?? DEFAULT_SCRAPE_MAX_SERIES;
  const fetched = await fetchBody(opts);
  if (!fetched.ok) return fetched;
  const parsed = parsePrometheusText(fetched.body.toString('utf8'));
  const flat = flattenFamilies(parsed.families, maxSeries);
  const errors = [...parsed.errors];
  if (flat.dropped > 0) {
    errors.push({
      line: 0,
      message: `${flat.dropped} series over the limit of ${maxSeries} per instance were dropped; expose fewer label combinations`,
    });
  }
  if (flat.duplicates > 0) {
    errors.push({
      line: 0,
      message: `${flat.duplicates} series were exposed more than once (same name and labels); the first of each was kept`,
    });
  }
  return { ok: true, points: flat.points, errors, bytes: fetched.body.length };
}

type Fetched = { ok: true; body: Buffer } | { ok: false; error: string };

function fetchBody(opts: ScrapeOptions): Promise<Fetched> {
  const maxBytes = opts.maxBytes ?? DEFAULT_SCRAPE_MAX_BYTES;
  const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
  const what = `GET http://${opts.host}:${opts.port}${path}`;

  return new Promise<Fetched>((resolve) => {
    let settled = false;
    const finish = (result: Fetched): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!result.ok) req.destroy();
      resolve(result);
    };
    const fail = (error: string) => finish({ ok: false, error: `${what}: ${error}` });
    const onAbort = () => fail('scrape cancelled');

    const req = request({
      host: opts.host,
      port: opts.port,
      path,
      method: 'GET',
      agent: false,
      headers: {
        accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
        'accept-encoding': 'identity',
      },
    });
    // First, so that no error of a request destroyed early goes unhandled.
    req.on('error', (err: NodeJS.ErrnoException) => fail(describeError(err)));
    const timer = setTimeout(() => fail(`no complete answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        fail(`answered HTTP ${status}; the instance's metrics.path must answer 200 with Prometheus text`);
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail(tooBig(maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          fail(tooBig(maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
      res.on('error', (err: NodeJS.ErrnoException) => fail(describeError(err)));
      // Closed before 'end': the server went away mid-body.
      res.on('close', () => {
        if (!res.complete) fail('the connection closed before the whole body arrived');
      });
    });
    req.end();
  });
}

function tooBig(maxBytes: number): string {
  return `the body is over the limit of ${maxBytes} bytes; expose fewer series`;
}

function describeError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused (is the instance listening on its PORT?)';
  if (err.code === 'ECONNRESET') return 'connection reset by the instance';
  return err.code === undefined ? err.message : `${err.message} (${err.code})`;
}
