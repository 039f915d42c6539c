/**
 * The builtin data plane: a reverse proxy on node:http, no dependencies.
 *
 * Design choices:
 * - Revisions are picked by smooth weighted round-robin (nginx's algorithm). It is deterministic
 *   (no randomness, so 90/10 over 200 requests is exactly 180/20, which keeps a canary's exposure
 *   exact and the tests exact) and it interleaves: the small revision's requests are spread over
 *   the period rather than sent in a burst.
 * - Within a revision, the instance with the fewest outstanding requests gets the request (ties
 *   round-robin), so a slow instance naturally gets less work.
 * - One keep-alive `http.Agent` per upstream instance (lifo scheduling, so the warm sockets are
 *   reused and the cold ones time out): an instance's connections are its own, they can be
 *   released exactly when the instance leaves the table and has nothing in flight, and one slow
 *   instance cannot exhaust a pool shared with the others.
 * - Retry rule: a request is retried once, on another instance (same revision first, else another
 *   revision), only when the upstream failed before any response byte AND the request has no body
 *   (nothing was consumed from the client, so it can be replayed) AND either the method is
 *   idempotent (GET/HEAD/OPTIONS) or the connection was refused (the upstream never saw it).
 *   Otherwise the client gets a 502; with no instance to send to, a 503.
 * - Draining is sticky for an instance while it stays in the table; an instance that leaves the
 *   table and comes back starts undrained. A drain that times out destroys the instance's upgraded
 *   (WebSocket) connections; plain HTTP requests are left to finish.
 * - Hot path: no JSON, no regexes, no per-request closures: per-request state is one Exchange
 *   object reached from shared event handlers through a symbol property.
 * - Not (yet) here: upstream response timeouts, passive health (a refusing instance keeps its
 *   turn), retrying an Upgrade, HTTP/2. The weighted round-robin state restarts at each setRoutes.
 */
import {
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { logger } from '../../log/logger.js';
import type {
  DataPlane,
  DrainResult,
  InstanceStats,
  ProxyStats,
  RouteTable,
  TrafficStats,
} from '../types.js';
import { Counters } from './counters.js';
import {
  Exchange,
  type ExchangeOwner,
  kEx,
  onClientClose,
  onClientRequestError,
  onUpstreamError,
  onUpstreamResponse,
  type Tagged,
} from './exchange.js';
import { hasBody, rawReply, requestIdOf, upgradeHead, upstreamHeaders } from './headers.js';
import { InstanceState, pick, RevisionState, type Waiter } from './route-state.js';
import { validate } from './routes-validation.js';

export interface BuiltinDataPlaneOptions {
  /** Idle keep-alive timeout towards clients (ms); default 65 000. */
  keepAliveTimeoutMs?: number;
  /** Max sockets per upstream instance; default 256. */
  maxSocketsPerInstance?: number;
  /** Value of X-Forwarded-Proto; default 'http'. */
  forwardedProto?: string;
}

/** Methods retried after a failure before any response byte (see the retry rule above). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

export class BuiltinDataPlane implements DataPlane, ExchangeOwner {
  private readonly server: Server;
  private revisions: RevisionState[] = [];
  private readonly instances = new Map<string, InstanceState>();
  private readonly revisionStats = new Map<string, Counters>();
  private readonly instanceStats = new Map<string, { revision: string; counters: Counters }>();
  private readonly total = new Counters();
  /** Every upgraded connection (both sides), so close() can end them all. */
  private readonly upgraded = new Set<Duplex>();
  private readonly maxSockets: number;
  private readonly proto: string;
  private closed = false;

  constructor(opts: BuiltinDataPlaneOptions = {}) {
    this.maxSockets = opts.maxSocketsPerInstance ?? 256;
    this.proto = opts.forwardedProto ?? 'http';
    const keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
    this.server = createServer({ keepAliveTimeout, headersTimeout: keepAliveTimeout + 1_000 }, (req, res) =>
      this.handle(req, res),
    );
    this.server.keepAliveTimeout = keepAliveTimeout;
    this.server.headersTimeout = keepAliveTimeout + 1_000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
    this.server.on('clientError', (_err: Error, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
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
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve({ port: typeof addr === 'object' && addr !== null ? addr.port : port });
      });
    });
  }

  /** Stops listening and closes every client and upstream connection at once. */
  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.upgraded) socket.destroy();
      for (const inst of this.instances.values()) {
        inst.agent.destroy();
        for (const w of inst.waiters) {
          clearTimeout(w.timer);
          w.resolve({ drained: inst.inFlight === 0, inFlight: inst.inFlight });
        }
        inst.waiters = [];
      }
    });
  }

  // -- HTTP ------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = requestIdOf(req.headers);
    const ex = new Exchange(
      this,
      req,
      res,
      requestId,
      upstreamHeaders(req, requestId, this.proto),
      hasBody(req),
      performance.now(),
    );
    this.total.requests++;
    this.total.inFlight++;
    (res as Tagged<ServerResponse>)[kEx] = ex;
    res.on('close', onClientClose);
    if (ex.withBody) req.on('error', onClientRequestError);
    const inst = pick(this.revisions, null);
    if (inst === null) {
      this.reply(ex, 503, 'Service Unavailable\n');
      return;
    }
    this.send(ex, inst);
  }

  private send(ex: Exchange, inst: InstanceState): void {
    ex.instance = inst;
    ex.attemptDone = false;
    inst.inFlight++;
    inst.stats.requests++;
    inst.stats.inFlight++;
    const rstats = inst.revision === null ? null : inst.revision.stats;
    ex.rstats = rstats;
    if (rstats !== null) {
      rstats.requests++;
      rstats.inFlight++;
    }
    const upstream: Tagged<ClientRequest> = httpRequest({
      host: inst.host,
      port: inst.port,
      method: ex.req.method,
      path: ex.req.url,
      headers: ex.headers,
      agent: inst.agent,
    });
    upstream[kEx] = ex;
    ex.upstream = upstream;
    upstream.on('response', onUpstreamResponse);
    upstream.on('error', onUpstreamError);
    if (ex.withBody) ex.req.pipe(upstream);
    else upstream.end();
  }

  /** Called once per upstream error event of the current attempt. */
  upstreamFailed(ex: Exchange, err: NodeJS.ErrnoException): void {
    if (ex.attemptDone) return; // the client went away and we cut the upstream off
    const inst = ex.instance!;
    if (ex.responded) {
      // Failed mid-response: nothing to do but cut the client off.
      ex.res.destroy();
      return;
    }
    inst.stats.connectionFailures++;
    if (ex.rstats !== null) ex.rstats.connectionFailures++;
    const retryable =
      !ex.retried &&
      !ex.withBody &&
      !this.closed &&
      !ex.res.destroyed &&
      (IDEMPOTENT.has(ex.req.method ?? '') || err.code === 'ECONNREFUSED');
    if (retryable) {
      const next = pick(this.revisions, inst);
      if (next !== null) {
        this.endAttempt(ex);
        ex.retried = true;
        this.send(ex, next);
        return;
      }
    }
    logger().warn({ instance: inst.id, code: err.code, requestId: ex.requestId }, 'proxy: upstream failed');
    this.reply(ex, 502, 'Bad Gateway\n');
  }

  private reply(ex: Exchange, status: number, body: string): void {
    ex.status = status;
    const res = ex.res;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-request-id': ex.requestId,
    });
    res.end(body);
    if (ex.withBody && !ex.req.complete) {
      // The body will never be read: do not keep the connection for another request.
      ex.req.unpipe();
      res.shouldKeepAlive = false;
      ex.req.resume();
    }
  }

  /** The client response is over (finished or aborted). */
  finish(ex: Exchange): void {
    const upstream = ex.upstream;
    if (upstream !== null && !ex.res.writableFinished && !upstream.destroyed) upstream.destroy();
    const status = ex.status;
    const ms = performance.now() - ex.start;
    this.total.inFlight--;
    if (status !== 0 && ex.res.writableFinished) {
      this.total.response(status);
      this.total.latency(ms);
      const inst = ex.instance;
      if (inst !== null) {
        inst.stats.response(status);
        inst.stats.latency(ms);
        const rstats = ex.rstats;
        if (rstats !== null) {
          rstats.response(status);
          rstats.latency(ms);
        }
      }
    }
    this.endAttempt(ex);
  }

  private endAttempt(ex: Exchange): void {
    if (ex.attemptDone) return;
    ex.attemptDone = true;
    const inst = ex.instance!;
    inst.stats.inFlight--;
    if (ex.rstats !== null) ex.rstats.inFlight--;
    this.release(inst);
  }

  private release(inst: InstanceState): void {
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
    inst.agent.destroy();
    if (this.instances.get(inst.id) === inst) this.instances.delete(inst.id);
  }

  private countersFor(id: string, revision: string): Counters {
    let s = this.instanceStats.get(id);
    if (s === undefined) {
      s = { revision, counters: new Counters() };
      this.instanceStats.set(id, s);
    }
    return s.counters;
  }

  // -- Upgrade (WebSocket) ---------------------------------------------------------------------

  private handleUpgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const requestId = requestIdOf(req.headers);
    this.total.requests++;
    const inst = pick(this.revisions, null);
    if (inst === null) {
      this.total.response(503);
      client.on('error', ignore);
      client.end(rawReply(503, 'Service Unavailable\n', requestId));
      return;
    }
    inst.inFlight++;
    inst.stats.requests++;
    inst.stats.inFlight++;
    const rstats = inst.revision?.stats;
    if (rstats !== undefined) {
      rstats.requests++;
      rstats.inFlight++;
    }
    this.total.inFlight++;
    const upstream: Socket = connect(inst.port, inst.host);
    inst.upgrades.add(client);
    inst.upgrades.add(upstream);
    this.upgraded.add(client);
    this.upgraded.add(upstream);
    let connected = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      // Before the upstream connected, the client is being sent a 502 and closes after it.
      if (connected || !client.writableEnded) client.destroy();
      upstream.destroy();
      inst.upgrades.delete(client);
      inst.upgrades.delete(upstream);
      this.upgraded.delete(client);
      this.upgraded.delete(upstream);
      this.total.inFlight--;
      inst.stats.inFlight--;
      if (rstats !== undefined) rstats.inFlight--;
      this.release(inst);
    };
    upstream.on('connect', () => {
      connected = true;
      upstream.write(upgradeHead(req, requestId, this.proto));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) {
        inst.stats.connectionFailures++;
        if (rstats !== undefined) rstats.connectionFailures++;
        logger().warn({ instance: inst.id, code: err.code, requestId }, 'proxy: upgrade upstream failed');
        this.total.response(502);
        if (client.writable) client.end(rawReply(502, 'Bad Gateway\n', requestId), () => client.destroy());
        else client.destroy();
      }
      end();
    });
    upstream.on('close', end);
    client.on('error', end);
    client.on('close', end);
  }
}

function ignore(): void {}

export function createBuiltinDataPlane(opts?: BuiltinDataPlaneOptions): DataPlane {
  return new BuiltinDataPlane(opts);
}
