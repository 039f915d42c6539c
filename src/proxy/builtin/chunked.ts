/**
 * Finds where a chunked message body ends, without decoding it: the fast path passes chunked bodies
 * through byte for byte and only needs to know when the upstream connection is free again. The
 * scanner is incremental (a body arrives in any number of buffers) and strict: anything that is not
 * well-formed chunked framing is an error, and the caller cuts the connections.
 */

const SIZE = 0;
const EXT = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER_LINE = 7;
const FINAL_LF = 8;

export const CHUNKED_MORE = -1;
export const CHUNKED_ERROR = -2;

/** 2^48: chunk sizes above this are refused (more than 12 hex digits). */
const MAX_CHUNK = 0x1_0000_0000_0000;

export class ChunkedScanner {
  private state = SIZE;
  private size = 0;
  private digits = 0;
  private left = 0;

  reset(): void {
    this.state = SIZE;
    this.size = 0;
    this.digits = 0;
    this.left = 0;
  }

  /**
   * Scans `buf` from `from`. Returns the index just past the end of the body when it ends in this
   * buffer, CHUNKED_MORE when all of it belongs to the body, CHUNKED_ERROR on malformed framing.
   */
  scan(buf: Uint8Array, from = 0): number {
    const n = buf.length;
    let i = from;
    while (i < n) {
      switch (this.state) {
        case SIZE: {
          const c = buf[i]!;
          const d = hex(c);
          if (d >= 0) {
            this.size = this.size * 16 + d;
            if (++this.digits > 12 || this.size >= MAX_CHUNK) return CHUNKED_ERROR;
          } else if (this.digits === 0) {
            return CHUNKED_ERROR;
          } else if (c === 0x0d) {
            this.state = SIZE_LF;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.state = EXT;
          } else {
            return CHUNKED_ERROR;
          }
          i++;
          break;
        }
        case EXT: {
          // Chunk extensions are skipped up to the CR; a bare LF is refused.
          const c = buf[i]!;
          if (c === 0x0d) this.state = SIZE_LF;
          else if (c === 0x0a) return CHUNKED_ERROR;
          i++;
          break;
        }
        case SIZE_LF:
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          i++;
          if (this.size === 0) {
            this.state = TRAILER_START;
          } else {
            this.left = this.size;
            this.state = DATA;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case DATA: {
          const take = Math.min(this.left, n - i);
          this.left -= take;
          i += take;
          if (this.left === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (buf[i] !== 0x0d) return CHUNKED_ERROR;
          this.state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          this.state = SIZE;
          i++;
          break;
        case TRAILER_START:
          this.state = buf[i] === 0x0d ? FINAL_LF : TRAILER_LINE;
          i++;
          break;
        case TRAILER_LINE:
          if (buf[i] === 0x0a) this.state = TRAILER_START;
          i++;
          break;
        case FINAL_LF:
          if (buf[i] !== 0x0a) return CHUNKED_ERROR;
          this.reset();
          return i + 1;
      }
    }
    return CHUNKED_MORE;
  }
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
