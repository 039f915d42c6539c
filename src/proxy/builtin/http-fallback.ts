/**
 * The node:http path of the builtin data plane: what the fast path (client-connection.ts) hands a
 * connection over to when a request is anything but plain — Upgrade (WebSocket), Expect, a chunked
 * request body, HTTP/1.0, an unknown method, malformed input (node answers 400 or 431 itself).
 * It is a complete proxy on its own: an http.Server that never listens (connections arrive through
 * `adopt`) and a keep-alive http.Agent per instance. A connection stays on this path to its end.
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
import type { BuiltinDataPlane } from './builtin-data-plane.js';
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
import type { InstanceState } from './route-state.js';
import { cookieValue } from './sticky-cookie.js';

/** Methods retried after a failure before any response byte (the retry rule of builtin-data-plane.ts). */
export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export class NodeHttpPath implements ExchangeOwner {
  private readonly server: Server;

  constructor(
    private readonly plane: BuiltinDataPlane,
    keepAliveTimeout: number,
  ) {
    this.server = createServer({ keepAliveTimeout, headersTimeout: keepAliveTimeout + 1_000 }, (req, res) =>
      this.handle(req, res),
    );
    this.server.keepAliveTimeout = keepAliveTimeout;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
    this.server.on('clientError', (_err: Error, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Takes over a client connection; `pending` is what was read from it and not yet handled. */
  adopt(socket: Socket, pending: Buffer | null): void {
    if (pending !== null && pending.length > 0) socket.unshift(pending);
    this.server.emit('connection', socket);
    if (socket.isPaused()) socket.resume();
  }

  // -- HTTP ------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const plane = this.plane;
    const requestId = requestIdOf(req.headers);
    const ex = new Exchange(
      this,
      req,
      res,
      requestId,
      upstreamHeaders(req, requestId, plane.proto),
      hasBody(req),
      performance.now(),
    );
    plane.total.requests++;
    plane.total.inFlight++;
    (res as Tagged<ServerResponse>)[kEx] = ex;
    res.on('close', onClientClose);
    if (ex.withBody) req.on('error', onClientRequestError);
    const sticky = plane.sticky;
    if (sticky !== null) {
      ex.stickyCookie = sticky;
      ex.stickyWant = stickyWant(req, sticky);
    }
    const inst = sticky === null ? plane.pick(null) : plane.pickSticky(ex.stickyWant);
    if (inst === null) {
      this.reply(ex, 503, 'Service Unavailable\n');
      return;
    }
    this.send(ex, inst);
  }

  private send(ex: Exchange, inst: InstanceState): void {
    this.plane.beginAttempt(ex, inst);
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

  upstreamFailed(ex: Exchange, err: NodeJS.ErrnoException): void {
    if (ex.attemptDone) return; // the client went away and we cut the upstream off
    const plane = this.plane;
    const inst = ex.instance!;
    if (ex.responded) {
      // Failed mid-response: nothing to do but cut the client off.
      ex.res.destroy();
      return;
    }
    plane.connectionFailed(ex);
    const retryable =
      !ex.retried &&
      !ex.withBody &&
      !plane.closed &&
      !ex.res.destroyed &&
      (IDEMPOTENT.has(ex.req.method ?? '') || err.code === 'ECONNREFUSED');
    if (retryable) {
      const next = plane.pick(inst);
      if (next !== null) {
        plane.endAttempt(ex);
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

  finish(ex: Exchange): void {
    const upstream = ex.upstream;
    if (upstream !== null && !ex.res.writableFinished && !upstream.destroyed) upstream.destroy();
    const plane = this.plane;
    plane.total.inFlight--;
    if (ex.status !== 0 && ex.res.writableFinished)
      plane.answered(ex, ex.status, performance.now() - ex.start);
    plane.endAttempt(ex);
  }

  // -- Upgrade (WebSocket) ---------------------------------------------------------------------

  private handleUpgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const plane = this.plane;
    const requestId = requestIdOf(req.headers);
    plane.total.requests++;
    const sticky = plane.sticky;
    const inst = sticky === null ? plane.pick(null) : plane.pickSticky(stickyWant(req, sticky));
    if (inst === null) {
      plane.total.response(503);
      client.on('error', ignore);
      client.end(rawReply(503, 'Service Unavailable\n', requestId));
      return;
    }
    const attempt = { instance: null, rstats: null, attemptDone: true };
    plane.beginAttempt(attempt, inst);
    plane.total.inFlight++;
    const upstream: Socket = connect(inst.port, inst.host);
    const upgraded = plane.upgraded;
    inst.upgrades.add(client);
    inst.upgrades.add(upstream);
    upgraded.add(client);
    upgraded.add(upstream);
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
      upgraded.delete(client);
      upgraded.delete(upstream);
      plane.total.inFlight--;
      plane.endAttempt(attempt);
    };
    upstream.on('connect', () => {
      connected = true;
      upstream.write(upgradeHead(req, requestId, plane.proto));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) {
        plane.connectionFailed(attempt);
        logger().warn({ instance: inst.id, code: err.code, requestId }, 'proxy: upgrade upstream failed');
        plane.total.response(502);
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

/** The revision the request's sticky cookie names ('' when none); node joins Cookie lines with '; '. */
function stickyWant(req: IncomingMessage, cookie: string): string {
  const header = req.headers.cookie;
  return header === undefined ? '' : cookieValue(header, cookie);
}
