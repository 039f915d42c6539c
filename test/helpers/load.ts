/**
 * A keep-alive HTTP load generator on node:http, for the zero-downtime integration tests:
 * `concurrency` loops each send GET requests back to back over a shared keep-alive agent until
 * stop() (or `durationMs`), counting 2xx, other statuses and errors. A test asserts
 * `failed === 0 && non2xx === 0` and that `ok` passed some minimum (the load really ran).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  port: number;
  host?: string;
  path?: string;
  /** Concurrent loops (one keep-alive connection each, at most). Default 4. */
  concurrency?: number;
  /** Stop by itself after this long; default: only stop() ends it. */
  durationMs?: number;
  /** A request without a complete response after this long counts as failed. Default 10 s. */
  requestTimeoutMs?: number;
  /** Pause between the requests of one loop (0 = back to back, the default). */
  gapMs?: number;
  /**
   * Called for every complete response, whatever its status, with the first line of its body
   * (trimmed) and Date.now() at its end: e.g. to tell which revision answered a 500, and when.
   */
  onResponse?: (response: { status: number; body: string; at: number }) => void;
}

export interface LoadResult {
  /** Requests answered 2xx. */
  ok: number;
  /** Requests answered with another status. */
  non2xx: number;
  byStatus: Record<number, number>;
  /** Requests that got no complete response (connection refused or reset, timeout...). */
  failed: number;
  /** The first few error messages, for the assertion message. */
  errors: string[];
  /** Distinct response bodies (first line, trimmed) and how often each was seen. */
  bodies: Record<string, number>;
}

export interface Load {
  /** Counts so far (a copy). */
  snapshot(): LoadResult;
  /** Resolves once at least `n` more 2xx responses have arrived than at the call (bounded). */
  moreOk(n: number, timeoutMs?: number): Promise<void>;
  /** Stops the loops, waits for the requests in flight, and returns the final counts. */
  stop(): Promise<LoadResult>;
}

const MAX_ERRORS_KEPT = 5;
const MAX_BODIES_KEPT = 50;

export function startLoad(opts: LoadOptions): Load {
  const host = opts.host ?? '127.0.0.1';
  const concurrency = opts.concurrency ?? 4;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, non2xx: 0, byStatus: {}, failed: 0, errors: [], bodies: {} };
  let stopped = false;
  const timer =
    opts.durationMs === undefined
      ? undefined
      : setTimeout(() => {
          stopped = true;
        }, opts.durationMs);

  const fail = (message: string) => {
    result.failed++;
    if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push(message);
  };

  const once = () =>
    new Promise<void>((resolve) => {
      let settled = false;
      const settle = (what: () => void) => {
        if (settled) return;
        settled = true;
        what();
        resolve();
      };
      const req = http.get({ host, port: opts.port, path: opts.path ?? '/', agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', (err) => settle(() => fail(`response: ${err.message}`)));
        res.on('aborted', () => settle(() => fail('response aborted')));
        res.on('end', () =>
          settle(() => {
            const status = res.statusCode ?? 0;
            opts.onResponse?.({
              status,
              body: Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() ?? '',
              at: Date.now(),
            });
            result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
            if (status >= 200 && status < 300) {
              result.ok++;
              const body = Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() ?? '';
              if (body in result.bodies || Object.keys(result.bodies).length < MAX_BODIES_KEPT)
                result.bodies[body] = (result.bodies[body] ?? 0) + 1;
            } else {
              result.non2xx++;
              if (result.errors.length < MAX_ERRORS_KEPT)
                result.errors.push(`HTTP ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
            }
          }),
        );
      });
      req.setTimeout(timeoutMs, () => {
        settle(() => fail(`no response within ${timeoutMs} ms`));
        req.destroy();
      });
      req.on('error', (err: NodeJS.ErrnoException) =>
        settle(() => fail(`${err.code ?? 'error'}: ${err.message}`)),
      );
    });

  const loop = async () => {
    while (!stopped) {
      await once();
      if (opts.gapMs) await sleep(opts.gapMs);
    }
  };
  const loops = Promise.all(Array.from({ length: concurrency }, loop));

  const snapshot = (): LoadResult => ({
    ...result,
    byStatus: { ...result.byStatus },
    errors: [...result.errors],
    bodies: { ...result.bodies },
  });

  return {
    snapshot,
    async moreOk(n, waitMs = 30_000) {
      const target = result.ok + n;
      const deadline = Date.now() + waitMs;
      while (result.ok < target) {
        if (Date.now() > deadline || stopped)
          throw new Error(
            `the load got ${result.ok - (target - n)} of ${n} more 2xx responses in ${waitMs} ms: ${JSON.stringify(snapshot())}`,
          );
        await sleep(20);
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await loops;
      agent.destroy();
      return snapshot();
    },
  };
}

/** One line for an assertion message. */
export function describeLoad(r: LoadResult): string {
  return `ok ${r.ok}, non-2xx ${r.non2xx} ${JSON.stringify(r.byStatus)}, failed ${r.failed}${r.errors.length > 0 ? `; first errors: ${r.errors.join(' | ')}` : ''}`;
}
