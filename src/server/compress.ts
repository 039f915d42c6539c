/**
 * gzip for large JSON answers. The overview of 1,000 services is 750 KiB of JSON, ≈ 60 KiB
 * gzipped: nothing on loopback, seconds on a slow link to a remote dashboard. Level 1 (a few
 * ms for that answer, on the thread pool) because the data is repetitive enough that higher
 * levels gain little; small answers go as they are (gzip would cost more than it saves).
 */
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Answers smaller than this are sent as they are. */
export const COMPRESS_MIN_BYTES = 16 * 1024;

/** Whether the client accepts gzip (`Accept-Encoding: gzip`, not `gzip;q=0`). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The body to send and its headers: gzipped when it is large and the client takes gzip. */
export async function encodeBody(
  text: string,
  acceptEncoding: string | string[] | undefined,
): Promise<{ body: string | Buffer; headers: Record<string, string | number> }> {
  const bytes = Buffer.byteLength(text);
  if (bytes < COMPRESS_MIN_BYTES || !acceptsGzip(acceptEncoding)) {
    return { body: text, headers: { 'content-length': bytes, vary: 'accept-encoding' } };
  }
  const body = await gzipAsync(text, { level: constants.Z_BEST_SPEED });
  return {
    body,
    headers: { 'content-length': body.length, 'content-encoding': 'gzip', vary: 'accept-encoding' },
  };
}
