/**
 * Tandem's own /metrics (Prometheus text format 0.0.4), so an existing Prometheus and Grafana
 * can scrape the control plane: rollouts, deployments, pipeline runs, data-plane traffic,
 * instances, autoscaler decisions, alerts and incidents.
 *
 * Everything lives in a Registry of its own (never prom-client's global one), so two control
 * planes in one process (tests) never share series. Events are counted as they are appended;
 * traffic and instances come from the latest snapshot the control plane passes in and are turned
 * into samples only when scraped (the data plane already counts every request).
 *
 * Label cardinality stays bounded: environments, services, strategies, kinds and states come
 * from the config and fixed enums; a `revision` only while the data plane's stats list it; an
 * `instance` only while the agent lists it; `alertname` from the alert rules.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentState, StatsResponse } from '../../agent/protocol.js';
import type { StoredEvent } from '../../store/repositories/events.js';
import { EventFeed } from './event-feed.js';
import { type InstanceSamples, type InstanceUsage, instanceSamples } from './instances.js';
import { type FamilySample, type FamilyType, SnapshotFamily } from './snapshot-family.js';
import { type TrafficSamples, trafficSamples } from './traffic.js';

export interface TandemMetricsOptions {
  /** The control plane's own process metrics (CPU, memory, event loop…), prefixed `tandem_`. Default true. */
  defaultMetrics?: boolean;
  /** Bounds (seconds) of tandem_pipeline_run_duration_seconds. */
  pipelineBucketsSeconds?: number[];
  /** How many recent deployments the event feed remembers to label their rollouts (default 256). */
  maxTrackedDeployments?: number;
}

/** One alert (one rule × label set) and its state now; `inactive` ones may be passed too. */
export interface AlertStateInput {
  alertname: string;
  severity: string;
  /** `firing`, `pending`, `nodata`, or anything else (not counted). */
  state: string;
}

/**
 * One autoscaler evaluation: the instance count before and the one applied, or a Decision of
 * src/autoscale/decide.ts as is (`inputs.current` → `desired`).
 */
export type AutoscaleOutcome =
  | { from: number; to: number }
  | { desired: number; inputs: { current: number } };

export type AutoscaleDirection = 'up' | 'down' | 'hold';

export const DEFAULT_PIPELINE_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600,
]);

/** The alert states tandem_alerts reports (each one, zeros included, per rule seen). */
export const COUNTED_ALERT_STATES: readonly string[] = ['firing', 'pending', 'nodata'];

const DIRECTIONS: readonly AutoscaleDirection[] = ['up', 'down', 'hold'];

export class TandemMetrics {
  readonly registry = new Registry();
  private readonly feed: EventFeed;

  private readonly rollouts: Counter<'environment' | 'service' | 'strategy' | 'outcome'>;
  private readonly rolloutInProgress: Gauge<'environment' | 'service'>;
  private readonly deployments: Counter<'environment' | 'kind' | 'state'>;
  private readonly pipelineRuns: Counter<'status'>;
  private readonly pipelineDuration: Histogram;
  private readonly autoscaleDecisions: Counter<'environment' | 'service' | 'direction'>;
  private readonly desiredReplicas: Gauge<'environment' | 'service'>;

  private traffic: TrafficSamples | undefined;
  private instances: InstanceSamples | undefined;
  private alerts: FamilySample[] = [];
  private readonly openIncidents = new Set<string>();

  constructor(opts: TandemMetricsOptions = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'tandem_' });

    this.rollouts = new Counter({
      name: 'tandem_rollouts_total',
      help: 'Rollouts entering an outcome state: promoted, aborted (then rolling back) or rolled-back.',
      labelNames: ['environment', 'service', 'strategy', 'outcome'],
      registers,
    });
    this.rolloutInProgress = new Gauge({
      name: 'tandem_rollout_in_progress',
      help: '1 while a rollout of the service is under way (including awaiting approval and rolling back).',
      labelNames: ['environment', 'service'],
      registers,
    });
    this.deployments = new Counter({
      name: 'tandem_deployments_total',
      help: 'Deployments ended, by kind (deploy, rollback, restart, scale) and final state.',
      labelNames: ['environment', 'kind', 'state'],
      registers,
    });
    this.pipelineRuns = new Counter({
      name: 'tandem_pipeline_runs_total',
      help: 'Pipeline runs finished, by status.',
      labelNames: ['status'],
      registers,
    });
    this.pipelineDuration = new Histogram({
      name: 'tandem_pipeline_run_duration_seconds',
      help: 'Duration of finished pipeline runs.',
      buckets: [...(opts.pipelineBucketsSeconds ?? DEFAULT_PIPELINE_BUCKETS_SECONDS)],
      registers,
    });

    this.snapshot(
      'tandem_http_requests_total',
      'counter',
      'Responses of the data plane, by code class (cumulative since the agent started).',
      () => this.traffic?.requests,
    );
    this.snapshot(
      'tandem_http_request_duration_seconds',
      'histogram',
      "Time from a request's arrival at the data plane to the end of its response.",
      () => this.traffic?.duration,
    );
    this.snapshot(
      'tandem_http_upstream_connection_failures_total',
      'counter',
      'Connections to an instance that failed (refused, reset before a response).',
      () => this.traffic?.connectionFailures,
    );
    this.snapshot(
      'tandem_http_requests_in_flight',
      'gauge',
      'Requests and upgraded connections in flight through the data plane now.',
      () => this.traffic?.inFlight,
    );
    this.snapshot('tandem_instances', 'gauge', 'Instances by state.', () => this.instances?.count);
    this.snapshot(
      'tandem_instances_healthy',
      'gauge',
      'Instances passing their health check now.',
      () => this.instances?.healthy,
    );
    this.snapshot(
      'tandem_instance_cpu_seconds_total',
      'counter',
      "CPU time (user + system) of the instance's process group since its current process started.",
      () => this.instances?.cpu,
    );
    this.snapshot(
      'tandem_instance_resident_memory_bytes',
      'gauge',
      "Resident memory of the instance's processes.",
      () => this.instances?.rss,
    );
    this.snapshot(
      'tandem_instance_restarts_total',
      'counter',
      'Restarts of the instance after unplanned exits.',
      () => this.instances?.restarts,
    );

    this.autoscaleDecisions = new Counter({
      name: 'tandem_autoscaler_decisions_total',
      help: 'Autoscaler evaluations, by the direction of the change they made.',
      labelNames: ['environment', 'service', 'direction'],
      registers,
    });
    this.desiredReplicas = new Gauge({
      name: 'tandem_autoscaler_desired_replicas',
      help: "The autoscaler's latest desired instance count.",
      labelNames: ['environment', 'service'],
      registers,
    });
    this.snapshot('tandem_alerts', 'gauge', 'Alerts by state (firing, pending, nodata).', () => this.alerts);
    this.snapshot('tandem_incidents_open', 'gauge', 'Incidents open now.', () => [
      { labels: {}, value: this.openIncidents.size },
    ]);

    this.feed = new EventFeed(
      {
        rolloutOutcome: (labels) => this.rollouts.inc(labels),
        rolloutInProgress: (environment, service, on) =>
          this.rolloutInProgress.set({ environment, service }, on ? 1 : 0),
        deploymentEnded: (labels) => this.deployments.inc(labels),
        pipelineRunFinished: (status, seconds) => {
          this.pipelineRuns.inc({ status });
          if (seconds !== undefined) this.pipelineDuration.observe(seconds);
        },
        incidentOpened: (id) => this.openIncidents.add(id),
        incidentResolved: (id) => this.openIncidents.delete(id),
      },
      opts.maxTrackedDeployments,
    );
    for (const status of ['passed', 'failed', 'cancelled']) this.pipelineRuns.inc({ status }, 0);
  }

  /** Feed every event the store appends (any type; unknown ones are ignored). */
  onEvent(e: StoredEvent): void {
    this.feed.onEvent(e);
  }

  /**
   * A deployment that started before this process (seed the progressing ones at startup), so
   * its rollouts' events get their environment and strategy.
   */
  trackDeployment(id: string, info: { environment: string; kind: string; strategy?: string | null }): void {
    this.feed.trackDeployment(id, info);
  }

  /** The agent's latest GET /v1/stats; undefined (agent unreachable) drops the traffic series. */
  setTraffic(stats: StatsResponse | undefined): void {
    this.traffic = stats === undefined ? undefined : trafficSamples(stats);
  }

  /**
   * The agent's latest state, with per-instance usage when measured (keyed by instance id).
   * `services` (from the config) are reported with zero instances too.
   */
  setInstances(
    state: Pick<AgentState, 'instances'> | undefined,
    usage?: Readonly<Record<string, InstanceUsage | null>>,
    services?: ReadonlyArray<{ environment: string; service: string }>,
  ): void {
    this.instances = state === undefined ? undefined : instanceSamples(state, usage, services);
  }

  /** One autoscaler evaluation of a service; returns the direction it counted. */
  recordAutoscale(environment: string, service: string, outcome: AutoscaleOutcome): AutoscaleDirection {
    const [from, to] =
      'from' in outcome ? [outcome.from, outcome.to] : [outcome.inputs.current, outcome.desired];
    const direction: AutoscaleDirection = to > from ? 'up' : to < from ? 'down' : 'hold';
    for (const d of DIRECTIONS)
      this.autoscaleDecisions.inc({ environment, service, direction: d }, d === direction ? 1 : 0);
    this.desiredReplicas.set({ environment, service }, to);
    return direction;
  }

  /** Every alert now (replaces the previous call's). Each rule seen gets all counted states, zeros included. */
  setAlerts(alerts: readonly AlertStateInput[]): void {
    const counts = new Map<string, { alertname: string; severity: string; byState: Map<string, number> }>();
    for (const a of alerts) {
      const key = JSON.stringify([a.alertname, a.severity]);
      let entry = counts.get(key);
      if (entry === undefined) {
        entry = { alertname: a.alertname, severity: a.severity, byState: new Map() };
        counts.set(key, entry);
      }
      entry.byState.set(a.state, (entry.byState.get(a.state) ?? 0) + 1);
    }
    this.alerts = [...counts.keys()].sort().flatMap((key) => {
      const { alertname, severity, byState } = counts.get(key)!;
      return COUNTED_ALERT_STATES.map((state) => ({
        labels: { alertname, severity, state },
        value: byState.get(state) ?? 0,
      }));
    });
  }

  /** The incidents open now (at startup, from the store); incident events keep it current after. */
  setOpenIncidents(ids: Iterable<string>): void {
    this.openIncidents.clear();
    for (const id of ids) this.openIncidents.add(id);
  }

  /** The exposition to answer GET /metrics with. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private snapshot(
    name: string,
    type: FamilyType,
    help: string,
    samples: () => FamilySample[] | undefined,
  ): void {
    this.registry.registerMetric(new SnapshotFamily(name, help, type, () => samples() ?? []).asMetric());
  }
}
