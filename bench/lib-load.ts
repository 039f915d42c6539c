/**
 * The child side of the benchmarks' load processes (bench/lib-canary-load.ts,
 * bench/lib-zero-downtime-load.ts): one GET and how it ended, and the stdin/stdout protocol.
 * The parent side is startLoadProcess() in bench/lib-tandem-bench.ts.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

export interface GetOutcome {
  /** A complete response, whatever its status. */
  answered(status: number, body: string): void;
  /** No complete response: kind is an error code, `response-error`, `error`, `aborted` or `timeout`. */
  failed(kind: string, message: string): void;
  /** The socket the request goes out on (to tell a reused keep-alive connection from a new one). */
  socket?(socket: Socket): void;
}

/** GET / on 127.0.0.1:port; resolves once exactly one of `answered` or `failed` was called. */
export function getOnce(
  port: number,
  agent: http.Agent,
  timeoutMs: number,
  outcome: GetOutcome,
): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (what: () => void) => {
      if (settled) return;
      settled = true;
      what();
      resolve();
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      const status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('error', (err: NodeJS.ErrnoException) =>
        settle(() => outcome.failed(err.code ?? 'response-error', err.message)),
      );
      res.on('aborted', () => settle(() => outcome.failed('aborted', 'response aborted')));
      res.on('end', () => settle(() => outcome.answered(status, body)));
    });
    if (outcome.socket !== undefined) req.on('socket', outcome.socket);
    req.setTimeout(timeoutMs, () => {
      settle(() => outcome.failed('timeout', `no response within ${timeoutMs} ms`));
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      settle(() => outcome.failed(err.code ?? 'error', err.message)),
    );
  });
}

/**
 * Runs `connections` loops (each given `stopping()`), prints `ready`; on a line `stop` on stdin (or
 * stdin's end, or after maxMs) lets them end, prints `result()` as one JSON line and exits.
 */
export function serveLoad(opts: {
  connections: number;
  maxMs: number;
  loop: (stopping: () => boolean) => Promise<void>;
  result: () => unknown;
}): void {
  let stopping = false;
  const loops = Promise.all(Array.from({ length: opts.connections }, () => opts.loop(() => stopping)));
  process.stdout.write('ready\n');

  let finishing = false;
  const finish = async (): Promise<void> => {
    if (finishing) return;
    finishing = true;
    stopping = true;
    await loops;
    process.stdout.write(`${JSON.stringify(opts.result())}\n`, () => process.exit(0));
  };
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      if (line.trim() === 'stop') void finish();
    })
    .on('close', () => void finish());
  // Bounded by itself, whatever the parent does.
  setTimeout(() => void finish(), opts.maxMs).unref();
}
