/**
 * The load of bench/zero-downtime.bench.ts, in a process of its own so that it does not share an
 * event loop (or a core's time slices, as far as the OS allows) with what it measures:
 *
 *   node --import tsx bench/lib-zero-downtime-load.ts PORT CONNECTIONS TIMEOUT_MS MAX_MS
 *
 * CONNECTIONS loops send GET / to 127.0.0.1:PORT back to back over one keep-alive Agent
 * (maxSockets = CONNECTIONS), so each loop keeps one connection busy. Every request ends in
 * exactly one of: a 2xx, another status, or an error (reset, refused, no response within
 * TIMEOUT_MS...); all three are counted exactly. Each failure is also logged with its wall-clock
 * time (Date.now(), comparable with the parent's), up to MAX_FAILURES_LOGGED of them.
 *
 * Prints `ready` once the loops run; on a line `stop` on stdin (or stdin's end, or after MAX_MS)
 * it stops sending, waits for the requests in flight, prints the result as one JSON line, exits.
 */
import http from 'node:http';
import { getOnce, serveLoad } from './lib-load.js';

export interface LoadFailure {
  /** Date.now() when the request ended. */
  t: number;
  /** Date.now() when the request was sent. */
  sentAt: number;
  /** `HTTP <status>`, an error code (ECONNRESET...) or `timeout`. */
  kind: string;
  message: string;
  /** Requests this connection had carried before (0: the failing request opened it). */
  reused: number;
}

export interface LoadResult {
  /** Requests that ended (ok + non2xx + errors). */
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  byStatus: Record<string, number>;
  /** Errors by kind (code or `timeout`). */
  byError: Record<string, number>;
  /** Date.now() of the first request sent and of the last one ended. */
  startedAt: number;
  endedAt: number;
  /** Responses (2xx) per whole second since startedAt: the throughput's timeline. */
  okPerSecond: number[];
  /** 2xx responses by body (its first line): which instances and releases answered. */
  bodies: Record<string, number>;
  failures: LoadFailure[];
  /** Failures not logged (past MAX_FAILURES_LOGGED); still counted above. */
  failuresNotLogged: number;
}

const MAX_FAILURES_LOGGED = 5000;
const MAX_BODIES_KEPT = 200;

const [port, connections, timeoutMs, maxMs] = process.argv.slice(2, 6).map(Number) as [
  number,
  number,
  number,
  number,
];
if (![port, connections, timeoutMs, maxMs].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: lib-zero-downtime-load.ts PORT CONNECTIONS TIMEOUT_MS MAX_MS');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const result: LoadResult = {
  requests: 0,
  ok: 0,
  non2xx: 0,
  errors: 0,
  byStatus: {},
  byError: {},
  startedAt: Date.now(),
  endedAt: 0,
  okPerSecond: [],
  bodies: {},
  failures: [],
  failuresNotLogged: 0,
};
/** Requests carried by each socket so far, to tell a reused keep-alive connection from a new one. */
const carried = new WeakMap<object, number>();

function fail(sentAt: number, kind: string, message: string, reused: number): void {
  result.requests++;
  if (kind.startsWith('HTTP ')) result.non2xx++;
  else {
    result.errors++;
    result.byError[kind] = (result.byError[kind] ?? 0) + 1;
  }
  if (result.failures.length < MAX_FAILURES_LOGGED)
    result.failures.push({ t: Date.now(), sentAt, kind, message: message.slice(0, 200), reused });
  else result.failuresNotLogged++;
}

function once(): Promise<void> {
  const sentAt = Date.now();
  let reused = 0;
  return getOnce(port, agent, timeoutMs, {
    socket: (socket) => {
      reused = carried.get(socket) ?? 0;
      carried.set(socket, reused + 1);
    },
    failed: (kind, message) => fail(sentAt, kind, message, reused),
    answered: (status, body) => {
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        result.requests++;
        result.ok++;
        const second = Math.floor((Date.now() - result.startedAt) / 1000);
        result.okPerSecond[second] = (result.okPerSecond[second] ?? 0) + 1;
        const key = body.split('\n')[0]!.trim();
        if (key in result.bodies || Object.keys(result.bodies).length < MAX_BODIES_KEPT)
          result.bodies[key] = (result.bodies[key] ?? 0) + 1;
      } else fail(sentAt, `HTTP ${status}`, `HTTP ${status}`, reused);
    },
  });
}

serveLoad({
  connections,
  maxMs,
  loop: async (stopping) => {
    while (!stopping()) await once();
  },
  result: () => {
    result.endedAt = Date.now();
    for (let i = 0; i < result.okPerSecond.length; i++) result.okPerSecond[i] ??= 0;
    agent.destroy();
    return result;
  },
});
