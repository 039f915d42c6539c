/**
 * The fast path of the builtin data plane: one ClientConn per client TCP connection, speaking
 * HTTP/1.1 itself instead of going through node:http's server and client (whose per-request objects,
 * streams and header handling were most of the proxy's cost).
 *
 * Per request: find the end of the head (CRLFCRLF), parse it (http1-head.ts), inject X-Forwarded-For/
 * -Proto/-Host and X-Request-Id, write the head (and the body as it arrives, by Content-Length) to a
 * pooled upstream connection; read the response head, rewrite its hop-by-hop headers, then pass the
 * body through byte for byte, framed by Content-Length, chunked encoding (scanned, not decoded), no
 * body (HEAD, 1xx, 204, 304) or the upstream's close. When the response is complete the upstream
 * connection goes back to the pool and the next (possibly pipelined) request is handled.
 *
 * Requests are handled one at a time per connection, in order (pipelined requests wait in `pending`,
 * as nginx does). Anything unusual is handed, with the bytes not yet handled, to node:http
 * (http-fallback.ts) at a request boundary; the connection stays there.
 *
 * Per-request state lives on this object (one exchange at a time), so a request allocates no
 * exchange object, no closures and no header objects: a few strings and buffer views.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { logger } from '../../log/logger.js';
import type { BuiltinDataPlane } from './builtin-data-plane.js';
import { CHUNKED_ERROR, CHUNKED_MORE, ChunkedScanner } from './chunked.js';
import type { Counters } from './counters.js';
import { isSaneRequestId } from './headers.js';
import { IDEMPOTENT } from './http-fallback.js';
import {
  HEAD_AGAIN,
  HEAD_OK,
  parseRequestHead,
  parseResponseHead,
  RequestHead,
  ResponseHead,
} from './http1-head.js';
import type { InstanceState } from './route-state.js';
import { cookieInHead, setCookieLine } from './sticky-cookie.js';
import type { UpstreamConn, UpstreamUser } from './upstream-pool.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** Longest request or response head handled here; a longer request goes to node:http (431). */
const MAX_HEAD = 32 * 1024;
/** Up to this size, a response head and the body bytes that came with it are written as one buffer. */
const SMALL_WRITE = 16 * 1024;
/** Pipelined bytes buffered while a request is in flight before we stop reading. */
const MAX_PENDING = 64 * 1024;

// Where the response is.
const RES_HEAD = 0;
const RES_LENGTH = 1;
const RES_CHUNKED = 2;
const RES_UNTIL_CLOSE = 3;

export class ClientConn implements UpstreamUser {
  private readonly remote: string;
  /** Read and not yet handled: a partial head, or pipelined requests waiting for their turn. */
  private pending: Buffer | null = null;
  private readonly req = new RequestHead();
  private readonly res = new ResponseHead();
  private readonly chunks = new ChunkedScanner();
  /** Reading stopped: the connection is closing, or handed over. */
  private done = false;
  private inNext = false;
  private paused = false;

  // The exchange in progress (active) — fields reset by begin().
  active = false;
  instance: InstanceState | null = null;
  rstats: Counters | null = null;
  attemptDone = true;
  private retried = false;
  private reconnected = false;
  private start = 0;
  private requestId = '';
  private upHead = '';
  private hasBody = false;
  private bodyLeft = 0;
  private closeAfter = false;
  private up: UpstreamConn | null = null;
  private upPaused = false;
  private resState = RES_HEAD;
  private resBuf: Buffer | null = null;
  private resLeft = 0;
  private responded = false;
  private headSent = false;
  private status = 0;
  /** The sticky cookie's name when the table was sticky at the request's start, else null. */
  private stickyCookie: string | null = null;
  /** The revision the request's cookie named ('' when none). */
  private stickyWant = '';

  private readonly onData = (chunk: Buffer) => this.data(chunk);
  private readonly onGone = () => this.gone();
  private readonly onDrain = () => this.drained();
  /** When bytes last arrived or a response ended (performance.now()), for the idle timeout. */
  lastActive = performance.now();

  constructor(
    private readonly plane: BuiltinDataPlane,
    private readonly socket: Socket,
  ) {
    this.remote = socket.remoteAddress ?? '';
    socket.on('data', this.onData);
    socket.on('end', this.onGone);
    socket.on('close', this.onGone);
    socket.on('error', this.onGone);
    socket.on('drain', this.onDrain);
  }

  /** Closes the connection if it has been idle (no request in flight) since before `before`. */
  closeIfIdle(before: number): void {
    if (!this.active && this.lastActive < before) this.socket.destroy();
  }

  // -- Client side -----------------------------------------------------------------------------

  private data(chunk: Buffer): void {
    if (this.done) return;
    this.lastActive = performance.now();
    if (!this.active) {
      this.stash(chunk);
      this.next();
      return;
    }
    if (this.bodyLeft > 0) {
      const n = Math.min(chunk.length, this.bodyLeft);
      this.bodyLeft -= n;
      const up = this.up;
      if (up !== null && !up.socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) this.pause();
      if (n < chunk.length) this.stash(chunk.subarray(n));
      return;
    }
    this.stash(chunk);
    if (this.pending!.length > MAX_PENDING) this.pause();
  }

  private stash(chunk: Buffer): void {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Handles the pending requests until one is in flight or a head is incomplete. */
  private next(): void {
    if (this.inNext) return;
    this.inNext = true;
    try {
      while (!this.active && !this.done && this.pending !== null) {
        const buf = this.pending;
        const end = buf.indexOf(CRLFCRLF);
        if (end < 0) {
          if (buf.length > MAX_HEAD) this.handOver();
          return;
        }
        const head = buf.toString('latin1', 0, end + 2);
        const req = this.req;
        let r = parseRequestHead(head, req, null);
        if (r === HEAD_AGAIN) r = parseRequestHead(head, req, req.listed);
        if (r !== HEAD_OK) {
          this.handOver();
          return;
        }
        const at = end + 4;
        const inBuf = buf.length - at;
        const cl = req.contentLength;
        const take = Math.min(cl, inBuf);
        const body = take > 0 ? buf.subarray(at, at + take) : null;
        this.pending = at + take < buf.length ? buf.subarray(at + take) : null;
        this.begin(body, cl - take);
      }
    } finally {
      this.inNext = false;
    }
    if (!this.active) this.resume();
  }

  /** Gives the connection to node:http, with what was read and not handled. */
  private handOver(): void {
    this.done = true;
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onGone);
    socket.off('close', this.onGone);
    socket.off('error', this.onGone);
    socket.off('drain', this.onDrain);
    this.plane.forget(this);
    const pending = this.pending;
    this.pending = null;
    this.paused = false;
    this.plane.handOver(socket, pending);
  }

  /** The client closed, ended or failed: abandon the exchange in progress. */
  private gone(): void {
    if (!this.done) this.plane.forget(this);
    this.done = true;
    this.socket.destroy();
    if (!this.active) return;
    this.active = false;
    const up = this.up;
    if (up !== null) {
      this.up = null;
      up.destroy();
    }
    this.plane.total.inFlight--;
    this.plane.endAttempt(this);
  }

  private drained(): void {
    if (this.upPaused) {
      this.upPaused = false;
      this.up?.socket.resume();
    }
  }

  // -- Exchange --------------------------------------------------------------------------------

  private begin(body: Buffer | null, bodyLeft: number): void {
    const plane = this.plane;
    const req = this.req;
    this.active = true;
    this.start = performance.now();
    plane.total.requests++;
    plane.total.inFlight++;
    this.instance = null;
    this.rstats = null;
    this.retried = false;
    this.reconnected = false;
    this.status = 0;
    this.hasBody = req.contentLength > 0;
    this.bodyLeft = bodyLeft;
    this.closeAfter = req.close;
    const id = req.requestId !== '' && isSaneRequestId(req.requestId) ? req.requestId : randomUUID();
    this.requestId = id;
    const xff = req.forwardedFor === '' ? this.remote : `${req.forwardedFor}, ${this.remote}`;
    this.upHead = `${req.out}X-Forwarded-For: ${xff}\r\nX-Forwarded-Proto: ${plane.proto}\r\nX-Forwarded-Host: ${req.host}\r\nX-Request-Id: ${id}\r\n\r\n`;
    const sticky = plane.sticky;
    let inst: InstanceState | null;
    if (sticky === null) {
      this.stickyCookie = null;
      inst = plane.pick(null);
    } else {
      this.stickyCookie = sticky;
      this.stickyWant = cookieInHead(req.out, sticky);
      inst = plane.pickSticky(this.stickyWant);
    }
    if (inst === null) {
      this.replyError(503);
      return;
    }
    this.send(inst, body);
  }

  private send(inst: InstanceState, body: Buffer | null): void {
    this.plane.beginAttempt(this, inst);
    this.attach(inst.pool.acquire(this.start), body);
  }

  private attach(up: UpstreamConn, body: Buffer | null): void {
    this.up = up;
    up.user = this;
    this.resState = RES_HEAD;
    this.resBuf = null;
    this.responded = false;
    this.headSent = false;
    const s = up.socket;
    let flowing: boolean;
    if (body === null) {
      flowing = s.write(this.upHead, 'latin1');
    } else {
      s.cork();
      s.write(this.upHead, 'latin1');
      flowing = s.write(body);
      s.uncork();
    }
    if (!flowing && this.bodyLeft > 0) this.pause();
  }

  // -- Upstream side ---------------------------------------------------------------------------

  onUpstreamDrain(up: UpstreamConn): void {
    if (up === this.up && this.active) this.resume();
  }

  onUpstreamData(up: UpstreamConn, chunk: Buffer): void {
    if (up !== this.up) return;
    this.responded = true;
    let buf = chunk;
    let at = 0;
    while (this.resState === RES_HEAD) {
      if (this.resBuf !== null) {
        buf = Buffer.concat([this.resBuf, buf]);
        this.resBuf = null;
      }
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD) this.badResponse('head too large');
        else this.resBuf = Buffer.from(buf); // `chunk` is only lent to us
        return;
      }
      const res = this.res;
      const head = buf.toString('latin1', 0, end + 2);
      let r = parseResponseHead(head, res, null);
      if (r === HEAD_AGAIN) r = parseResponseHead(head, res, res.listed);
      if (r !== HEAD_OK || res.status === 101) {
        this.badResponse('malformed head');
        return;
      }
      at = end + 4;
      const status = res.status;
      if (status < 200) {
        // Informational (103 Early Hints, ...): pass it on, the real response follows.
        this.socket.write(this.headBuffer(buf, '\r\n', 0));
        buf = buf.subarray(at);
        at = 0;
        if (buf.length === 0) return;
        continue;
      }
      this.status = status;
      let extra = '';
      if (this.req.method === 'HEAD' || status === 204 || status === 304) {
        this.resState = RES_LENGTH;
        this.resLeft = 0;
      } else if (res.chunked) {
        this.resState = RES_CHUNKED;
        this.chunks.reset();
      } else if (res.contentLength >= 0 && !res.otherCoding) {
        this.resState = RES_LENGTH;
        this.resLeft = res.contentLength;
      } else {
        this.resState = RES_UNTIL_CLOSE;
        this.closeAfter = true;
        res.keepAlive = false;
      }
      if (this.closeAfter) extra = 'Connection: close\r\n';
      if (this.stickyCookie !== null) {
        // Pin the client to the revision that answered, unless its cookie already names it.
        const rev = this.instance!.revision;
        if (rev !== null && rev.name !== this.stickyWant) extra += setCookieLine(this.stickyCookie, rev.name);
      }
      this.headSent = true;
      this.forwardBody(up, buf, at, `X-Request-Id: ${this.requestId}\r\n${extra}\r\n`);
      return;
    }
    this.forwardBody(up, buf, 0, null);
  }

  /**
   * Passes the body bytes of `buf` from `at` to the client; when `tail` is given, first the response
   * head: the kept ranges of the upstream's head (at the start of `buf`), then `tail`.
   */
  private forwardBody(up: UpstreamConn, buf: Buffer, at: number, tail: string | null): void {
    let end = buf.length;
    let complete = false;
    switch (this.resState) {
      case RES_LENGTH: {
        const left = this.resLeft;
        if (end - at >= left) {
          end = at + left;
          complete = true;
        }
        this.resLeft = left - (end - at);
        break;
      }
      case RES_CHUNKED: {
        const r = this.chunks.scan(buf, at);
        if (r === CHUNKED_ERROR) {
          this.badResponse('malformed chunked body');
          return;
        }
        if (r !== CHUNKED_MORE) {
          end = r;
          complete = true;
        }
        break;
      }
    }
    const socket = this.socket;
    const n = end - at;
    let flowing = true;
    if (tail !== null && this.res.keepBytes + tail.length + n <= SMALL_WRITE) {
      // Head and (small) body in one buffer of node's pool: one plain write, nothing lent.
      const out = this.headBuffer(buf, tail, n);
      if (n > 0) buf.copy(out, out.length - n, at, end);
      flowing = socket.write(out);
    } else if (n > 0) {
      if (tail !== null) {
        socket.cork();
        socket.write(this.headBuffer(buf, tail, 0));
      }
      flowing = socket.write(at === 0 && end === buf.length ? buf : buf.subarray(at, end));
      if (tail !== null) socket.uncork();
      // Still queued: it points into the upstream's read buffer, which must not be reused.
      if (socket.writableLength > 0) up.lent = true;
    } else if (tail !== null) {
      flowing = socket.write(this.headBuffer(buf, tail, 0));
    }
    if (complete) {
      // Bytes after the response: the upstream is out of step, do not reuse the connection.
      this.complete(end === buf.length);
    } else if (!flowing && !this.upPaused) {
      this.upPaused = true;
      up.socket.pause();
    }
  }

  /** A new buffer: the kept ranges of the response head at the start of `buf`, `tail`, then room for `room` bytes. */
  private headBuffer(buf: Buffer, tail: string, room: number): Buffer {
    const keep = this.res.keep;
    const out = Buffer.allocUnsafe(this.res.keepBytes + tail.length + room);
    let o = 0;
    for (let i = 0; i < keep.length; i += 2) o += buf.copy(out, o, keep[i], keep[i + 1]);
    out.write(tail, o, tail.length, 'latin1');
    return out;
  }

  onUpstreamGone(up: UpstreamConn, code: string): void {
    if (up !== this.up) return;
    this.up = null;
    if (this.resState === RES_UNTIL_CLOSE) {
      this.complete(false);
      return;
    }
    this.upstreamFailed(up, code);
  }

  private upstreamFailed(up: UpstreamConn, code: string): void {
    const plane = this.plane;
    const inst = this.instance!;
    if (this.headSent) {
      // Failed mid-response: nothing to do but cut the client off.
      this.gone();
      return;
    }
    if (this.responded) {
      this.badResponse(`closed in the response head (${code})`);
      return;
    }
    // A reused connection that the upstream closed as we sent on it (the keep-alive race): the
    // request never reached the application; once, on a fresh connection to the same instance.
    const replayable = !this.hasBody && !plane.closed;
    if (
      up.reused &&
      !this.reconnected &&
      replayable &&
      (code === 'EOF' || code === 'ECONNRESET' || code === 'EPIPE')
    ) {
      this.reconnected = true;
      this.attach(inst.pool.connect(), null);
      return;
    }
    plane.connectionFailed(this);
    if (!this.retried && replayable && (IDEMPOTENT.has(this.req.method) || code === 'ECONNREFUSED')) {
      const next = plane.pick(inst);
      if (next !== null) {
        plane.endAttempt(this);
        this.retried = true;
        this.send(next, null);
        return;
      }
    }
    logger().warn({ instance: inst.id, code, requestId: this.requestId }, 'proxy: upstream failed');
    this.replyError(502);
  }

  /** The upstream's response cannot be passed on: 502 if the client has seen nothing yet, else cut. */
  private badResponse(why: string): void {
    const up = this.up;
    if (up !== null) {
      this.up = null;
      up.destroy();
    }
    if (this.headSent) {
      this.gone();
      return;
    }
    logger().warn(
      { instance: this.instance?.id, requestId: this.requestId, why },
      'proxy: bad upstream response',
    );
    this.replyError(502);
  }

  private replyError(status: 502 | 503): void {
    const up = this.up;
    if (up !== null) {
      this.up = null;
      up.destroy();
    }
    const body = status === 502 ? 'Bad Gateway\n' : 'Service Unavailable\n';
    const reason = status === 502 ? 'Bad Gateway' : 'Service Unavailable';
    // A request body we will not read makes the connection unusable for another request.
    if (this.bodyLeft > 0) this.closeAfter = true;
    this.status = status;
    this.socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
        `X-Request-Id: ${this.requestId}\r\n${this.closeAfter ? 'Connection: close\r\n' : ''}\r\n${body}`,
      'latin1',
    );
    this.complete(false);
  }

  /** The response was written in full: account for it, free the upstream, go on with the next request. */
  private complete(reusable: boolean): void {
    const plane = this.plane;
    const now = performance.now();
    const up = this.up;
    if (up !== null) {
      this.up = null;
      if (this.upPaused) up.socket.resume();
      if (reusable && this.res.keepAlive && this.bodyLeft === 0 && !plane.closed) {
        up.pool.release(up, now);
      } else {
        up.destroy();
      }
    }
    this.upPaused = false;
    this.active = false;
    this.lastActive = now;
    plane.total.inFlight--;
    plane.answered(this, this.status, now - this.start);
    plane.endAttempt(this);
    // The rest of the request body would be read as the next request: close instead.
    if (this.bodyLeft > 0) this.closeAfter = true;
    if (this.closeAfter) {
      if (!this.done) plane.forget(this);
      this.done = true;
      this.pending = null;
      this.socket.end();
      this.resume(); // keep reading (and ignoring) until the client closes
      return;
    }
    this.next();
  }
}
