/**
 * The dashboard's overview (GET /overview): every service × environment with what it runs, how
 * healthy it is, its traffic over the last minute, its current rollout, owners, incidents,
 * alerts and autoscale range. Built for 1,000+ services:
 *
 * - Each environment's part is read with a fixed number of queries whatever its number of
 *   services (its service states; its latest deployment; that deployment's rollouts; its open
 *   incidents and firing alerts, counted by the database).
 * - OverviewModel keeps each environment's part and reads it again only when it may have
 *   changed: every state change writes an event in the same transaction, and events carry their
 *   environment, so the events since the last request name the environments to read again. A
 *   dashboard polling a busy store re-reads the environments that changed, not all of them.
 * - Health (from the watch loop's last agent read) and traffic (a TrafficCache, see
 *   overview-traffic.ts: the metrics store reads one window per call, too slow to do per request
 *   for every service) are joined in at every request, from memory.
 */

import { sql } from 'kysely';
import type { AgentState } from '../agent/protocol.js';
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import type { Rollout, RolloutState } from '../delivery/types.js';
import type { MetricsSource } from '../observe/metrics/types.js';
import type { DeploymentKind, DeploymentState } from '../store/database.js';
import type { Store } from '../store/store.js';
import { type TrafficSnapshot, trafficNow } from './overview-traffic.js';
import { releaseOfRevision, serviceKey } from './ports.js';
import { rolloutStateOf } from './status.js';

/** What the overview reads from the control plane (ControlPlane implements it; tests pass fakes). */
export interface OverviewSource {
  environments(): readonly EnvironmentPlan[];
  observeConfig(): { owners: Record<string, string | undefined> };
  /** Throws when the metrics store is not open yet: traffic then reads as unknown. */
  metrics(): MetricsSource;
  /** The watch loop's last agent read; undefined before the first one. */
  lastObservation(): { state: AgentState; at?: number } | undefined;
}

export type HealthStatus = 'healthy' | 'degraded' | 'down' | 'unknown' | 'not-deployed';

export interface OverviewRollout {
  deployment: string;
  kind: DeploymentKind;
  /** The rollout's state for this service (pending, progressing, paused, promoted, rolled-back…). */
  state: RolloutState | string;
  strategy: string | null;
  /** The release being rolled out. */
  release: string;
  /** True while the deployment progresses. */
  active: boolean;
  /** Progressing rollouts only (the record is read for those alone). */
  step: number | null;
  /** Canary: the weight of the current step (percent). */
  weight: number | null;
  /** Canary: the number of steps. */
  steps: number | null;
  startedAt: string;
}

export interface OverviewService {
  environment: string;
  service: string;
  /** The release serving; null when never deployed. */
  release: string | null;
  /** The revision serving (`<release>.<n>` after restarts). */
  revision: string | null;
  health: { status: HealthStatus; ready: number | null; desired: number };
  /** Desired instances. */
  replicas: number;
  /** Over the last minute, from the service's aggregate metrics; null when no data. */
  traffic: { rps: number | null; errorRate: number | null; p95Ms: number | null };
  /** The service's rollout in the environment's latest deployment; null when none. */
  rollout: OverviewRollout | null;
  owners: { team: string | null };
  incidents: { open: number };
  alerts: { firing: number };
  autoscale: { min: number; max: number } | null;
}

export interface OverviewEnvironment {
  name: string;
  protected: boolean;
  approval: string[];
  strategy: string;
  /** The latest deployment of the environment; null when none. */
  deployment: {
    id: string;
    kind: DeploymentKind;
    release: string;
    state: DeploymentState;
    /** In the rollout vocabulary (promoted, paused, awaiting-approval…). */
    rolloutState: string;
    startedAt: string;
    finishedAt: string | null;
  } | null;
}

export interface Overview {
  /** ISO-8601 UTC: when it was computed. */
  at: string;
  /** The traffic window (ms). */
  windowMs: number;
  /** When the traffic figures were read (they are refreshed in the background); null: none yet. */
  trafficAt: string | null;
  environments: OverviewEnvironment[];
  services: OverviewService[];
}

export const OVERVIEW_WINDOW_MS = 60_000;
/** A part with a deployment in progress is read again after this long (rolling steps change records without events). */
const ACTIVE_MAX_AGE_MS = 2000;
/** Any other part: a backstop, in case a change wrote no event. */
const IDLE_MAX_AGE_MS = 30_000;
/** More new events than this at once: every part is read again rather than sorting them out. */
const MAX_EVENTS_SCANNED = 5000;

/** One service's row without what is joined in per request (health, traffic). */
type BaseRow = Omit<OverviewService, 'health' | 'traffic'> & { deployed: boolean };

interface Part {
  environment: OverviewEnvironment;
  rows: BaseRow[];
  readAt: number;
  progressing: boolean;
}

export interface OverviewModelOptions {
  now?(): number;
  activeMaxAgeMs?: number;
  idleMaxAgeMs?: number;
}

/** The overview of a running control plane, kept per environment (see the file comment). */
export class OverviewModel {
  private readonly parts = new Map<string, Promise<Part>>();
  /** The last answer per environment filter, with what it was made of. */
  private readonly answers = new Map<
    string,
    { parts: Part[]; observation: unknown; traffic: TrafficSnapshot; overview: Overview }
  >();
  private readonly dirty = new Set<string>();
  private plans: readonly EnvironmentPlan[] | undefined;
  /** The last event id looked at; undefined before the first read. */
  private lastEventId: number | undefined;
  private readonly now: () => number;
  private readonly activeMaxAgeMs: number;
  private readonly idleMaxAgeMs: number;

  constructor(
    private readonly store: Store,
    private readonly source: OverviewSource,
    opts: OverviewModelOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.activeMaxAgeMs = opts.activeMaxAgeMs ?? ACTIVE_MAX_AGE_MS;
    this.idleMaxAgeMs = opts.idleMaxAgeMs ?? IDLE_MAX_AGE_MS;
  }

  async get(opts: { environment?: string; traffic?: TrafficSnapshot } = {}): Promise<Overview> {
    const now = this.now();
    const plans = this.source.environments();
    if (plans !== this.plans) {
      // A new config (apply, deploy): every part is read again against it.
      this.plans = plans;
      this.parts.clear();
    }
    await this.markChanged();
    const wanted = plans.filter((e) => opts.environment === undefined || e.name === opts.environment);
    const parts = await Promise.all(wanted.map((env) => this.part(env, now)));
    const traffic = opts.traffic ?? (await trafficNow(() => this.source.metrics(), now));
    const observation = this.source.lastObservation();
    // Same parts, same agent read, same traffic: the same answer as last time.
    const slot = opts.environment ?? '';
    const last = this.answers.get(slot);
    if (
      last !== undefined &&
      last.observation === observation &&
      last.traffic === traffic &&
      last.parts.length === parts.length &&
      last.parts.every((p, i) => p === parts[i])
    ) {
      return last.overview;
    }
    const overview = assemble(parts, traffic, readyCounts(observation?.state), now);
    this.answers.set(slot, { parts, observation, traffic, overview });
    return overview;
  }
  /** Marks the environments named by the events written since the last call. */
  private async markChanged(): Promise<void> {
    const after = this.lastEventId;
    if (after === undefined) {
      const { id } = await this.store.db
        .selectFrom('events')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow();
      this.lastEventId = Number(id ?? 0);
      return;
    }
    const rows = await this.store.db
      .selectFrom('events')
      .select(['id', 'environment'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(MAX_EVENTS_SCANNED)
      .execute();
    const last = rows.at(-1);
    if (last === undefined) return;
    this.lastEventId = last.id;
    if (rows.length === MAX_EVENTS_SCANNED) {
      // Too much at once: read everything again, from the newest event on.
      const { id } = await this.store.db
        .selectFrom('events')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow();
      this.lastEventId = Number(id ?? last.id);
      this.parts.clear();
      return;
    }
    for (const r of rows) if (r.environment !== null) this.dirty.add(r.environment);
  }

  private part(env: EnvironmentPlan, now: number): Promise<Part> {
    const cached = this.parts.get(env.name);
    if (cached !== undefined && !this.dirty.has(env.name)) {
      return cached.then((p) => {
        const maxAge = p.progressing ? this.activeMaxAgeMs : this.idleMaxAgeMs;
        return now - p.readAt < maxAge ? p : this.read(env, now);
      });
    }
    return this.read(env, now);
  }

  private read(env: EnvironmentPlan, now: number): Promise<Part> {
    this.dirty.delete(env.name);
    const part = readPart(this.store, env, this.source.observeConfig().owners, now);
    this.parts.set(env.name, part);
    // A failed read is not kept.
    part.catch(() => {
      if (this.parts.get(env.name) === part) this.parts.delete(env.name);
    });
    return part;
  }
}

/** The overview computed at once (tests, small projects): an OverviewModel used once. */
export function buildOverview(
  store: Store,
  source: OverviewSource,
  opts: {
    environment?: string;
    now?: number;
    /** The traffic figures (a TrafficCache's); read from the metrics store at once by default. */
    traffic?: TrafficSnapshot;
  } = {},
): Promise<Overview> {
  const now = opts.now;
  const model = new OverviewModel(store, source, now === undefined ? {} : { now: () => now });
  const { now: _now, ...rest } = opts;
  return model.get(rest);
}

/** One environment's part: a fixed number of queries, whatever its number of services. */
async function readPart(
  store: Store,
  env: EnvironmentPlan,
  owners: Record<string, string | undefined>,
  now: number,
): Promise<Part> {
  const [states, deployment, incidents, alerts] = await Promise.all([
    serviceStates(store, env.name),
    latestDeployment(store, env.name),
    countsBy(store, 'incidents', 'open', env.name),
    countsBy(store, 'alert_states', 'firing', env.name),
  ]);
  const progressing = deployment?.state === 'progressing';
  const rollouts = deployment === undefined ? [] : await rolloutsOf(store, deployment.id, progressing);
  const byService = new Map(rollouts.map((r) => [r.service, r]));
  const rows = env.services.map((plan): BaseRow => {
    const state = states.get(plan.name);
    const r = byService.get(plan.name);
    return {
      environment: env.name,
      service: plan.name,
      deployed: state !== undefined,
      release: state === undefined ? null : releaseOfRevision(state.release),
      revision: state?.release ?? null,
      replicas: state?.replicas ?? plan.replicas,
      rollout:
        r === undefined || deployment === undefined
          ? null
          : {
              deployment: deployment.id,
              kind: deployment.kind,
              state: r.state,
              strategy: r.detail?.strategy ?? null,
              release: releaseOfRevision(deployment.release),
              active: progressing,
              step: r.detail?.step ?? null,
              weight: canaryWeight(r),
              steps: r.detail?.strategy === 'canary' ? r.detail.weights.length : null,
              startedAt: deployment.startedAt,
            },
      owners: { team: owners[plan.name] ?? null },
      incidents: { open: incidents.get(plan.name) ?? 0 },
      alerts: { firing: alerts.get(plan.name) ?? 0 },
      autoscale: plan.autoscale === null ? null : { min: plan.autoscale.min, max: plan.autoscale.max },
    };
  });
  return {
    environment: {
      name: env.name,
      protected: env.protected,
      approval: env.approval,
      strategy: env.strategy.name,
      deployment:
        deployment === undefined
          ? null
          : {
              id: deployment.id,
              kind: deployment.kind,
              release: releaseOfRevision(deployment.release),
              state: deployment.state,
              // rolloutStateOf reads only each rollout's state.
              rolloutState: rolloutStateOf(
                { ...deployment, environment: env.name, fromRelease: null, reason: null },
                rollouts.map((x) => ({ state: x.state }) as Rollout),
              ),
              startedAt: deployment.startedAt,
              finishedAt: deployment.finishedAt,
            },
    },
    rows,
    readAt: now,
    progressing,
  };
}

/** The answer: each part's rows with the health and traffic of now joined in. */
function assemble(
  parts: Part[],
  traffic: TrafficSnapshot,
  ready: Map<string, number> | undefined,
  now: number,
): Overview {
  const services: OverviewService[] = [];
  for (const part of parts) {
    for (const { deployed, ...row } of part.rows) {
      const key = serviceKey(row.environment, row.service);
      const desired = row.replicas;
      const readyNow = ready === undefined ? null : (ready.get(key) ?? 0);
      services.push({
        ...row,
        health: { status: healthOf(deployed, readyNow, desired), ready: readyNow, desired },
        traffic: traffic.byService.get(key) ?? { rps: null, errorRate: null, p95Ms: null },
      });
    }
  }
  return {
    at: new Date(now).toISOString(),
    windowMs: OVERVIEW_WINDOW_MS,
    trafficAt: traffic.at === null ? null : new Date(traffic.at).toISOString(),
    environments: parts.map((p) => p.environment),
    services,
  };
}

function healthOf(deployed: boolean, ready: number | null, desired: number): HealthStatus {
  if (!deployed) return 'not-deployed';
  if (ready === null) return 'unknown';
  if (ready >= desired) return 'healthy';
  return ready === 0 ? 'down' : 'degraded';
}

function canaryWeight(r: RolloutRow): number | null {
  if (r.detail?.strategy !== 'canary' || r.state !== 'progressing' || r.detail.step === null) return null;
  return r.detail.weights[r.detail.step] ?? 100;
}

async function serviceStates(store: Store, environment: string) {
  const rows = await store.db
    .selectFrom('service_state')
    .select(['service', 'release', 'replicas'])
    .where('environment', '=', environment)
    .execute();
  return new Map(rows.map((r) => [r.service, r]));
}

async function latestDeployment(store: Store, environment: string) {
  const r = await store.db
    .selectFrom('deployments')
    .select(['id', 'kind', 'release', 'state', 'started_at', 'finished_at'])
    .where('environment', '=', environment)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (
    r && {
      id: r.id,
      kind: r.kind,
      release: r.release,
      state: r.state,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }
  );
}

interface RolloutRow {
  service: string;
  state: string;
  /** Progressing deployments only: the rest need the state alone. */
  detail?: { strategy: string | null; step: number | null; weights: number[] };
}

/**
 * The rollouts of a deployment, from a covering index. The step and strategy of a progressing
 * one's are read inside the database: a rollout record carries its analysis measurements, and
 * parsing a thousand of them in JavaScript would cost more than everything else here.
 */
async function rolloutsOf(store: Store, deploymentId: string, progressing: boolean): Promise<RolloutRow[]> {
  if (!progressing) {
    return store.db
      .selectFrom('rollouts')
      .select(['service', 'state'])
      .where('deployment_id', '=', deploymentId)
      .execute();
  }
  const rows = await rolloutDetails(store, deploymentId);
  return rows.map((d) => {
    const [strategy, step, steps] = JSON.parse(d.detail) as [string | null, number | null, unknown];
    const weights = Array.isArray(steps)
      ? steps.map((x: { weight?: unknown }) => (typeof x?.weight === 'number' ? x.weight : 100))
      : [];
    return { service: d.service, state: d.state, detail: { strategy, step, weights } };
  });
}

async function rolloutDetails(
  store: Store,
  deploymentId: string,
): Promise<Array<{ service: string; state: string; detail: string }>> {
  switch (store.engine) {
    case 'sqlite':
      // Several paths: one parse of the record, answered as a JSON array.
      return store.db
        .selectFrom('rollouts')
        .select([
          'service',
          'state',
          sql<string>`json_extract(record, '$.strategy.name', '$.step', '$.strategy.steps')`.as('detail'),
        ])
        .where('deployment_id', '=', deploymentId)
        .execute();
  }
}

/** Open incidents or firing alerts of an environment, per service: one grouped count. */
async function countsBy(
  store: Store,
  table: 'incidents' | 'alert_states',
  state: string,
  environment: string,
): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom(table)
    .select('service')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', state)
    .where('environment', '=', environment)
    .groupBy('service')
    .execute();
  return new Map(rows.map((r) => [r.service, Number(r.n)]));
}

/** Instances running and passing their health check, per `<env>.<service>`. */
function readyCounts(state: AgentState | undefined): Map<string, number> | undefined {
  if (state === undefined) return undefined;
  const out = new Map<string, number>();
  for (const i of state.instances) {
    if (i.state !== 'running' || !i.healthy) continue;
    const key = serviceKey(i.environment, i.service);
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}
