/**
 * Keep-alive connections of the fast path to one upstream instance: raw TCP sockets, reused LIFO
 * (the warm ones first, so the cold ones age out). A connection belongs to at most one exchange at a
 * time (`user`); while idle it only watches for the upstream closing it. Idle connections older than
 * `idleMs` are not reused: the default (4 s) is below node's default keepAliveTimeout (5 s), so we
 * normally give a connection up before the upstream does, which keeps the reuse race rare; when it
 * does happen the caller retries on a fresh connection (client-connection.ts).
 */
import { connect, type Socket } from 'node:net';

/** Size of an upstream connection's read buffer (node's own default read size). */
const READ_SIZE = 64 * 1024;

/** What gets an upstream connection's events while it serves an exchange. */
export interface UpstreamUser {
  /**
   * `chunk` is a view of the connection's read buffer, valid during the call only: copy what you
   * keep, and set `up.lent` when a write of it is still queued after the call to write.
   */
  onUpstreamData(up: UpstreamConn, chunk: Buffer): void;
  /** The upstream ended or closed the connection, or it failed (`code`: errno code, or 'EOF'). */
  onUpstreamGone(up: UpstreamConn, code: string): void;
  onUpstreamDrain(up: UpstreamConn): void;
}

export class UpstreamConn {
  readonly socket: Socket;
  user: UpstreamUser | null = null;
  /** It served a request before (a failure before any response byte may be the reuse race). */
  reused = false;
  idleSince = 0;
  /** The read buffer is referenced by a pending write: the next read goes to a new one. */
  lent = false;
  private errorCode = '';
  private gone = false;
  /**
   * Reads land in this buffer (net's `onread`) instead of a fresh allocation pushed through a
   * Readable stream per read: most responses are written on to the client at once and never kept.
   */
  private buf = Buffer.allocUnsafeSlow(READ_SIZE);

  constructor(readonly pool: UpstreamPool) {
    const socket = connect({
      host: pool.host,
      port: pool.port,
      noDelay: true,
      onread: { buffer: () => this.readBuffer(), callback: (n) => this.read(n) },
    });
    this.socket = socket;
    socket.on('drain', () => this.user?.onUpstreamDrain(this));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.errorCode ||= err.code ?? 'ERROR';
    });
    socket.on('end', () => this.lost());
    socket.on('close', () => this.lost());
  }

  private read(n: number): boolean {
    if (this.user !== null) this.user.onUpstreamData(this, this.buf.subarray(0, n));
    else this.destroy(); // bytes nobody asked for: the connection is out of step
    return true;
  }

  private readBuffer(): Buffer {
    if (this.lent) {
      this.lent = false;
      this.buf = Buffer.allocUnsafeSlow(READ_SIZE);
    }
    return this.buf;
  }

  /** Ends the connection for good; its user (if any) is not told. */
  destroy(): void {
    this.user = null;
    this.socket.destroy();
    this.lost();
  }

  private lost(): void {
    if (this.gone) return;
    this.gone = true;
    this.pool.forget(this);
    const user = this.user;
    this.user = null;
    user?.onUpstreamGone(this, this.errorCode || 'EOF');
  }
}

export class UpstreamPool {
  private readonly idle: UpstreamConn[] = [];
  private readonly all = new Set<UpstreamConn>();
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly maxIdle: number,
    private readonly idleMs: number,
  ) {}

  /** A warm idle connection when there is one, else a new one (connecting). */
  acquire(now: number): UpstreamConn {
    const idle = this.idle;
    while (idle.length > 0) {
      const up = idle.pop()!;
      if (now - up.idleSince <= this.idleMs) {
        up.reused = true;
        return up;
      }
      up.destroy();
    }
    return this.connect();
  }

  /** Always a new connection (after a reused one turned out closed). */
  connect(): UpstreamConn {
    const up = new UpstreamConn(this);
    this.all.add(up);
    return up;
  }

  /** The exchange is over and the connection can carry another request. */
  release(up: UpstreamConn, now: number): void {
    up.user = null;
    if (this.closed || this.idle.length >= this.maxIdle) {
      up.destroy();
      return;
    }
    up.idleSince = now;
    this.idle.push(up);
  }

  /** Closes the idle connections older than idleMs. */
  sweep(now: number): void {
    const idle = this.idle;
    let i = 0;
    while (i < idle.length && now - idle[i]!.idleSince > this.idleMs) i++;
    // The stack is ordered by release time, oldest first.
    for (const up of idle.splice(0, i)) up.destroy();
  }

  /** Closes every connection, idle or busy (the instance left, or the data plane closes). */
  destroy(): void {
    this.closed = true;
    for (const up of [...this.all]) up.destroy();
  }

  get size(): number {
    return this.all.size;
  }

  forget(up: UpstreamConn): void {
    this.all.delete(up);
    const i = this.idle.lastIndexOf(up);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
