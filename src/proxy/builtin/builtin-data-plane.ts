/**
 * The builtin data plane: an HTTP/1.1 reverse proxy on node:net and node:http, no dependencies.
 *
 * Design choices:
 * - Revisions are picked by smooth weighted round-robin (nginx's algorithm). It is deterministic
 *   (no randomness, so 90/10 over 200 requests is exactly 180/20, which keeps a canary's exposure
 *   exact and the tests exact) and it interleaves: the small revision's requests are spread over
 *   the period rather than sent in a burst.
 * - Within a revision, the instance with the fewest outstanding requests gets the request (ties
 *   round-robin), so a slow instance naturally gets less work.
 * - Two paths. The fast path (client-connection.ts) speaks HTTP/1.1 itself on raw sockets for plain
 *   requests (known method, HTTP/1.1, Content-Length or no body); anything else (Upgrade, Expect,
 *   chunked request bodies, HTTP/1.0, malformed input) is handed at a request boundary to node:http
 *   (http-fallback.ts), which implements the same rules. node's parsing and per-request objects
 *   were most of the cost: the fast path needs about a third of the CPU per request
 *   (docs/benchmarks.md, "Data plane vs nginx").
 * - Each upstream instance has its own keep-alive connections (a raw LIFO pool for the fast path,
 *   an http.Agent for the other): they can be released exactly when the instance leaves the table
 *   and has nothing in flight, and one slow instance cannot exhaust a pool shared with the others.
 * - Retry rule: a request is retried once, on another instance (same revision first, else another
 *   revision), only when the upstream failed before any response byte AND the request has no body
 *   (nothing was consumed from the client, so it can be replayed) AND either the method is
 *   idempotent (GET/HEAD/OPTIONS) or the connection was refused (the upstream never saw it).
 *   Otherwise the client gets a 502; with no instance to send to, a 503.
 *   Apart from that rule: a reused keep-alive connection that the upstream closed without answering
 *   (it closed it as we sent on it) is replayed once on a fresh connection to the same instance, for
 *   a request without a body; this is not counted as a connection failure.
 * - Draining is sticky for an instance while it stays in the table; an instance that leaves the
 *   table and comes back starts undrained. A drain that times out destroys the instance's upgraded
 *   (WebSocket) connections; plain HTTP requests are left to finish.
 * - Stickiness (RouteTable.sticky): only while more than one revision has weight > 0. A request
 *   whose cookie names one of those goes to it (least outstanding within it); any other request is
 *   routed by weight and its response gets a Set-Cookie naming the revision that answered (also
 *   after a retry on another revision). Upgrades honour the cookie but are not given one. Otherwise
 *   the cookie is neither read nor set.
 * - Hot path: no JSON, no regexes, no per-request closures or exchange objects.
 * - Not (yet) here: upstream response timeouts, passive health (a refusing instance keeps its
 *   turn), retrying an Upgrade, HTTP/2. The weighted round-robin state restarts at each setRoutes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { TandemError } from '../../errors.js';
import type {
  DataPlane,
  DrainResult,
  InstanceStats,
  ProxyStats,
  RouteTable,
  TrafficStats,
} from '../types.js';
import { ClientConn } from './client-connection.js';
import { Counters } from './counters.js';
import { NodeHttpPath } from './http-fallback.js';
import {
  type Attempt,
  InstanceState,
  pick,
  pickPreferred,
  RevisionState,
  type Waiter,
} from './route-state.js';
import { validate } from './routes-validation.js';

export interface BuiltinDataPlaneOptions {
  /** Idle keep-alive timeout towards clients (ms); default 65 000. */
  keepAliveTimeoutMs?: number;
  /** Max sockets per upstream instance (node:http path), and max idle ones kept (fast path); default 256. */
  maxSocketsPerInstance?: number;
  /** Idle upstream connections older than this are not reused (ms); default 4 000. */
  upstreamIdleMs?: number;
  /** Value of X-Forwarded-Proto; default 'http'. */
  forwardedProto?: string;
}

export class BuiltinDataPlane implements DataPlane {
  /** Everything the listener answered. */
  readonly total = new Counters();
  /** Every upgraded connection (both sides), so close() can end them all. */
  readonly upgraded = new Set<Duplex>();
  readonly proto: string;
  closed = false;
  private readonly server: Server;
  private readonly fallback: NodeHttpPath;
  /** Every client connection, on either path. */
  private readonly clients = new Set<Socket>();
  /** The fast path's connections that are not closing (checked for the idle timeout). */
  private readonly fast = new Set<ClientConn>();
  private readonly keepAliveTimeout: number;
  private revisions: RevisionState[] = [];
  /** The sticky cookie's name while the table is sticky and splits traffic, else null. */
  sticky: string | null = null;
  /** The revisions by name, kept only while `sticky` is set. */
  private byName = new Map<string, RevisionState>();
  private readonly instances = new Map<string, InstanceState>();
  private readonly revisionStats = new Map<string, Counters>();
  private readonly instanceStats = new Map<string, { revision: string; counters: Counters }>();
  private readonly maxSockets: number;
  private readonly idleMs: number;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(opts: BuiltinDataPlaneOptions = {}) {
    this.maxSockets = opts.maxSocketsPerInstance ?? 256;
    this.idleMs = opts.upstreamIdleMs ?? 4_000;
    this.proto = opts.forwardedProto ?? 'http';
    const keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
    this.keepAliveTimeout = keepAliveTimeout;
    this.fallback = new NodeHttpPath(this, keepAliveTimeout);
    this.server = createServer({ noDelay: true }, (socket) => {
      this.clients.add(socket);
      socket.once('close', () => this.clients.delete(socket));
      this.fast.add(new ClientConn(this, socket));
    });
  }

  // -- DataPlane -------------------------------------------------------------------------------

  setRoutes(table: RouteTable): void {
    validate(table);
    const seen = new Set<string>();
    const next: RevisionState[] = [];
    for (const r of table.revisions) {
      let rstats = this.revisionStats.get(r.revision);
      if (rstats === undefined) {
        rstats = new Counters();
        this.revisionStats.set(r.revision, rstats);
      }
      const rev = new RevisionState(r.revision, r.weight, rstats);
      for (const spec of r.instances) {
        seen.add(spec.id);
        let inst = this.instances.get(spec.id);
        if (inst !== undefined && (inst.host !== spec.host || inst.port !== spec.port)) {
          this.retire(inst);
          inst = undefined;
        }
        if (inst === undefined) {
          inst = new InstanceState(
            spec.id,
            spec.host,
            spec.port,
            this.countersFor(spec.id, r.revision),
            this.maxSockets,
            this.idleMs,
          );
          this.instances.set(spec.id, inst);
        } else if (inst.removed) {
          inst.removed = false;
          inst.draining = false;
        }
        inst.revision = rev;
        this.instanceStats.get(spec.id)!.revision = r.revision;
        rev.instances.push(inst);
        if (!inst.draining) rev.available++;
      }
      next.push(rev);
    }
    for (const inst of this.instances.values()) {
      if (!seen.has(inst.id) && !inst.removed) this.retire(inst);
    }
    this.revisions = next;
    let splitting = 0;
    for (const r of next) if (r.weight > 0) splitting++;
    this.sticky = table.sticky !== undefined && splitting > 1 ? table.sticky.cookie : null;
    this.byName = new Map(this.sticky === null ? [] : next.map((r) => [r.name, r]));
  }

  drain(instanceId: string, timeoutMs: number): Promise<DrainResult> {
    const inst = this.instances.get(instanceId);
    if (inst === undefined) return Promise.resolve({ drained: true, inFlight: 0 });
    if (!inst.draining) {
      inst.draining = true;
      if (inst.revision !== null && !inst.removed) inst.revision.available--;
    }
    if (inst.inFlight === 0) return Promise.resolve({ drained: true, inFlight: 0 });
    return new Promise<DrainResult>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          inst.waiters = inst.waiters.filter((w) => w !== waiter);
          const inFlight = inst.inFlight;
          for (const socket of inst.upgrades) socket.destroy();
          resolve({ drained: inFlight === 0, inFlight });
        }, timeoutMs),
      };
      inst.waiters.push(waiter);
    });
  }

  stats(): ProxyStats {
    const revisions: Record<string, TrafficStats> = {};
    for (const [name, c] of this.revisionStats) revisions[name] = c.snapshot();
    const instances: Record<string, InstanceStats> = {};
    for (const [id, s] of this.instanceStats)
      instances[id] = { ...s.counters.snapshot(), revision: s.revision };
    return { total: this.total.snapshot(), revisions, instances };
  }

  listen(port: number, host: string): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, port, host));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        this.sweeper = setInterval(
          () => this.sweep(),
          Math.max(10, Math.min(1_000, this.keepAliveTimeout, this.idleMs)),
        );
        this.sweeper.unref();
        resolve({ port: typeof addr === 'object' && addr !== null ? addr.port : port });
      });
    });
  }

  /** Stops listening and closes every client and upstream connection at once. */
  close(): Promise<void> {
    this.closed = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    return new Promise((resolve) => {
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
      for (const socket of this.clients) socket.destroy();
      for (const socket of this.upgraded) socket.destroy();
      for (const inst of this.instances.values()) {
        inst.destroyConnections();
        for (const w of inst.waiters) {
          clearTimeout(w.timer);
          w.resolve({ drained: inst.inFlight === 0, inFlight: inst.inFlight });
        }
        inst.waiters = [];
      }
    });
  }

  // -- What both paths use ---------------------------------------------------------------------

  /** An instance for a request; on a retry (`exclude` set), the same revision first, else another. */
  pick(exclude: InstanceState | null): InstanceState | null {
    return pick(this.revisions, exclude);
  }

  /** An instance for a sticky request whose cookie names `revision` ('' when it names none). */
  pickSticky(revision: string): InstanceState | null {
    return pickPreferred(this.revisions, revision === '' ? undefined : this.byName.get(revision));
  }

  /** A request (or upgrade) goes to `inst` now. */
  beginAttempt(a: Attempt, inst: InstanceState): void {
    a.instance = inst;
    a.attemptDone = false;
    inst.inFlight++;
    inst.stats.requests++;
    inst.stats.inFlight++;
    const rstats = inst.revision === null ? null : inst.revision.stats;
    a.rstats = rstats;
    if (rstats !== null) {
      rstats.requests++;
      rstats.inFlight++;
    }
  }

  /** The attempt is over (answered, failed or abandoned); idempotent. */
  endAttempt(a: Attempt): void {
    if (a.attemptDone) return;
    a.attemptDone = true;
    const inst = a.instance!;
    inst.stats.inFlight--;
    if (a.rstats !== null) a.rstats.inFlight--;
    this.release(inst);
  }

  connectionFailed(a: Attempt): void {
    a.instance!.stats.connectionFailures++;
    if (a.rstats !== null) a.rstats.connectionFailures++;
  }

  /** A response was written in full: count it on the total and, if one was tried, the last instance. */
  answered(a: Attempt, status: number, ms: number): void {
    this.total.response(status);
    this.total.latency(ms);
    const inst = a.instance;
    if (inst === null) return;
    inst.stats.response(status);
    inst.stats.latency(ms);
    const rstats = a.rstats;
    if (rstats !== null) {
      rstats.response(status);
      rstats.latency(ms);
    }
  }

  /** The fast path gives up a connection (see http-fallback.ts). */
  handOver(socket: Socket, pending: Buffer | null): void {
    this.fallback.adopt(socket, pending);
  }

  /** A fast-path connection is closing or was handed over: no more idle checks. */
  forget(conn: ClientConn): void {
    this.fast.delete(conn);
  }

  // -- Instances -------------------------------------------------------------------------------

  release(inst: InstanceState): void {
    inst.inFlight--;
    if (inst.inFlight !== 0) return;
    if (inst.waiters.length > 0) {
      for (const w of inst.waiters) {
        clearTimeout(w.timer);
        w.resolve({ drained: true, inFlight: 0 });
      }
      inst.waiters = [];
    }
    if (inst.removed) this.dispose(inst);
  }

  private retire(inst: InstanceState): void {
    if (!inst.removed && inst.revision !== null && !inst.draining) inst.revision.available--;
    inst.removed = true;
    if (inst.inFlight === 0) this.dispose(inst);
  }

  private dispose(inst: InstanceState): void {
    inst.destroyConnections();
    if (this.instances.get(inst.id) === inst) this.instances.delete(inst.id);
  }

  /**
   * Once a second: idle upstream connections past their age, idle client connections past the
   * keep-alive timeout. (A sweep instead of a timer per socket, which node re-arms on every read
   * and write.)
   */
  private sweep(): void {
    const now = performance.now();
    for (const inst of this.instances.values()) inst.pool.sweep(now);
    const before = now - this.keepAliveTimeout;
    for (const conn of this.fast) conn.closeIfIdle(before);
  }

  private countersFor(id: string, revision: string): Counters {
    let s = this.instanceStats.get(id);
    if (s === undefined) {
      s = { revision, counters: new Counters() };
      this.instanceStats.set(id, s);
    }
    return s.counters;
  }
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  if (err.code !== 'EADDRINUSE') return err;
  return new TandemError(
    'TANDEM_PORT_IN_USE',
    `cannot listen on ${host}:${port}: port ${port} is already in use by another process; ` +
      'stop that process, or change `listen:` of this environment in tandem.yaml',
    { cause: err },
  );
}

export function createBuiltinDataPlane(opts?: BuiltinDataPlaneOptions): DataPlane {
  return new BuiltinDataPlane(opts);
}
