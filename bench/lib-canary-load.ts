/**
 * The load of bench/canary.bench.ts, in a process of its own so that it does not share an event
 * loop with what it measures:
 *
 *   node --import tsx bench/lib-canary-load.ts PORT CONNECTIONS GAP_MS TIMEOUT_MS MAX_MS
 *
 * CONNECTIONS loops send GET / to 127.0.0.1:PORT over one keep-alive Agent (maxSockets =
 * CONNECTIONS), each waiting GAP_MS between its requests (0: back to back). Every request ends in
 * exactly one event, kept in order: when it ended (ms since `startedAt`, Date.now() based so the
 * parent can compare), its status (0: no response: reset, refused, timeout) and which release
 * answered (the first word of the body: the test app answers `<release> <instance>` on 200 and 500
 * alike). That timeline is what the benchmark measures: the first 500, the last answer of the canary.
 *
 * Prints `ready` once the loops run; on a line `stop` on stdin (or stdin's end, or after MAX_MS)
 * it stops sending, waits for the requests in flight, prints the result as one JSON line, exits.
 */
import http from 'node:http';
import { getOnce, serveLoad } from './lib-load.js';

export interface CanaryLoadResult {
  /** Date.now() of the first request sent; event times are relative to it. */
  startedAt: number;
  endedAt: number;
  /** Releases seen, in order of first answer; events refer to them by index (-1: none). */
  releases: string[];
  /** [ms since startedAt when the request ended, status (0 = no response), release index]. */
  events: Array<[number, number, number]>;
  /** The first few error messages (no response). */
  errors: string[];
}

const [port, connections, gapMs, timeoutMs, maxMs] = process.argv.slice(2, 7).map(Number) as [
  number,
  number,
  number,
  number,
  number,
];
if (
  ![port, connections, timeoutMs, maxMs].every((n) => Number.isInteger(n) && n > 0) ||
  !(Number.isInteger(gapMs) && gapMs >= 0)
) {
  console.error('usage: lib-canary-load.ts PORT CONNECTIONS GAP_MS TIMEOUT_MS MAX_MS');
  process.exit(2);
}

const MAX_ERRORS_KEPT = 10;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const result: CanaryLoadResult = { startedAt: Date.now(), endedAt: 0, releases: [], events: [], errors: [] };
const releaseIndex = new Map<string, number>();

function record(status: number, release: string | undefined): void {
  let index = -1;
  if (release !== undefined) {
    index = releaseIndex.get(release) ?? -1;
    if (index < 0) {
      index = result.releases.push(release) - 1;
      releaseIndex.set(release, index);
    }
  }
  result.events.push([Date.now() - result.startedAt, status, index]);
}

function failed(message: string): void {
  record(0, undefined);
  if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push(message);
}

function once(): Promise<void> {
  return getOnce(port, agent, timeoutMs, {
    answered: (status, body) => record(status, body.trim().split(/\s+/)[0] ?? ''),
    // `aborted` and `timeout` say it all in their message; errors are `<code>: <message>`.
    failed: (kind, message) =>
      failed(kind === 'aborted' || kind === 'timeout' ? message : `${kind}: ${message}`),
  });
}

serveLoad({
  connections,
  maxMs,
  loop: async (stopping) => {
    while (!stopping()) {
      await once();
      if (gapMs > 0 && !stopping()) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  },
  result: () => {
    result.endedAt = Date.now();
    agent.destroy();
    return result;
  },
});
