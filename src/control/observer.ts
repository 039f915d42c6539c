/**
 * The control plane's watch loop (issue 5). Every `observe.interval` (5 s): read the agent
 * (instances, data-plane counters, process CPU/RSS) → per-interval samples into the metrics store
 * → scrape application metrics that are due → evaluate alerts → run the autoscaler. Once a minute
 * the store rolls up and forgets what is past retention. A failed read skips the tick (the next
 * one covers the gap); nothing here can stop the control plane.
 */
import type { AgentState, StatsResponse, UsageResponse } from '../agent/protocol.js';
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import { logger } from '../log/logger.js';
import { SampleDeriver } from '../observe/collect/index.js';
import type { TandemMetrics } from '../observe/exposition/index.js';
import type { MetricsStore } from '../observe/metrics/types.js';
import type { ObservePlan } from '../observe/plan.js';
import { Scraper, type ScrapeTarget } from '../observe/scrape/index.js';
import type { Alerting } from './alerting.js';
import type { Autoscaling } from './autoscaling.js';
import type { AgentApi, Clock } from './ports.js';

const COMPACT_EVERY_MS = 60_000;
const SCRAPE_CONCURRENCY = 8;

export interface ObserverDeps {
  agent: AgentApi;
  metrics: MetricsStore;
  clock: Clock;
  plan(): ObservePlan;
  plans(): readonly EnvironmentPlan[];
  alerting(): Alerting | undefined;
  autoscaling: Autoscaling;
  exposition?: TandemMetrics;
}

export class Observer {
  private deriver: SampleDeriver;
  private readonly scrapers = new Map<string, Scraper>();
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastCompact = 0;
  private stopped = false;
  /** The last agent reads, for `tandem top` and /metrics. */
  last: { state: AgentState; stats: StatsResponse; usage: UsageResponse; at: number } | undefined;
  /** Scrape failures by instance (the last one), for status. */
  readonly scrapeFailures = new Map<string, string>();

  constructor(private readonly deps: ObserverDeps) {
    this.deriver = new SampleDeriver({ nominalIntervalMs: deps.plan().intervalMs });
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.tick();
      await this.running;
      if (!this.stopped) {
        this.timer = setTimeout(() => void loop(), this.deps.plan().intervalMs);
        this.timer.unref();
      }
    };
    void loop();
    // Alert groups wait (group_wait, group_interval) on the clock, not on the next evaluation.
    this.flushTimer = setInterval(() => this.deps.alerting()?.flush(), 1000);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.flushTimer);
    await this.running;
    for (const s of this.scrapers.values()) s.stop();
  }

  /** One pass; never throws. */
  async tick(): Promise<void> {
    const { agent, metrics, clock } = this.deps;
    if (!this.deps.plan().enabled) return;
    let state: AgentState;
    let stats: StatsResponse;
    try {
      [state, stats] = await Promise.all([agent.state(), agent.stats()]);
    } catch (err) {
      logger().debug({ err }, 'observe: the agent could not be read; skipping this tick');
      return;
    }
    const usage = await agent.usage().catch(() => ({}) as UsageResponse);
    const now = clock.now();
    this.last = { state, stats, usage, at: now };
    try {
      const samples = this.deriver.next(now, state, stats, usage);
      const app = await this.scrape(now, state);
      metrics.write(samples, app);
      if (now - this.lastCompact >= COMPACT_EVERY_MS) {
        metrics.compact(now);
        this.lastCompact = now;
      }
    } catch (err) {
      logger().warn({ err }, 'observe: writing metrics failed');
    }
    this.deps.exposition?.setTraffic(stats);
    this.deps.exposition?.setInstances(state, usage);
    try {
      const alerting = this.deps.alerting();
      await alerting?.evaluate();
      if (alerting !== undefined) {
        this.deps.exposition?.setAlerts(
          [...alerting.current().values()].map((a) => ({
            alertname: a.labels.alertname ?? '',
            severity: a.severity,
            state: a.status,
          })),
        );
      }
    } catch (err) {
      logger().warn({ err }, 'observe: alert evaluation failed');
    }
    try {
      await this.deps.autoscaling.tick(state);
    } catch (err) {
      logger().warn({ err }, 'observe: autoscaling failed');
    }
  }

  /** Scrapes the instances of services with `metrics.path` whose interval is due. */
  private async scrape(now: number, state: AgentState) {
    const plan = this.deps.plan();
    const byService = new Map<string, ScrapeTarget[]>();
    for (const i of state.instances) {
      const config = plan.scrape[i.service];
      if (config === undefined || i.port === 0 || (i.state !== 'running' && i.state !== 'starting')) continue;
      const list = byService.get(i.service) ?? [];
      list.push({
        subject: { environment: i.environment, service: i.service, instance: i.id },
        host: '127.0.0.1',
        port: i.port,
        path: config.path,
      });
      byService.set(i.service, list);
    }
    for (const name of this.scrapers.keys()) {
      if (plan.scrape[name] === undefined) {
        this.scrapers.get(name)?.stop();
        this.scrapers.delete(name);
      }
    }
    const rounds = await Promise.all(
      [...byService].map(([service, targets]) => {
        const config = plan.scrape[service] as ObservePlan['scrape'][string];
        let scraper = this.scrapers.get(service);
        if (scraper === undefined) {
          scraper = new Scraper({
            intervalMs: config.intervalMs,
            timeoutMs: config.timeoutMs,
            concurrency: SCRAPE_CONCURRENCY,
          });
          this.scrapers.set(service, scraper);
        }
        return scraper.due(now, targets);
      }),
    );
    for (const r of rounds) {
      for (const s of r.samples) this.scrapeFailures.delete(s.instance);
      for (const f of r.failures) {
        if (this.scrapeFailures.get(f.subject.instance) !== f.error)
          logger().warn({ instance: f.subject.instance, error: f.error }, 'metrics scrape failed');
        this.scrapeFailures.set(f.subject.instance, f.error);
      }
    }
    return rounds.flatMap((r) => r.samples);
  }
}
