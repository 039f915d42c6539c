import { describe, expect, it } from 'vitest';
import {
  HEAD_AGAIN,
  HEAD_FALLBACK,
  HEAD_OK,
  parseRequestHead,
  parseResponseHead,
  RequestHead,
  ResponseHead,
} from './http1-head.js';

/** A head as the fast path passes it: up to the CRLF of the last header line. */
const head = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

function request(s: string): { r: number; h: RequestHead } {
  const h = new RequestHead();
  let r = parseRequestHead(s, h, null);
  if (r === HEAD_AGAIN) r = parseRequestHead(s, h, h.listed);
  return { r, h };
}

function response(s: string): { r: number; h: ResponseHead } {
  const h = new ResponseHead();
  let r = parseResponseHead(s, h, null);
  if (r === HEAD_AGAIN) r = parseResponseHead(s, h, h.listed);
  return { r, h };
}

describe('parseRequestHead', () => {
  it('passes a plain request through as it is', () => {
    const s = head('GET /a?b=1 HTTP/1.1', 'Host: example.com:8080', 'Accept: */*');
    const { r, h } = request(s);
    expect(r).toBe(HEAD_OK);
    expect(h.out).toBe(s);
    expect([h.method, h.host, h.contentLength, h.close, h.requestId, h.forwardedFor]).toEqual([
      'GET',
      'example.com:8080',
      0,
      false,
      '',
      '',
    ]);
  });

  it('drops hop-by-hop and forwarding headers, whatever their case, and collects what it needs', () => {
    const s = head(
      'POST /p HTTP/1.1',
      'HOST: h',
      'Connection: keep-alive, X-Hop, close',
      'x-hop: 1',
      'Keep-Alive: timeout=5',
      'X-Forwarded-For: 10.0.0.1',
      'x-forwarded-for: 10.0.0.2',
      'X-Forwarded-Proto: https',
      'X-Request-Id: abc',
      'Content-Length: 12',
      'X-Kept: yes',
    );
    const { r, h } = request(s);
    expect(r).toBe(HEAD_OK);
    expect(h.out).toBe(head('POST /p HTTP/1.1', 'HOST: h', 'Content-Length: 12', 'X-Kept: yes'));
    expect([h.close, h.contentLength, h.requestId, h.forwardedFor]).toEqual([
      true,
      12,
      'abc',
      '10.0.0.1, 10.0.0.2',
    ]);
  });

  it('forgets a request id given twice', () => {
    expect(request(head('GET / HTTP/1.1', 'Host: h', 'X-Request-Id: a', 'X-Request-Id: b')).h.requestId).toBe(
      '',
    );
  });

  it.each([
    ['HTTP/1.0', head('GET / HTTP/1.0', 'Host: h')],
    ['an unknown method', head('PROPFIND / HTTP/1.1', 'Host: h')],
    ['a chunked body', head('POST / HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked')],
    ['Upgrade', head('GET / HTTP/1.1', 'Host: h', 'Upgrade: websocket', 'Connection: Upgrade')],
    ['Connection: upgrade alone', head('GET / HTTP/1.1', 'Host: h', 'Connection: upgrade')],
    ['Expect', head('POST / HTTP/1.1', 'Host: h', 'Expect: 100-continue', 'Content-Length: 1')],
    ['two Content-Lengths', head('POST / HTTP/1.1', 'Host: h', 'Content-Length: 1', 'Content-Length: 1')],
    ['a non-numeric Content-Length', head('POST / HTTP/1.1', 'Host: h', 'Content-Length: 1x')],
    ['no Host', head('GET / HTTP/1.1', 'Accept: */*')],
    ['two Hosts', head('GET / HTTP/1.1', 'Host: a', 'Host: b')],
    ['obsolete line folding', head('GET / HTTP/1.1', 'Host: h', 'X-A: 1', ' folded')],
    ['a space before the colon', head('GET / HTTP/1.1', 'Host : h')],
    ['a bare LF', 'GET / HTTP/1.1\r\nHost: h\nX-Smuggled: 1\r\n'],
    ['a bare CR', 'GET / HTTP/1.1\r\nHost: h\rX: 1\r\n'],
    ['a control character in the target', head('GET /\x01 HTTP/1.1', 'Host: h')],
    ['two spaces in the request line', head('GET  / HTTP/1.1', 'Host: h')],
  ])('leaves %s to node:http', (_what, s) => {
    expect(request(s).r).toBe(HEAD_FALLBACK);
  });
});

/** The bytes a parsed response head keeps. */
function kept(s: string, h: ResponseHead): string {
  let out = '';
  for (let i = 0; i < h.keep.length; i += 2) out += s.slice(h.keep[i], h.keep[i + 1]);
  return out;
}

describe('parseResponseHead', () => {
  it('keeps end-to-end headers (Transfer-Encoding too) and drops hop-by-hop ones and X-Request-Id', () => {
    const s = head(
      'HTTP/1.1 200 OK',
      'Content-Type: text/plain',
      'Connection: keep-alive, X-Private',
      'X-Private: 1',
      'Keep-Alive: timeout=5',
      'X-Request-Id: upstream-own',
      'Transfer-Encoding: chunked',
    );
    const { r, h } = response(s);
    expect(r).toBe(HEAD_OK);
    expect(kept(s, h)).toBe(
      head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Transfer-Encoding: chunked'),
    );
    expect(h.keepBytes).toBe(kept(s, h).length);
    expect([h.status, h.chunked, h.contentLength, h.keepAlive]).toEqual([200, true, -1, true]);
  });

  it('keeps a head with nothing to drop whole', () => {
    const s = head('HTTP/1.1 200 OK', 'Content-Length: 2', 'Date: x');
    const { h } = response(s);
    expect(h.keep).toEqual([0, s.length]);
    expect(h.keepBytes).toBe(s.length);
  });

  it('tells whether the upstream connection can be reused', () => {
    expect(response(head('HTTP/1.1 204 No Content', 'Connection: close')).h.keepAlive).toBe(false);
    expect(response(head('HTTP/1.0 200 OK', 'Content-Length: 0')).h.keepAlive).toBe(false);
    expect(response(head('HTTP/1.0 200 OK', 'Connection: keep-alive', 'Content-Length: 0')).h.keepAlive).toBe(
      true,
    );
    expect(response(head('HTTP/1.1 200', 'Content-Length: 7')).h).toMatchObject({
      status: 200,
      contentLength: 7,
    });
  });

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      head('HTTP/1.1 200 OK', 'Content-Length: 3', 'Transfer-Encoding: chunked'),
    ],
    ['two different Content-Lengths', head('HTTP/1.1 200 OK', 'Content-Length: 3', 'Content-Length: 4')],
    ['a bad status', head('HTTP/1.1 2x0 OK', 'Content-Length: 0')],
    ['HTTP/2 in the status line', head('HTTP/2.0 200 OK')],
    ['a bare LF', 'HTTP/1.1 200 OK\r\nContent-Length: 0\nX: 1\r\n'],
  ])('refuses %s', (_what, s) => {
    expect(response(s).r).toBe(HEAD_FALLBACK);
  });
});
