/**
 * Per-request state of the builtin data plane. No per-request closures: the state is one Exchange
 * object, reached from the shared event handlers below through a symbol property set on the
 * emitters (client response, upstream request, upstream response).
 */
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Counters } from './counters.js';
import { responseHeaders } from './headers.js';
import type { InstanceState } from './route-state.js';
import { setCookieValue } from './sticky-cookie.js';

/** What an Exchange reports to: the data plane that owns it. */
export interface ExchangeOwner {
  /** Called once per upstream error event of the current attempt. */
  upstreamFailed(ex: Exchange, err: NodeJS.ErrnoException): void;
  /** The client response is over (finished or aborted). */
  finish(ex: Exchange): void;
}

export const kEx = Symbol('tandem.exchange');
export type Tagged<T> = T & { [kEx]?: Exchange };

export class Exchange {
  instance: InstanceState | null = null;
  /** The instance's revision counters at send time (the instance may move revisions later). */
  rstats: Counters | null = null;
  upstream: ClientRequest | null = null;
  /** The upstream attempt is over (its in-flight count released). */
  attemptDone = true;
  responded = false;
  retried = false;
  status = 0;
  /** The sticky cookie's name when the table was sticky at the request's start, else null. */
  stickyCookie: string | null = null;
  /** The revision the request's cookie named ('' when none). */
  stickyWant = '';

  constructor(
    readonly plane: ExchangeOwner,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly headers: OutgoingHttpHeaders,
    readonly withBody: boolean,
    readonly start: number,
  ) {}
}

export function onUpstreamResponse(this: Tagged<ClientRequest>, ures: IncomingMessage): void {
  const ex = this[kEx]!;
  const res = ex.res;
  ex.responded = true;
  const status = ures.statusCode ?? 502;
  ex.status = status;
  if (res.destroyed) {
    ures.destroy();
    return;
  }
  const headers = responseHeaders(ures, ex.requestId);
  if (ex.stickyCookie !== null) {
    // Pin the client to the revision that answered, unless its cookie already names it.
    const rev = ex.instance?.revision ?? null;
    if (rev !== null && rev.name !== ex.stickyWant)
      headers.push('set-cookie', setCookieValue(ex.stickyCookie, rev.name));
  }
  res.writeHead(status, ures.statusMessage, headers);
  (ures as Tagged<IncomingMessage>)[kEx] = ex;
  ures.on('error', onUpstreamResponseError);
  ures.pipe(res);
}

function onUpstreamResponseError(this: Tagged<IncomingMessage>): void {
  const ex = this[kEx]!;
  ex.res.destroy();
}

export function onUpstreamError(this: Tagged<ClientRequest>, err: NodeJS.ErrnoException): void {
  const ex = this[kEx]!;
  if (ex.upstream !== this) return;
  ex.plane.upstreamFailed(ex, err);
}

export function onClientClose(this: Tagged<ServerResponse>): void {
  const ex = this[kEx]!;
  ex.plane.finish(ex);
}

export function onClientRequestError(this: Tagged<IncomingMessage>): void {
  // The client went away mid-body; the response's close handler cleans up.
}
