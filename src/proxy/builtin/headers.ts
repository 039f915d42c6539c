/**
 * Header handling of the builtin data plane: hop-by-hop headers, the request id, the headers sent
 * upstream (X-Forwarded-*, X-Request-Id) and back to the client, the raw head of a proxied Upgrade
 * request, and the raw replies written on an upgrade socket. No JSON, no regexes: this is the hot path.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Not passed upstream either: the listener already answered `Expect: 100-continue` itself. */
const REQUEST_DROP = new Set([...HOP_BY_HOP, 'expect']);

/** A request id we pass on as it is: 1-128 characters of [A-Za-z0-9._:-]. */
export function isSaneRequestId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) || // 0-9 and ':'
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 45 || // -
      c === 46 || // .
      c === 95; // _
    if (!ok) return false;
  }
  return true;
}

export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && isSaneRequestId(given) ? given : randomUUID();
}

/** Names listed in a Connection header (other than keep-alive/close/upgrade) are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | null {
  const value = headers.connection;
  if (value === undefined || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive')
    return null;
  let extra: Set<string> | null = null;
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '' || token === 'keep-alive' || token === 'close' || token === 'upgrade') continue;
    extra ??= new Set();
    extra.add(token);
  }
  return extra;
}

export function upstreamHeaders(req: IncomingMessage, requestId: string, proto: string): OutgoingHttpHeaders {
  const src = req.headers;
  const extra = connectionListed(src);
  const out: OutgoingHttpHeaders = {};
  for (const name in src) {
    if (REQUEST_DROP.has(name) || extra?.has(name)) continue;
    out[name] = src[name];
  }
  const remote = req.socket.remoteAddress ?? '';
  const xff = src['x-forwarded-for'];
  out['x-forwarded-for'] = xff === undefined || xff === '' ? remote : `${xff}, ${remote}`;
  out['x-forwarded-proto'] = proto;
  if (src.host !== undefined) out['x-forwarded-host'] = src.host;
  out['x-request-id'] = requestId;
  return out;
}

/** Flat [name, value, ...] list of the upstream response's end-to-end headers. */
export function responseHeaders(ures: IncomingMessage, requestId: string): string[] {
  const raw = ures.rawHeaders;
  const extra = connectionListed(ures.headers);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'x-request-id' || extra?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  out.push('x-request-id', requestId);
  return out;
}

export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const len = h['content-length'];
  return len !== undefined && len !== '0';
}

export function upgradeHead(req: IncomingMessage, requestId: string, proto: string): string {
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let xff = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-request-id' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') continue;
    if (lower === 'x-forwarded-for') {
      xff = xff === '' ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
      continue;
    }
    head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  const remote = req.socket.remoteAddress ?? '';
  head += `X-Forwarded-For: ${xff === '' ? remote : `${xff}, ${remote}`}\r\n`;
  head += `X-Forwarded-Proto: ${proto}\r\n`;
  if (req.headers.host !== undefined) head += `X-Forwarded-Host: ${req.headers.host}\r\n`;
  head += `X-Request-Id: ${requestId}\r\n\r\n`;
  return head;
}

export function rawReply(status: number, body: string, requestId: string): string {
  const reason = status === 502 ? 'Bad Gateway' : 'Service Unavailable';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}
