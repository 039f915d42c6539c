/**
 * An open-loop (paced) load for bench/autoscale.bench.ts, in a process of its own so that it does
 * not share an event loop with what it measures:
 *
 *   node --import tsx bench/lib-paced-load.ts PORT SCHEDULE MAX_INFLIGHT TIMEOUT_MS MAX_MS
 *
 * SCHEDULE is `<req/s>x<seconds>` phases, comma-separated (`50x60,400x300,50x360`). Requests
 * (GET / on 127.0.0.1:PORT over one keep-alive Agent) are fired at the phase's rate whatever the
 * answers do: every 5 ms the requests due since the phase began are sent, so a slow server does
 * not slow the offered load down (a closed loop would). At most MAX_INFLIGHT are outstanding; a
 * request due while that many are in flight is not sent and counted as `dropped` (the generator,
 * not the server, is the limit then — reported, never hidden).
 *
 * Prints `ready` and starts the schedule at once; after the last phase it stops sending and waits
 * for the requests in flight; on a line `stop` on stdin it prints the result as one JSON line (at
 * once if the schedule is over, else when it is) and exits. Stdin's end (the parent is gone) exits
 * at once; after MAX_MS it prints what it has and exits, whatever happens. The parent side is startLoadProcess() in
 * bench/lib-tandem-bench.ts.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { getOnce } from './lib-load.js';

export interface PacedPhase {
  rate: number;
  seconds: number;
  /** Date.now() when the phase began and ended (its last request was due). */
  startedAt: number;
  endedAt: number;
  sent: number;
  /** 2xx answers, other statuses, no answer (reset, refused, timeout), not sent (in-flight bound). */
  ok: number;
  non2xx: number;
  errors: number;
  dropped: number;
  /** Latency of the answered requests sent in this phase, ms. */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface PacedLoadResult {
  startedAt: number;
  endedAt: number;
  maxInflight: number;
  phases: PacedPhase[];
  /**
   * Per second since startedAt: [sent, ok, non2xx, errors, dropped]; sent and dropped by the
   * second the request was due, the others by the second it ended.
   */
  perSecond: Array<[number, number, number, number, number]>;
  /** The first few failures: `<ms since startedAt> <kind or status>: <message>`. */
  failures: string[];
}

/** `50x60,400x300` → [{rate: 50, seconds: 60}, …]; undefined when malformed. */
export function parseSchedule(text: string): Array<{ rate: number; seconds: number }> | undefined {
  const phases = text.split(',').map((p) => {
    const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(p.trim());
    return m === null ? undefined : { rate: Number(m[1]), seconds: Number(m[2]) };
  });
  if (phases.length === 0 || phases.some((p) => p === undefined || p.rate <= 0 || p.seconds <= 0))
    return undefined;
  return phases as Array<{ rate: number; seconds: number }>;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const TICK_MS = 5;
const MAX_FAILURES_KEPT = 20;

function main(): void {
  const [portArg, scheduleArg, inflightArg, timeoutArg, maxArg] = process.argv.slice(2, 7);
  const port = Number(portArg);
  const maxInflight = Number(inflightArg);
  const timeoutMs = Number(timeoutArg);
  const maxMs = Number(maxArg);
  const schedule = parseSchedule(scheduleArg ?? '');
  if (
    schedule === undefined ||
    ![port, maxInflight, timeoutMs, maxMs].every((n) => Number.isInteger(n) && n > 0)
  ) {
    console.error('usage: lib-paced-load.ts PORT <rate>x<seconds>[,…] MAX_INFLIGHT TIMEOUT_MS MAX_MS');
    process.exit(2);
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInflight });
  const startedAt = Date.now();
  const result: PacedLoadResult = {
    startedAt,
    endedAt: 0,
    maxInflight,
    phases: [],
    perSecond: [],
    failures: [],
  };
  const latencies: number[][] = [];
  const bucket = (at: number) => {
    const s = Math.max(0, Math.floor((at - startedAt) / 1000));
    while (result.perSecond.length <= s) result.perSecond.push([0, 0, 0, 0, 0]);
    return result.perSecond[s]!;
  };
  let inflight = 0;
  let drained: (() => void) | undefined;

  const fire = (phase: PacedPhase, lat: number[]) => {
    const sentAt = Date.now();
    if (inflight >= maxInflight) {
      phase.dropped++;
      bucket(sentAt)[4]++;
      return;
    }
    inflight++;
    phase.sent++;
    bucket(sentAt)[0]++;
    const t0 = performance.now();
    void getOnce(port, agent, timeoutMs, {
      answered(status) {
        const b = bucket(Date.now());
        if (status >= 200 && status < 300) {
          phase.ok++;
          b[1]++;
          lat.push(performance.now() - t0);
        } else {
          phase.non2xx++;
          b[2]++;
          if (result.failures.length < MAX_FAILURES_KEPT)
            result.failures.push(`${Date.now() - startedAt} HTTP ${status}`);
        }
      },
      failed(kind, message) {
        phase.errors++;
        bucket(Date.now())[3]++;
        if (result.failures.length < MAX_FAILURES_KEPT)
          result.failures.push(`${Date.now() - startedAt} ${kind}: ${message}`);
      },
    }).then(() => {
      inflight--;
      if (inflight === 0) drained?.();
    });
  };

  /** Runs the phases back to back, each paced from its own start (no drift across phases). */
  const runSchedule = async () => {
    let phaseStart = startedAt;
    for (const { rate, seconds } of schedule) {
      const phase: PacedPhase = {
        rate,
        seconds,
        startedAt: phaseStart,
        endedAt: phaseStart + seconds * 1000,
        sent: 0,
        ok: 0,
        non2xx: 0,
        errors: 0,
        dropped: 0,
        p50: null,
        p99: null,
        max: null,
      };
      const lat: number[] = [];
      result.phases.push(phase);
      latencies.push(lat);
      const total = Math.round(rate * seconds);
      let due = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const now = Date.now();
          const target = Math.min(total, Math.floor(((now - phase.startedAt) * rate) / 1000));
          while (due < target) {
            due++;
            fire(phase, lat);
          }
          if (now >= phase.endedAt) {
            clearInterval(timer);
            resolve();
          }
        }, TICK_MS);
      });
      phaseStart = phase.endedAt;
    }
    if (inflight > 0) await new Promise<void>((resolve) => (drained = resolve));
    result.endedAt = Date.now();
    result.phases.forEach((phase, i) => {
      const sorted = latencies[i]!.sort((a, b) => a - b);
      phase.p50 = quantile(sorted, 0.5);
      phase.p99 = quantile(sorted, 0.99);
      phase.max = sorted.at(-1) ?? null;
    });
  };

  const done = runSchedule();
  process.stdout.write('ready\n');

  let finishing = false;
  const finish = async (): Promise<void> => {
    if (finishing) return;
    finishing = true;
    await done;
    agent.destroy();
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  };
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      if (line.trim() === 'stop') void finish();
    })
    // The parent is gone (and asked for nothing): nothing will read the result.
    .on('close', () => {
      if (!finishing) process.exit(0);
    });
  // Bounded by itself, whatever the parent does (it then prints the result without waiting).
  setTimeout(() => {
    if (result.endedAt === 0) result.endedAt = Date.now();
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  }, maxMs).unref();
}

// Imported for its types and parseSchedule(); run as the load process.
if (process.argv[1] !== undefined && /lib-paced-load\.[jt]s$/.test(process.argv[1])) main();
