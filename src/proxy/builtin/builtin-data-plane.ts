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
import { randomUUID } from 'node:crypto';
import {
  Agent,
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { TandemError } from '../../errors.js';
import { logger } from '../../log/logger.js';
import {
  type DataPlane,
  type DrainResult,
  type InstanceStats,
  LATENCY_BUCKETS_MS,
  type ProxyStats,
  type RouteTable,
  type TrafficStats,
} from '../types.js';

export interface BuiltinDataPlaneOptions {
  /** Idle keep-alive timeout towards clients (ms); default 65 000. */
  keepAliveTimeoutMs?: number;
  /** Max sockets per upstream instance; default 256. */
  maxSocketsPerInstance?: number;
  /** Value of X-Forwarded-Proto; default 'http'. */
  forwardedProto?: string;
}

// ---------------------------------------------------------------------------------------------
// Stats

const BUCKETS = LATENCY_BUCKETS_MS;
const NBUCKETS = BUCKETS.length;

class Counters {
  requests = 0;
  r2xx = 0;
  r3xx = 0;
  r4xx = 0;
  r5xx = 0;
  connectionFailures = 0;
  inFlight = 0;
  buckets: number[] = new Array<number>(NBUCKETS + 1).fill(0);
  count = 0;
  sumMs = 0;

  response(status: number): void {
    if (status < 300) {
      if (status >= 200) this.r2xx++;
    } else if (status < 400) this.r3xx++;
    else if (status < 500) this.r4xx++;
    else this.r5xx++;
  }

  latency(ms: number): void {
    let i = 0;
    while (i < NBUCKETS && ms > BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.count++;
    this.sumMs += ms;
  }

  snapshot(): TrafficStats {
    return {
      requests: this.requests,
      responses: { '2xx': this.r2xx, '3xx': this.r3xx, '4xx': this.r4xx, '5xx': this.r5xx },
      connectionFailures: this.connectionFailures,
      inFlight: this.inFlight,
      latency: { bucketsMs: BUCKETS, counts: this.buckets.slice(), count: this.count, sumMs: this.sumMs },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Routing state

interface Waiter {
  resolve: (r: DrainResult) => void;
  timer: NodeJS.Timeout;
}

class InstanceState {
  readonly agent: Agent;
  inFlight = 0;
  draining = false;
  /** Not in the current table any more. */
  removed = false;
  revision: RevisionState | null = null;
  readonly upgrades = new Set<Duplex>();
  waiters: Waiter[] = [];

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    readonly stats: Counters,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  }
}

class RevisionState {
  current = 0;
  rr = 0;
  /** Instances not draining. */
  available = 0;
  readonly instances: InstanceState[] = [];

  constructor(
    readonly name: string,
    readonly weight: number,
    readonly stats: Counters,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Headers

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Not passed upstream either: the listener already answered `Expect: 100-continue` itself. */
const REQUEST_DROP = new Set([...HOP_BY_HOP, 'expect']);

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request id we pass on as it is: 1-128 characters of [A-Za-z0-9._:-]. */
function isSaneRequestId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 128) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) || // 0-9 and ':'
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 45 || // -
      c === 46 || // .
      c === 95; // _
    if (!ok) return false;
  }
  return true;
}

function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && isSaneRequestId(given) ? given : randomUUID();
}

/** Names listed in a Connection header (other than keep-alive/close/upgrade) are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | null {
  const value = headers.connection;
  if (value === undefined || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive')
    return null;
  let extra: Set<string> | null = null;
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '' || token === 'keep-alive' || token === 'close' || token === 'upgrade') continue;
    extra ??= new Set();
    extra.add(token);
  }
  return extra;
}

function upstreamHeaders(req: IncomingMessage, requestId: string, proto: string): OutgoingHttpHeaders {
  const src = req.headers;
  const extra = connectionListed(src);
  const out: OutgoingHttpHeaders = {};
  for (const name in src) {
    if (REQUEST_DROP.has(name) || extra?.has(name)) continue;
    out[name] = src[name];
  }
  const remote = req.socket.remoteAddress ?? '';
  const xff = src['x-forwarded-for'];
  out['x-forwarded-for'] = xff === undefined || xff === '' ? remote : `${xff}, ${remote}`;
  out['x-forwarded-proto'] = proto;
  if (src.host !== undefined) out['x-forwarded-host'] = src.host;
  out['x-request-id'] = requestId;
  return out;
}

/** Flat [name, value, ...] list of the upstream response's end-to-end headers. */
function responseHeaders(ures: IncomingMessage, requestId: string): string[] {
  const raw = ures.rawHeaders;
  const extra = connectionListed(ures.headers);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'x-request-id' || extra?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  out.push('x-request-id', requestId);
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const len = h['content-length'];
  return len !== undefined && len !== '0';
}

// ---------------------------------------------------------------------------------------------
// Per-request state

const kEx = Symbol('tandem.exchange');
type Tagged<T> = T & { [kEx]?: Exchange };

class Exchange {
  instance: InstanceState | null = null;
  /** The instance's revision counters at send time (the instance may move revisions later). */
  rstats: Counters | null = null;
  upstream: ClientRequest | null = null;
  /** The upstream attempt is over (its in-flight count released). */
  attemptDone = true;
  responded = false;
  retried = false;
  status = 0;

  constructor(
    readonly plane: BuiltinDataPlane,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly headers: OutgoingHttpHeaders,
    readonly withBody: boolean,
    readonly start: number,
  ) {}
}

function onUpstreamResponse(this: Tagged<ClientRequest>, ures: IncomingMessage): void {
  const ex = this[kEx]!;
  const res = ex.res;
  ex.responded = true;
  const status = ures.statusCode ?? 502;
  ex.status = status;
  if (res.destroyed) {
    ures.destroy();
    return;
  }
  res.writeHead(status, ures.statusMessage, responseHeaders(ures, ex.requestId));
  (ures as Tagged<IncomingMessage>)[kEx] = ex;
  ures.on('error', onUpstreamResponseError);
  ures.pipe(res);
}

function onUpstreamResponseError(this: Tagged<IncomingMessage>): void {
  const ex = this[kEx]!;
  ex.res.destroy();
}

function onUpstreamError(this: Tagged<ClientRequest>, err: NodeJS.ErrnoException): void {
  const ex = this[kEx]!;
  if (ex.upstream !== this) return;
  ex.plane.upstreamFailed(ex, err);
}

function onClientClose(this: Tagged<ServerResponse>): void {
  const ex = this[kEx]!;
  ex.plane.finish(ex);
}

function onClientRequestError(this: Tagged<IncomingMessage>): void {
  // The client went away mid-body; the response's close handler cleans up.
}

// ---------------------------------------------------------------------------------------------

export class BuiltinDataPlane implements DataPlane {
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

  // -- routing ---------------------------------------------------------------------------------

  /** Smooth weighted round-robin over the revisions that have an instance to offer. */
  private pickRevision(exclude: InstanceState | null): RevisionState | null {
    const revs = this.revisions;
    let best: RevisionState | null = null;
    let total = 0;
    for (let i = 0; i < revs.length; i++) {
      const r = revs[i]!;
      if (r.weight === 0) continue;
      const n =
        exclude !== null && exclude.revision === r && !exclude.draining ? r.available - 1 : r.available;
      if (n <= 0) continue;
      r.current += r.weight;
      total += r.weight;
      if (best === null || r.current > best.current) best = r;
    }
    if (best !== null) best.current -= total;
    return best;
  }

  /** Fewest outstanding requests; ties go round-robin. */
  private pickInstance(r: RevisionState, exclude: InstanceState | null): InstanceState | null {
    const list = r.instances;
    const n = list.length;
    let best: InstanceState | null = null;
    let bestIdx = 0;
    for (let k = 0; k < n; k++) {
      const idx = (r.rr + k) % n;
      const inst = list[idx]!;
      if (inst.draining || inst === exclude) continue;
      if (best === null || inst.inFlight < best.inFlight) {
        best = inst;
        bestIdx = idx;
      }
    }
    if (best !== null) r.rr = (bestIdx + 1) % n;
    return best;
  }

  private pick(exclude: InstanceState | null): InstanceState | null {
    if (exclude !== null && exclude.revision !== null && !exclude.removed) {
      const same = this.pickInstance(exclude.revision, exclude);
      if (same !== null) return same;
    }
    const rev = this.pickRevision(exclude);
    return rev === null ? null : this.pickInstance(rev, exclude);
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
    const inst = this.pick(null);
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
      const next = this.pick(inst);
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
    const inst = this.pick(null);
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

function upgradeHead(req: IncomingMessage, requestId: string, proto: string): string {
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let xff = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-request-id' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') continue;
    if (lower === 'x-forwarded-for') {
      xff = xff === '' ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
      continue;
    }
    head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  const remote = req.socket.remoteAddress ?? '';
  head += `X-Forwarded-For: ${xff === '' ? remote : `${xff}, ${remote}`}\r\n`;
  head += `X-Forwarded-Proto: ${proto}\r\n`;
  if (req.headers.host !== undefined) head += `X-Forwarded-Host: ${req.headers.host}\r\n`;
  head += `X-Request-Id: ${requestId}\r\n\r\n`;
  return head;
}

function rawReply(status: number, body: string, requestId: string): string {
  const reason = status === 502 ? 'Bad Gateway' : 'Service Unavailable';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}

function validate(table: RouteTable): void {
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const r of table.revisions) {
    if (names.has(r.revision)) throw invalid(`revision "${r.revision}" appears twice`);
    names.add(r.revision);
    if (!Number.isInteger(r.weight) || r.weight < 0) {
      throw invalid(`revision "${r.revision}" has weight ${r.weight}; weights are integers >= 0`);
    }
    for (const i of r.instances) {
      if (ids.has(i.id)) throw invalid(`instance "${i.id}" appears twice`);
      ids.add(i.id);
      if (!Number.isInteger(i.port) || i.port < 1 || i.port > 65_535) {
        throw invalid(`instance "${i.id}" has port ${i.port}`);
      }
    }
  }
}

function invalid(message: string): TandemError {
  return new TandemError('TANDEM_PROXY_ROUTES', `invalid route table: ${message}`);
}

export function createBuiltinDataPlane(opts?: BuiltinDataPlaneOptions): DataPlane {
  return new BuiltinDataPlane(opts);
}
