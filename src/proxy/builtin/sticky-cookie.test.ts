import { describe, expect, it } from 'vitest';
import { validate } from './routes-validation.js';
import { cookieInHead, cookieValue, setCookieLine } from './sticky-cookie.js';

describe('sticky cookie', () => {
  it('finds the cookie among others, exactly by name', () => {
    expect(cookieValue('a=1; tandem-rev=r2-abc; b=2', 'tandem-rev')).toBe('r2-abc');
    expect(cookieValue('tandem-rev=r1', 'tandem-rev')).toBe('r1');
    expect(cookieValue('a=1;tandem-rev=r1 ;b=2', 'tandem-rev')).toBe('r1');
    expect(cookieValue('tandem-rev="r3"', 'tandem-rev')).toBe('r3');
    expect(cookieValue('xtandem-rev=r1; tandem-revision=r2', 'tandem-rev')).toBe('');
    expect(cookieValue('Tandem-Rev=r1', 'tandem-rev')).toBe('');
    expect(cookieValue('tandem-rev', 'tandem-rev')).toBe('');
    expect(cookieValue('', 'tandem-rev')).toBe('');
  });

  it('reads it from any Cookie line of a request head, whatever the case of the header name', () => {
    const head = (lines: string) => `GET / HTTP/1.1\r\nHost: x\r\n${lines}`;
    expect(cookieInHead(head('COOKIE: a=1; c=r2\r\n'), 'c')).toBe('r2');
    expect(cookieInHead(head('Cookie: a=1\r\nX-Cookie: c=no\r\ncookie: c=r1\r\n'), 'c')).toBe('r1');
    expect(cookieInHead(head('Cookies: c=no\r\nSet-Cookie: c=no\r\n'), 'c')).toBe('');
    expect(cookieInHead(head(''), 'c')).toBe('');
  });

  it('builds the Set-Cookie line', () => {
    expect(setCookieLine('c', 'r1')).toBe('Set-Cookie: c=r1; Path=/; HttpOnly; SameSite=Lax\r\n');
  });

  it('refuses a sticky table whose cookie name or revision names cannot be written in a cookie', () => {
    const rev = (revision: string) => ({ revision, weight: 1, instances: [] });
    expect(() => validate({ revisions: [rev('r1'), rev('r2.1')], sticky: { cookie: 'c' } })).not.toThrow();
    expect(() => validate({ revisions: [rev('r 1')], sticky: { cookie: 'c' } })).toThrow(/cookie value/);
    expect(() => validate({ revisions: [rev('r;1')], sticky: { cookie: 'c' } })).toThrow(/cookie value/);
    expect(() => validate({ revisions: [rev('r1')], sticky: { cookie: 'a=b' } })).toThrow(/cookie name/);
    expect(() => validate({ revisions: [rev('r 1')] })).not.toThrow();
  });
});
