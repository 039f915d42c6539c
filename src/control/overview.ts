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
import { type Traffic, type TrafficSnapshot, trafficNow } from './overview-traffic.js';
import { releaseOfRevision, serviceKey } from './ports.js';
import { rolloutStateOf } from './status.js';

/** What the overview reads from the control plane (ControlPlane implements it; tests pass fakes). */
export interface OverviewSource {
  environments(): readonly EnvironmentPlan[];
  observeConfig(): { owners: Record<string, string | undefined> };
  /** Throws when the metrics store is not open yet: traffic then reads as unknown. */
  metrics(): MetricsSource;
  /** A recent agent read (at most about a second old); undefined before the agent answered once. */
  agentState(): Promise<{ state: AgentState; at?: number } | undefined>;
}

export type HealthStatus = 'healthy' | 'degraded' | 'down' | 'unknown' | 'not-deployed';

/** A service's rollout in its environment's latest deployment (the deployment is the environment's). */
export interface OverviewRollout {
  /** pending, awaiting-approval, progressing, paused, promoted, aborted, rolled-back. */
  state: RolloutState | string;
  /** While the deployment progresses: the step (canary: the index of its step). */
  step: number | null;
  /** Canary, while progressing: the weight of the current step (percent). */
  weight: number | null;
  /** Canary, while progressing: its number of steps. */
  steps: number | null;
  /** True while the deployment progresses. */
  active: boolean;
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
  traffic: Traffic;
  /** The service's rollout in the environment's latest deployment (`environments[].deployment`); null when none. */
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
    /** While it progresses: its strategy, and a canary's number of steps. */
    strategy: string | null;
    steps: number | null;
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

/** What an environment's part is read from; each is read again only when an event says it changed. */
interface Inputs {
  states: Map<string, { release: string; replicas: number }>;
  deployment: LatestDeployment | undefined;
  rollouts: RolloutRow[];
  incidents: Map<string, number>;
  alerts: Map<string, number>;
}

type Aspect = 'states' | 'deployment' | 'incidents' | 'alerts';
const ALL_ASPECTS: readonly Aspect[] = ['states', 'deployment', 'incidents', 'alerts'];

/** What an event may have changed in its environment's part. */
export function aspectsOf(type: string): readonly Aspect[] {
  if (type.startsWith('alert.')) return ['alerts'];
  if (type.startsWith('incident.')) return ['incidents'];
  if (type === 'service.scaled') return ['states'];
  if (type === 'autoscale.decision') return [];
  if (type.startsWith('rollout.')) return ['deployment'];
  // A finished deployment also changes what the services run.
  if (type === 'deployment.succeeded' || type === 'deployment.failed') return ['states', 'deployment'];
  if (type.startsWith('deployment.')) return ['deployment'];
  return ALL_ASPECTS;
}

interface Part {
  inputs: Inputs;
  environment: OverviewEnvironment;
  rows: BaseRow[];
  /** When each aspect was last read. */
  readAt: Record<Aspect, number>;
}

export interface OverviewModelOptions {
  now?(): number;
  activeMaxAgeMs?: number;
  idleMaxAgeMs?: number;
}

/** The overview of a running control plane, kept per environment (see the file comment). */
export class OverviewModel {
  private readonly parts = new Map<string, Promise<Part>>();
  /** Per environment: the aspects events said changed since its part was read. */
  private readonly dirty = new Map<string, Set<Aspect>>();
  /** Per environment: the step and strategy of its rollouts in progress, by record version. */
  private readonly details = new Map<string, RolloutDetails>();
  /** The last answer per environment filter, with what it was made of. */
  private readonly answers = new Map<
    string,
    {
      parts: Part[];
      observation: unknown;
      ready: Map<string, number> | undefined;
      traffic: TrafficSnapshot;
      overview: Overview;
    }
  >();
  /** Each part's rows as last joined with health and traffic. */
  private readonly rows = new WeakMap<
    Part,
    { traffic: TrafficSnapshot; ready: unknown; rows: OverviewService[] }
  >();
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
    const observation = await this.source.agentState();
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
    const ready =
      last !== undefined && observation === last.observation ? last.ready : readyCounts(observation?.state);
    const overview = assemble(parts, traffic, ready, now, this.rows);
    this.answers.set(slot, { parts, observation, ready, traffic, overview });
    return overview;
  }

  /** Marks what the events written since the last call changed, per environment. */
  private async markChanged(): Promise<void> {
    const after = this.lastEventId;
    if (after === undefined) {
      this.lastEventId = await this.maxEventId();
      return;
    }
    const rows = await this.store.db
      .selectFrom('events')
      .select(['id', 'type', 'environment'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(MAX_EVENTS_SCANNED)
      .execute();
    const last = rows.at(-1);
    if (last === undefined) return;
    this.lastEventId = last.id;
    if (rows.length === MAX_EVENTS_SCANNED) {
      // Too much at once: read everything again, from the newest event on.
      this.lastEventId = await this.maxEventId();
      this.parts.clear();
      return;
    }
    for (const r of rows) {
      if (r.environment === null) continue;
      const aspects = aspectsOf(r.type);
      if (aspects.length === 0) continue;
      let set = this.dirty.get(r.environment);
      if (set === undefined) {
        set = new Set();
        this.dirty.set(r.environment, set);
      }
      for (const a of aspects) set.add(a);
    }
  }

  private async maxEventId(): Promise<number> {
    const { id } = await this.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow();
    return Number(id ?? 0);
  }

  private part(env: EnvironmentPlan, now: number): Promise<Part> {
    const cached = this.parts.get(env.name);
    const dirty = this.dirty.get(env.name);
    this.dirty.delete(env.name);
    const owners = this.source.observeConfig().owners;
    let details = this.details.get(env.name);
    if (details === undefined) {
      details = new RolloutDetails();
      this.details.set(env.name, details);
    }
    const rollouts = details;
    const next =
      cached === undefined
        ? readPart(this.store, rollouts, env, owners, now, ALL_ASPECTS, undefined)
        : cached.then(
            (p) => {
              const stale = new Set<Aspect>(dirty);
              const progressing = p.inputs.deployment?.state === 'progressing';
              // Rolling steps change records without events: re-read a deployment in progress often.
              if (progressing && now - p.readAt.deployment >= this.activeMaxAgeMs) stale.add('deployment');
              for (const a of ALL_ASPECTS) if (now - p.readAt[a] >= this.idleMaxAgeMs) stale.add(a);
              return stale.size === 0 ? p : readPart(this.store, rollouts, env, owners, now, [...stale], p);
            },
            // The previous read failed: read everything.
            () => readPart(this.store, rollouts, env, owners, now, ALL_ASPECTS, undefined),
          );
    this.parts.set(env.name, next);
    next.catch(() => {
      if (this.parts.get(env.name) === next) this.parts.delete(env.name);
    });
    return next;
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

/**
 * An environment's part: the `aspects` read again (each a fixed number of queries, whatever the
 * number of services), the others kept from `previous`; then its rows, built in memory.
 */
async function readPart(
  store: Store,
  details: RolloutDetails,
  env: EnvironmentPlan,
  owners: Record<string, string | undefined>,
  now: number,
  aspects: readonly Aspect[],
  previous: Part | undefined,
): Promise<Part> {
  const want = (a: Aspect) => previous === undefined || aspects.includes(a);
  const [states, deployment, incidents, alerts] = await Promise.all([
    want('states') ? serviceStates(store, env.name) : (previous as Part).inputs.states,
    want('deployment') ? latestDeployment(store, env.name) : (previous as Part).inputs.deployment,
    want('incidents') ? countsBy(store, 'incidents', 'open', env.name) : (previous as Part).inputs.incidents,
    want('alerts') ? countsBy(store, 'alert_states', 'firing', env.name) : (previous as Part).inputs.alerts,
  ]);
  const progressing = deployment?.state === 'progressing';
  let rollouts = previous?.inputs.rollouts ?? [];
  if (want('deployment')) {
    rollouts = deployment === undefined ? [] : await details.of(store, deployment.id, progressing, now);
  }
  const readAt = { ...(previous?.readAt ?? { states: now, deployment: now, incidents: now, alerts: now }) };
  for (const a of ALL_ASPECTS) if (want(a)) readAt[a] = now;
  const inputs: Inputs = { states, deployment, rollouts, incidents, alerts };
  return { inputs, ...rowsOf(env, inputs, owners), readAt };
}

function rowsOf(
  env: EnvironmentPlan,
  { states, deployment, rollouts, incidents, alerts }: Inputs,
  owners: Record<string, string | undefined>,
): Pick<Part, 'environment' | 'rows'> {
  const byService = new Map(rollouts.map((r) => [r.service, r]));
  const detail = rollouts[0]?.detail;
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
        r === undefined
          ? null
          : {
              state: r.state,
              step: r.detail?.step ?? null,
              weight: canaryWeight(r),
              steps: r.detail?.strategy === 'canary' ? r.detail.weights.length : null,
              active: deployment?.state === 'progressing',
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
              strategy: detail?.strategy ?? null,
              steps: detail?.strategy === 'canary' ? detail.weights.length : null,
              startedAt: deployment.startedAt,
              finishedAt: deployment.finishedAt,
            },
    },
    rows,
  };
}

const NO_TRAFFIC: Traffic = Object.freeze({ rps: null, errorRate: null, p95Ms: null });

/** The answer: each part's rows with the health and traffic of now joined in. */
function assemble(
  parts: Part[],
  traffic: TrafficSnapshot,
  ready: Map<string, number> | undefined,
  now: number,
  memo: WeakMap<Part, { traffic: TrafficSnapshot; ready: unknown; rows: OverviewService[] }>,
): Overview {
  const services: OverviewService[] = [];
  for (const part of parts) {
    // A part unchanged since the last answer, with the same joins, keeps its rows.
    const kept = memo.get(part);
    const rows =
      kept !== undefined && kept.traffic === traffic && kept.ready === ready
        ? kept.rows
        : part.rows.map((row) => joinRow(row, traffic, ready));
    memo.set(part, { traffic, ready, rows });
    for (const row of rows) services.push(row);
  }
  return {
    at: new Date(now).toISOString(),
    windowMs: OVERVIEW_WINDOW_MS,
    trafficAt: traffic.at === null ? null : new Date(traffic.at).toISOString(),
    environments: parts.map((p) => p.environment),
    services,
  };
}

/** Field by field (not spread): this runs for every row of a changed environment. */
function joinRow(
  row: BaseRow,
  traffic: TrafficSnapshot,
  ready: Map<string, number> | undefined,
): OverviewService {
  const key = serviceKey(row.environment, row.service);
  const readyNow = ready === undefined ? null : (ready.get(key) ?? 0);
  return {
    environment: row.environment,
    service: row.service,
    release: row.release,
    revision: row.revision,
    health: {
      status: healthOf(row.deployed, readyNow, row.replicas),
      ready: readyNow,
      desired: row.replicas,
    },
    replicas: row.replicas,
    traffic: traffic.byService.get(key) ?? NO_TRAFFIC,
    rollout: row.rollout,
    owners: row.owners,
    incidents: row.incidents,
    alerts: row.alerts,
    autoscale: row.autoscale,
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

interface LatestDeployment {
  id: string;
  kind: DeploymentKind;
  release: string;
  state: DeploymentState;
  startedAt: string;
  finishedAt: string | null;
}

async function latestDeployment(store: Store, environment: string): Promise<LatestDeployment | undefined> {
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
  detail?: RolloutDetail;
}

interface RolloutDetail {
  strategy: string | null;
  step: number | null;
  weights: number[];
}

/** A record read again anyway after this long, in case it changed within one updated_at tick. */
const DETAIL_MAX_AGE_MS = 30_000;
const IDS_PER_QUERY = 500;

/**
 * The rollouts of a deployment, from a covering index. The step and strategy of a progressing
 * deployment's rollouts come from their records, read inside the database and only for the
 * records whose updated_at moved since the last read: a record carries its analysis
 * measurements, and parsing a thousand of them on every request would cost more than everything
 * else the overview does.
 */
export class RolloutDetails {
  private deploymentId: string | undefined;
  private readonly byId = new Map<string, { updatedAt: string; readAt: number; detail: RolloutDetail }>();

  async of(store: Store, deploymentId: string, progressing: boolean, now: number): Promise<RolloutRow[]> {
    if (!progressing) {
      return store.db
        .selectFrom('rollouts')
        .select(['service', 'state'])
        .where('deployment_id', '=', deploymentId)
        .execute();
    }
    if (deploymentId !== this.deploymentId) {
      this.deploymentId = deploymentId;
      this.byId.clear();
    }
    const rows = await store.db
      .selectFrom('rollouts')
      .select(['id', 'service', 'state', 'updated_at'])
      .where('deployment_id', '=', deploymentId)
      .execute();
    const stale = rows.filter((r) => {
      const known = this.byId.get(r.id);
      return (
        known === undefined || known.updatedAt !== r.updated_at || now - known.readAt >= DETAIL_MAX_AGE_MS
      );
    });
    for (let i = 0; i < stale.length; i += IDS_PER_QUERY) {
      const chunk = stale.slice(i, i + IDS_PER_QUERY);
      const updatedAt = new Map(chunk.map((r) => [r.id, r.updated_at]));
      for (const d of await rolloutDetails(store, [...updatedAt.keys()])) {
        this.byId.set(d.id, {
          updatedAt: updatedAt.get(d.id) as string,
          readAt: now,
          detail: parseDetail(d.detail),
        });
      }
    }
    return rows.map((r) => {
      const known = this.byId.get(r.id);
      return known === undefined
        ? { service: r.service, state: r.state }
        : { service: r.service, state: r.state, detail: known.detail };
    });
  }
}

function parseDetail(json: string): RolloutDetail {
  const [strategy, step, steps] = JSON.parse(json) as [unknown, unknown, unknown];
  return {
    strategy: typeof strategy === 'string' ? strategy : null,
    step: typeof step === 'number' ? step : null,
    weights: Array.isArray(steps)
      ? steps.map((x: { weight?: unknown } | null) => (typeof x?.weight === 'number' ? x.weight : 100))
      : [],
  };
}

async function rolloutDetails(store: Store, ids: string[]): Promise<Array<{ id: string; detail: string }>> {
  switch (store.engine) {
    case 'sqlite':
      // Several paths: one parse of the record, answered as a JSON array.
      return store.db
        .selectFrom('rollouts')
        .select([
          'id',
          sql<string>`json_extract(record, '$.strategy.name', '$.step', '$.strategy.steps')`.as('detail'),
        ])
        .where('id', 'in', ids)
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
