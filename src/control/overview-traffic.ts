/**
 * The overview's traffic figures (req/s, error rate, p95 over the last minute) for every service,
 * kept fresh in the background instead of read per request.
 *
 * The metrics store answers one window per call, and a call costs a fraction of a millisecond:
 * with 2,000 services × environments that is seconds of work, far over the overview's budget.
 * So a sweep reads every service aggregate that reported data, in slices of 2 milliseconds
 * that yield to the event loop (the API keeps answering meanwhile), and the overview reads the
 * last complete sweep. A sweep runs only while someone reads (the dashboard is open): when the
 * last one is older than `refreshMs`, the next read starts another and is answered from the
 * previous one. The very first read waits for its sweep, briefly: a large project's first
 * figures come with a later read (the overview says when its figures are from: `trafficAt`).
 */
import { logger } from '../log/logger.js';
import type { MetricsSource } from '../observe/metrics/types.js';
import { errorRatio, quantileMs, requestRate } from '../observe/metrics/window-math.js';
import { serviceKey } from './ports.js';

export interface Traffic {
  rps: number | null;
  errorRate: number | null;
  p95Ms: number | null;
}

export interface TrafficSnapshot {
  /** When the sweep started (ms); null: no figures (none yet, or the metrics store is not open). */
  at: number | null;
  /** By `<environment>.<service>`; services without data in the window are absent. */
  byService: ReadonlyMap<string, Traffic>;
}

export interface TrafficCacheOptions {
  /** The metrics store; may throw while it is not open (the figures then read as unknown). */
  metrics(): MetricsSource;
  /** The window the figures cover (default 60 s). */
  windowMs?: number;
  /** A sweep older than this is refreshed on the next read (default 15 s; at least 10× the last sweep's duration). */
  refreshMs?: number;
  /** Work done before yielding to the event loop (default 2 ms). */
  sliceMs?: number;
  /** How long the first read waits for the first sweep before answering without figures (default 300 ms). */
  firstWaitMs?: number;
  /** How a sweep yields between slices (setImmediate by default; tests hold it). */
  pause?(): Promise<void>;
  now?(): number;
}

const EMPTY: TrafficSnapshot = { at: null, byService: new Map() };

export class TrafficCache {
  private current: TrafficSnapshot = EMPTY;
  private sweeping: Promise<TrafficSnapshot> | undefined;
  /** How long the last sweep took (wall time, ms). */
  private lastSweepMs = 0;
  private readonly windowMs: number;
  private readonly refreshMs: number;
  private readonly sliceMs: number;
  private readonly firstWaitMs: number;
  private readonly pause: () => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: TrafficCacheOptions) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.refreshMs = opts.refreshMs ?? 15_000;
    this.sliceMs = opts.sliceMs ?? 2;
    this.firstWaitMs = opts.firstWaitMs ?? 300;
    this.pause = opts.pause ?? (() => new Promise((resolve) => setImmediate(resolve)));
    this.now = opts.now ?? Date.now;
  }

  /** The latest complete sweep; starts a new one when it is stale, and waits only for the first. */
  async read(): Promise<TrafficSnapshot> {
    // A slow sweep (a large project) runs less often: at most a tenth of the time.
    const refreshMs = Math.max(this.refreshMs, 10 * this.lastSweepMs);
    const fresh = this.current.at !== null && this.now() - this.current.at < refreshMs;
    if (!fresh && this.sweeping === undefined) {
      const sweep = this.sweep().finally(() => {
        if (this.sweeping === sweep) this.sweeping = undefined;
      });
      this.sweeping = sweep;
    }
    if (this.current.at === null && this.sweeping !== undefined) {
      // The first sweep of a large project takes seconds: answer without figures rather than wait.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<TrafficSnapshot>((resolve) => {
        timer = setTimeout(() => resolve(this.current), this.firstWaitMs);
      });
      try {
        return await Promise.race([this.sweeping, waited]);
      } finally {
        clearTimeout(timer);
      }
    }
    return this.current;
  }

  /** The last complete sweep, without starting one. */
  snapshot(): TrafficSnapshot {
    return this.current;
  }

  private async sweep(): Promise<TrafficSnapshot> {
    const started = performance.now();
    const at = this.now();
    const from = at - this.windowMs;
    let metrics: MetricsSource;
    let subjects: ReturnType<MetricsSource['subjects']>;
    try {
      metrics = this.opts.metrics();
      subjects = metrics.subjects(from).filter((s) => s.instance === '');
    } catch (err) {
      logger().debug({ err }, 'overview: metrics not available');
      return this.current;
    }
    const byService = new Map<string, Traffic>();
    let sliceStart = performance.now();
    for (const s of subjects) {
      if (performance.now() - sliceStart >= this.sliceMs) {
        await this.pause();
        sliceStart = performance.now();
      }
      try {
        const w = metrics.window(s, from, at);
        if (w.ticks === 0) continue;
        byService.set(serviceKey(s.environment, s.service), {
          rps: requestRate(w) ?? null,
          errorRate: errorRatio(w) ?? null,
          p95Ms: quantileMs(w.latency, 0.95) ?? null,
        });
      } catch (err) {
        // The store closed mid-sweep (shutdown): keep the figures there are.
        logger().debug({ err }, 'overview: a metrics window failed');
        return this.current;
      }
    }
    this.current = { at, byService };
    this.lastSweepMs = performance.now() - started;
    return this.current;
  }
}

/** One sweep, read at once (small projects and tests). */
export async function trafficNow(metrics: () => MetricsSource, now: number): Promise<TrafficSnapshot> {
  return new TrafficCache({
    metrics,
    now: () => now,
    sliceMs: Number.POSITIVE_INFINITY,
    firstWaitMs: Number.POSITIVE_INFINITY,
  }).read();
}
