/**
 * Minimal HTTP/1.1 head parsing for the fast path (client-connection.ts). It is deliberately strict
 * and narrow: anything it does not fully understand (HTTP/1.0, an unknown method, Transfer-Encoding
 * or Upgrade or Expect on a request, duplicate Host or Content-Length, obsolete line folding, a bare
 * CR or LF, a non-token header name, no Host) is left to node:http (FALLBACK), whose parser is the
 * reference. Framing decisions (Content-Length, chunked, close) are therefore never ambiguous here,
 * which is what keeps request smuggling out.
 *
 * Heads are handled as latin1 strings: one byte per character, so any header bytes round-trip
 * unchanged. No regexes, no splitting into arrays: the output head is built from slices of the input.
 */

export const HEAD_OK = 0;
export const HEAD_FALLBACK = 1;
/** A Connection header lists other header names (hop-by-hop): parse again with that set. */
export const HEAD_AGAIN = 2;
export type HeadResult = typeof HEAD_OK | typeof HEAD_FALLBACK | typeof HEAD_AGAIN;

/** tchar of RFC 9110: the characters a header name may have. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1;

/** The header names either parser looks at, by length; other names are copied as they are. */
const SPECIAL_BY_LENGTH: Array<string[] | undefined> = [];
for (const name of [
  'te',
  'host',
  'expect',
  'upgrade',
  'trailer',
  'connection',
  'keep-alive',
  'x-request-id',
  'content-length',
  'x-forwarded-for',
  'proxy-connection',
  'x-forwarded-host',
  'transfer-encoding',
  'x-forwarded-proto',
  'proxy-authenticate',
  'proxy-authorization',
]) {
  SPECIAL_BY_LENGTH[name.length] ??= [];
  SPECIAL_BY_LENGTH[name.length]!.push(name);
}

/**
 * The special name (lowercase) that s[from, from + len) is, case-insensitively, or null; without
 * building a lowercased copy of every header name. `c | 0x20` lowercases an ASCII letter, and the
 * special names hold only letters and '-' (which it leaves alone), while a name has only tchars.
 */
function specialName(s: string, from: number, len: number): string | null {
  const candidates = SPECIAL_BY_LENGTH[len];
  if (candidates === undefined) return null;
  for (const name of candidates) {
    let i = 0;
    while (i < len && (s.charCodeAt(from + i) | 0x20) === name.charCodeAt(i)) i++;
    if (i === len) return name;
  }
  return null;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** What the fast path needs from a request head; one instance per client connection, reused. */
export class RequestHead {
  method = '';
  /** Request line and the end-to-end headers, each line ending in CRLF, without the empty line. */
  out = '';
  host = '';
  /** The client's X-Forwarded-For values joined with ', ' ('' when none). */
  forwardedFor = '';
  /** The client's X-Request-Id ('' when none, or when it was given twice). */
  requestId = '';
  contentLength = 0;
  /** The client asked to close the connection after this request. */
  close = false;
  /** Lowercased names listed in Connection (other than keep-alive and close); null when none. */
  listed: Set<string> | null = null;
}

/** What the fast path needs from an upstream response head; one instance per client connection. */
export class ResponseHead {
  status = 0;
  /**
   * What to pass on, as [start, end) offsets into the head: the status line and the end-to-end
   * headers (Transfer-Encoding kept: the body is passed through as is), each line with its CRLF.
   * Offsets rather than a string, so the caller copies bytes instead of building and flattening one.
   */
  readonly keep: number[] = [];
  /** Bytes in `keep`. */
  keepBytes = 0;
  /** -1 when there is no Content-Length. */
  contentLength = -1;
  chunked = false;
  /** The response has a Transfer-Encoding that does not end in chunked: the body runs to the close. */
  otherCoding = false;
  /** The upstream connection may carry another request after this response. */
  keepAlive = true;
  listed: Set<string> | null = null;
}

/**
 * Parses a request head: `s` is the head up to and including the CRLF of its last header line.
 * `listed` is null on a first pass; HEAD_AGAIN asks for a second pass with `h.listed`.
 */
export function parseRequestHead(s: string, h: RequestHead, listed: Set<string> | null): HeadResult {
  const eol = s.indexOf('\r\n');
  const sp1 = s.indexOf(' ');
  if (sp1 <= 0 || sp1 > eol) return HEAD_FALLBACK;
  const method = s.slice(0, sp1);
  if (!KNOWN_METHODS.has(method)) return HEAD_FALLBACK;
  const sp2 = s.indexOf(' ', sp1 + 1);
  if (sp2 <= sp1 + 1 || sp2 + 9 !== eol || !s.startsWith('HTTP/1.1', sp2 + 1)) return HEAD_FALLBACK;
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return HEAD_FALLBACK;
  }
  h.method = method;
  h.host = '';
  h.forwardedFor = '';
  h.requestId = '';
  h.contentLength = 0;
  h.close = false;
  h.listed = null;
  let hosts = 0;
  let lengths = 0;
  let ids = 0;
  let out = '';
  let seg = 0;
  const n = s.length;
  let pos = eol + 2;
  while (pos < n) {
    // The line ends at the first CR, which must be followed by LF, with no LF before it.
    const le = s.indexOf('\r', pos);
    if (le < 0 || s.charCodeAt(le + 1) !== 0x0a || s.indexOf('\n', pos) !== le + 1) return HEAD_FALLBACK;
    const colon = s.indexOf(':', pos);
    if (colon <= pos || colon > le) return HEAD_FALLBACK;
    for (let i = pos; i < colon; i++) {
      const c = s.charCodeAt(i);
      if (c > 127 || TCHAR[c] === 0) return HEAD_FALLBACK;
    }
    let drop = false;
    const name = listed === null ? specialName(s, pos, colon - pos) : s.slice(pos, colon).toLowerCase();
    if (name !== null) {
      switch (name) {
        case 'host':
          hosts++;
          h.host = value(s, colon + 1, le);
          break;
        case 'content-length':
          lengths++;
          h.contentLength = digits(value(s, colon + 1, le));
          if (h.contentLength < 0) return HEAD_FALLBACK;
          break;
        case 'transfer-encoding':
        case 'upgrade':
        case 'expect':
          return HEAD_FALLBACK;
        case 'connection': {
          const r = connectionTokens(value(s, colon + 1, le), h, listed === null);
          if (r === HEAD_FALLBACK) return r;
          drop = true;
          break;
        }
        case 'keep-alive':
        case 'proxy-connection':
        case 'te':
        case 'trailer':
        case 'proxy-authenticate':
        case 'proxy-authorization':
        case 'x-forwarded-proto':
        case 'x-forwarded-host':
          drop = true;
          break;
        case 'x-forwarded-for': {
          const v = value(s, colon + 1, le);
          if (v !== '') h.forwardedFor = h.forwardedFor === '' ? v : `${h.forwardedFor}, ${v}`;
          drop = true;
          break;
        }
        case 'x-request-id':
          ids++;
          h.requestId = value(s, colon + 1, le);
          drop = true;
          break;
        default:
          if (listed?.has(name)) drop = true;
      }
    }
    if (drop) {
      out += s.slice(seg, pos);
      seg = le + 2;
    }
    pos = le + 2;
  }
  if (hosts !== 1 || lengths > 1) return HEAD_FALLBACK;
  if (ids > 1) h.requestId = '';
  if (listed === null && h.listed !== null) return HEAD_AGAIN;
  h.out = seg === 0 ? s : out + s.slice(seg);
  return HEAD_OK;
}

/**
 * Parses an upstream response head (`s` as for requests). Returns HEAD_FALLBACK for a response the
 * proxy cannot frame safely: the caller answers 502 instead.
 */
export function parseResponseHead(s: string, h: ResponseHead, listed: Set<string> | null): HeadResult {
  const eol = s.indexOf('\r\n');
  // "HTTP/1.x SSS" then " reason" (possibly empty) or nothing.
  if (eol < 12 || !s.startsWith('HTTP/1.', 0) || s.charCodeAt(8) !== 0x20) return HEAD_FALLBACK;
  const minor = s.charCodeAt(7);
  if (minor !== 0x30 && minor !== 0x31) return HEAD_FALLBACK;
  const status = threeDigits(s, 9);
  if (status < 100 || (eol > 12 && s.charCodeAt(12) !== 0x20)) return HEAD_FALLBACK;
  for (let i = 13; i < eol; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return HEAD_FALLBACK;
  }
  h.status = status;
  h.contentLength = -1;
  h.chunked = false;
  h.otherCoding = false;
  h.keepAlive = minor === 0x31;
  h.listed = null;
  let lengths = 0;
  let codings = 0;
  const keep = h.keep;
  keep.length = 0;
  let seg = 0;
  const n = s.length;
  let pos = eol + 2;
  while (pos < n) {
    // The line ends at the first CR, which must be followed by LF, with no LF before it.
    const le = s.indexOf('\r', pos);
    if (le < 0 || s.charCodeAt(le + 1) !== 0x0a || s.indexOf('\n', pos) !== le + 1) return HEAD_FALLBACK;
    const colon = s.indexOf(':', pos);
    if (colon <= pos || colon > le) return HEAD_FALLBACK;
    for (let i = pos; i < colon; i++) {
      const c = s.charCodeAt(i);
      if (c > 127 || TCHAR[c] === 0) return HEAD_FALLBACK;
    }
    let drop = false;
    const name = listed === null ? specialName(s, pos, colon - pos) : s.slice(pos, colon).toLowerCase();
    if (name !== null) {
      switch (name) {
        case 'content-length': {
          const v = digits(value(s, colon + 1, le));
          if (v < 0 || (lengths > 0 && v !== h.contentLength)) return HEAD_FALLBACK;
          lengths++;
          h.contentLength = v;
          break;
        }
        case 'transfer-encoding': {
          codings++;
          const v = value(s, colon + 1, le).toLowerCase();
          h.chunked = v === 'chunked' || v.endsWith(',chunked') || v.endsWith(' chunked');
          h.otherCoding = !h.chunked;
          break;
        }
        case 'connection': {
          const v = value(s, colon + 1, le).toLowerCase();
          if (v === 'close') h.keepAlive = false;
          else if (v === 'keep-alive') h.keepAlive = true;
          else if (v !== '') {
            for (const raw of v.split(',')) {
              const token = trimOws(raw);
              if (token === 'close') h.keepAlive = false;
              else if (token === 'keep-alive') h.keepAlive = true;
              else if (token !== '' && token !== 'upgrade') addListed(h, token);
            }
          }
          drop = true;
          break;
        }
        case 'keep-alive':
        case 'proxy-connection':
        case 'te':
        case 'trailer':
        case 'upgrade':
        case 'proxy-authenticate':
        case 'proxy-authorization':
        case 'x-request-id':
          drop = true;
          break;
        default:
          if (listed?.has(name)) drop = true;
      }
    }
    if (drop) {
      if (pos > seg) keep.push(seg, pos);
      seg = le + 2;
    }
    pos = le + 2;
  }
  // Both framings at once, or more than one Transfer-Encoding line: ambiguous, refuse.
  if (codings > 1 || (codings === 1 && lengths > 0)) return HEAD_FALLBACK;
  if (listed === null && h.listed !== null) return HEAD_AGAIN;
  if (n > seg) keep.push(seg, n);
  h.keepBytes = keptBytes(keep);
  return HEAD_OK;
}

function keptBytes(keep: number[]): number {
  let kept = 0;
  for (let i = 0; i < keep.length; i += 2) kept += keep[i + 1]! - keep[i]!;
  return kept;
}

/** Connection tokens of a request: close, keep-alive, upgrade (not for the fast path), other names. */
function connectionTokens(v: string, h: RequestHead, collect: boolean): HeadResult {
  const lower = v.toLowerCase();
  if (lower === 'keep-alive') return HEAD_OK;
  if (lower === 'close') {
    h.close = true;
    return HEAD_OK;
  }
  for (const raw of lower.split(',')) {
    const token = trimOws(raw);
    if (token === 'close') h.close = true;
    else if (token === 'upgrade') return HEAD_FALLBACK;
    else if (token !== '' && token !== 'keep-alive' && collect) addListed(h, token);
  }
  return HEAD_OK;
}

function addListed(h: { listed: Set<string> | null }, name: string): void {
  h.listed ??= new Set();
  h.listed.add(name);
}

/** A header value without its surrounding optional whitespace (SP and HTAB only). */
function value(s: string, from: number, to: number): string {
  while (from < to && isOws(s.charCodeAt(from))) from++;
  while (to > from && isOws(s.charCodeAt(to - 1))) to--;
  return s.slice(from, to);
}

function trimOws(v: string): string {
  return value(v, 0, v.length);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** A non-negative decimal of at most 15 digits, or -1. */
function digits(v: string): number {
  const n = v.length;
  if (n === 0 || n > 15) return -1;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

function threeDigits(s: string, at: number): number {
  let x = 0;
  for (let i = at; i < at + 3; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}
