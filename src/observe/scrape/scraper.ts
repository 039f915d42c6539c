/**
 * Schedules the scrapes: each target (an instance whose service declares `metrics.path`) at most
 * once per interval, at most `concurrency` at a time, so a slow endpoint delays no other and a
 * thousand instances do not open a thousand sockets at once. Holds only when each target was
 * last scraped; targets that left the list are forgotten.
 */
import type { AppSample, Subject } from '../metrics/types.js';
import type { ParseError } from '../prometheus/index.js';
import { type ScrapeResult, scrapeInstance } from './scrape-instance.js';

export interface ScrapeTarget {
  subject: Subject;
  host: string;
  port: number;
  path: string;
}

export interface ScraperOptions {
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  maxBytes?: number;
  maxSeries?: number;
  /** Injected for tests. */
  scrape?: typeof scrapeInstance;
  /** Timestamp of a sample (when its scrape answered); default Date.now. */
  now?: () => number;
}

export interface ScrapeRound {
  samples: AppSample[];
  /**
   * Failed scrapes, and scrapes whose exposition had problems (those also gave a sample with the
   * good lines). One entry per target, the message ready to show.
   */
  failures: Array<{ subject: Subject; error: string }>;
}

/** Problems listed in a failure message; the rest are counted. */
const SHOWN_PROBLEMS = 3;

export class Scraper {
  /** Subject key → when its last scrape was started (the `now` of that due() call). */
  private readonly last = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly controller = new AbortController();
  private readonly scrape: typeof scrapeInstance;
  private readonly now: () => number;

  constructor(private readonly opts: ScraperOptions) {
    this.scrape = opts.scrape ?? scrapeInstance;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Scrapes the targets due at `now` (never scraped, or last started `intervalMs` ago or more, and
   * not still running from an earlier call) and resolves when they have all answered or failed.
   */
  async due(now: number, targets: readonly ScrapeTarget[]): Promise<ScrapeRound> {
    const listed = new Set(targets.map((t) => keyOf(t.subject)));
    for (const key of this.last.keys())
      if (!listed.has(key) && !this.inFlight.has(key)) this.last.delete(key);

    const due: ScrapeTarget[] = [];
    for (const t of targets) {
      const key = keyOf(t.subject);
      const last = this.last.get(key);
      if (this.inFlight.has(key) || (last !== undefined && now - last < this.opts.intervalMs)) continue;
      this.last.set(key, now);
      this.inFlight.add(key); // also de-duplicates a target listed twice
      due.push(t);
    }

    const round: ScrapeRound = { samples: [], failures: [] };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const target = due[next++]!;
        try {
          this.record(round, target, await this.run(target));
        } finally {
          this.inFlight.delete(keyOf(target.subject));
        }
      }
    };
    const workers = Math.max(1, Math.min(this.opts.concurrency, due.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return round;
  }

  /** Cancels the scrapes in flight (they end as failures); for shutdown. */
  stop(): void {
    this.controller.abort();
  }

  private async run(t: ScrapeTarget): Promise<ScrapeResult> {
    try {
      return await this.scrape({
        host: t.host,
        port: t.port,
        path: t.path,
        timeoutMs: this.opts.timeoutMs,
        maxBytes: this.opts.maxBytes,
        maxSeries: this.opts.maxSeries,
        signal: this.controller.signal,
      });
    } catch (err) {
      // scrapeInstance never throws; an injected one might, and must not sink the round.
      return { ok: false, error: (err as Error)?.message ?? String(err) };
    }
  }

  private record(round: ScrapeRound, t: ScrapeTarget, result: ScrapeResult): void {
    const subject = { ...t.subject };
    if (!result.ok) {
      round.failures.push({ subject, error: result.error });
      return;
    }
    round.samples.push({ ...subject, at: this.now(), points: result.points });
    if (result.errors.length > 0) {
      round.failures.push({ subject, error: describeProblems(t, result.errors) });
    }
  }
}

function describeProblems(t: ScrapeTarget, errors: readonly ParseError[]): string {
  const shown = errors
    .slice(0, SHOWN_PROBLEMS)
    .map((e) => (e.line > 0 ? `line ${e.line}: ${e.message}` : e.message))
    .join('; ');
  const more = errors.length > SHOWN_PROBLEMS ? ` (and ${errors.length - SHOWN_PROBLEMS} more)` : '';
  return `GET http://${t.host}:${t.port}${t.path}: the metrics were read, with ${errors.length} problem(s): ${shown}${more}`;
}

function keyOf(s: Subject): string {
  return `${s.environment}\u0000${s.service}\u0000${s.instance}`;
}
