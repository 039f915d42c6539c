import { describe, expect, it } from 'vitest';
import { CHUNKED_ERROR, CHUNKED_MORE, ChunkedScanner } from './chunked.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Feeds `body` (then `after`) in pieces of `step` bytes; returns where the body ended, as an offset. */
function endOf(body: string, after: string, step: number): number {
  const all = bytes(body + after);
  const scanner = new ChunkedScanner();
  for (let at = 0; at < all.length; at += step) {
    const r = scanner.scan(all.subarray(at, at + step));
    if (r === CHUNKED_ERROR) return CHUNKED_ERROR;
    if (r !== CHUNKED_MORE) return at + r;
  }
  return CHUNKED_MORE;
}

describe('ChunkedScanner', () => {
  const body = '5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n';

  it('finds the end of the body however it is split, not counting what follows', () => {
    for (const step of [1, 2, 3, 7, 1000]) expect(endOf(body, 'HTTP/1.1 200 OK', step)).toBe(body.length);
    expect(endOf('0\r\n\r\n', '', 1)).toBe(5);
  });

  it('says when the body goes on', () => {
    expect(endOf('5\r\nhel', '', 1000)).toBe(CHUNKED_MORE);
    expect(endOf('0\r\nTrailer: x\r\n', '', 1000)).toBe(CHUNKED_MORE);
  });

  it.each([
    ['a size that is not hex', 'z\r\n'],
    ['data longer than its size', '2\r\nabc\r\n0\r\n\r\n'],
    ['a bare LF after the size', '2\nab\r\n'],
    ['an oversized chunk', 'fffffffffffffff\r\n'],
  ])('refuses %s', (_what, s) => {
    expect(endOf(s, '', 1000)).toBe(CHUNKED_ERROR);
  });

  it('can be reused after reset', () => {
    const scanner = new ChunkedScanner();
    expect(scanner.scan(bytes('3\r\nab'))).toBe(CHUNKED_MORE);
    scanner.reset();
    expect(scanner.scan(bytes('0\r\n\r\n'))).toBe(5);
  });
});
