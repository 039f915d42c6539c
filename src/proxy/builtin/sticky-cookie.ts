/**
 * Cookie stickiness of the builtin data plane (RouteTable.sticky): reading the revision a client's
 * cookie names, and the Set-Cookie that pins a client to the revision that answered it. Only used
 * when the table is sticky and splits traffic, so plain routing never pays for it. No regexes.
 */

/** The Set-Cookie header line (with its CRLF) that pins a client to `revision`. */
export function setCookieLine(cookie: string, revision: string): string {
  return `Set-Cookie: ${setCookieValue(cookie, revision)}\r\n`;
}

export function setCookieValue(cookie: string, revision: string): string {
  return `${cookie}=${revision}; Path=/; HttpOnly; SameSite=Lax`;
}

/**
 * The value of cookie `name` in a Cookie header value (`a=1; name=v; b=2`), '' when absent.
 * Names are compared exactly (cookie names are case-sensitive); a quoted value is unquoted.
 */
export function cookieValue(header: string, name: string): string {
  const n = header.length;
  let pos = 0;
  while (pos < n) {
    while (pos < n && (header.charCodeAt(pos) === 0x20 || header.charCodeAt(pos) === 0x09)) pos++;
    let end = header.indexOf(';', pos);
    if (end < 0) end = n;
    if (
      header.startsWith(name, pos) &&
      pos + name.length < end &&
      header.charCodeAt(pos + name.length) === 0x3d // '='
    ) {
      let from = pos + name.length + 1;
      let to = end;
      while (to > from && (header.charCodeAt(to - 1) === 0x20 || header.charCodeAt(to - 1) === 0x09)) to--;
      if (to - from >= 2 && header.charCodeAt(from) === 0x22 && header.charCodeAt(to - 1) === 0x22) {
        from++;
        to--;
      }
      return header.slice(from, to);
    }
    pos = end + 1;
  }
  return '';
}

/**
 * The value of cookie `name` in a request head as the fast path holds it (request line and header
 * lines, each ending in CRLF, already checked by http1-head.ts); the first Cookie line naming it wins.
 */
export function cookieInHead(head: string, name: string): string {
  let pos = head.indexOf('\r\n') + 2;
  const n = head.length;
  while (pos > 1 && pos < n) {
    const le = head.indexOf('\r\n', pos);
    if (le < 0) return '';
    if (le - pos > 7 && head.charCodeAt(pos + 6) === 0x3a && isCookieHeader(head, pos)) {
      const v = cookieValue(head.slice(pos + 7, le), name);
      if (v !== '') return v;
    }
    pos = le + 2;
  }
  return '';
}

const COOKIE = 'cookie';

/** head[at, at + 6) is "cookie" in any case (`| 0x20` lowercases the letters). */
function isCookieHeader(head: string, at: number): boolean {
  for (let i = 0; i < 6; i++) if ((head.charCodeAt(at + i) | 0x20) !== COOKIE.charCodeAt(i)) return false;
  return true;
}

/** A cookie name is a token; a revision name must be a cookie-octet string to be a cookie value. */
export function isCookieToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** cookie-octet of RFC 6265: printable ASCII except space, DQUOTE, comma, semicolon and backslash. */
export function isCookieValue(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x2c || c === 0x3b || c === 0x5c) return false;
  }
  return true;
}

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1;
