/**
 * The control plane: the active config, the operations behind the API (deploy, rollback,
 * restart, scale, apply, status, history) and the reconciler that carries them out through the
 * agent. Operations only write intent (deployments and their rollouts, in one transaction with
 * their events); the reconciler does the rest, so every operation returns at once and survives
 * a restart of the control plane.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { clampReplicas } from '../autoscale/from-config.js';
import { envAndSecrets, interpolate } from '../config/interpolate.js';
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import { ABORTED_BY_OPERATOR, command, type RolloutCommand } from '../delivery/commands.js';
import { type EnvironmentPlan, planEnvironments, type ServicePlan } from '../delivery/environment-plan.js';
import { activeFreeze, describeFreeze, describeInstant } from '../delivery/freeze/index.js';
import type { Rollout, StrategyConfig } from '../delivery/types.js';
import { TERMINAL_STATES } from '../delivery/types.js';
import { TandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import { TandemMetrics } from '../observe/exposition/index.js';
import { linkReleases } from '../observe/incidents/index.js';
import { openSqliteMetricsStore } from '../observe/metrics/sqlite/index.js';
import type { MetricsStore } from '../observe/metrics/types.js';
import { type ObservePlan, planObserve } from '../observe/plan.js';
import { createRelease } from '../release/create-release.js';
import { releaseProjectDir } from '../release/layout.js';
import { runReleaseCommand } from '../release/release-command.js';
import { openVault } from '../secrets/vault.js';
import { stateDir } from '../store/open.js';
import type { Deployment } from '../store/repositories/deployments.js';
import type { StoredRelease } from '../store/repositories/releases.js';
import type { Store } from '../store/store.js';
import { didYouMean } from '../util/did-you-mean.js';
import { BranchPoller, gitHeadReader } from '../watch/branch-poller.js';
import {
  createMemoryDeliveryLog,
  type HeaderBag,
  receivePush,
  type WebhookProvider,
} from '../watch/webhooks/index.js';
import { Alerting } from './alerting.js';
import { AutoDeployer, type AutoRequest } from './auto-deployer.js';
import { Autoscaling } from './autoscaling.js';
import { FreshAgentState } from './fresh-agent-state.js';
import { type HistoryEvent, historyEventsOf } from './history-events.js';
import { IncidentOps } from './incident-ops.js';
import { instanceEnv, instanceSpec } from './instance-spec.js';
import { LISTEN_HOST, LocalRuntime, type RuntimeResolver } from './local-runtime.js';
import { Observer } from './observer.js';
import {
  type AgentApi,
  type Clock,
  nextRestartRevision,
  releaseOfRevision,
  serviceKey,
  systemClock,
} from './ports.js';
import { Reconciler } from './reconciler.js';
import { servicePlanOfRelease, snapshotOf } from './release-config.js';
import { notifiersOf, RolloutNotifications } from './rollout-notifications.js';
import { buildStatus, type Status, type StatusAutoscaleDecision } from './status.js';
import { addObserveStatus, decisionOfEvent, observePartsOf } from './status-observe.js';

export interface ControlPlaneOptions {
  loaded: LoadedConfig;
  store: Store;
  agent: AgentApi;
  env: Record<string, string | undefined>;
  clock?: Clock;
  /** The metrics store; by default `.tandem/metrics.sqlite`, opened by start(). */
  metrics?: MetricsStore;
}

/** Who calls an operation (the API's one auth check says). */
export interface Actor {
  principal: string;
  roles: readonly string[];
}

export interface DeploymentView {
  deployment: Deployment;
  rollouts: Rollout[];
  state: string;
  /** Why it started: `manual`, `push to main (abc1234)`, `promoted in staging`… */
  trigger: string | null;
}

const RELEASE_COMMAND_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_POLL_MS = 5000;

export class ControlPlane {
  private loaded: LoadedConfig;
  private plans: EnvironmentPlan[];
  private readonly store: Store;
  private readonly agent: AgentApi;
  private readonly env: Record<string, string | undefined>;
  private readonly clock: Clock;
  private readonly reconciler: Reconciler;
  /** Environments whose deploy is being prepared (release build, release commands). */
  private readonly preparing = new Set<string>();
  private readonly auto: AutoDeployer;
  private autoTimer: NodeJS.Timeout | undefined;
  private poller: BranchPoller | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly deliveries = createMemoryDeliveryLog();
  private notifications: RolloutNotifications | undefined;
  private observePlan: ObservePlan;
  private metricsStore: MetricsStore | undefined;
  private ownsMetrics = false;
  private alerting: Alerting | undefined;
  private observer: Observer | undefined;
  private freshState: FreshAgentState | undefined;
  private eventFeed: NodeJS.Timeout | undefined;
  private lastEventId = 0;
  readonly autoscaling: Autoscaling;
  readonly exposition = new TandemMetrics();
  readonly incidents: IncidentOps;

  constructor(opts: ControlPlaneOptions) {
    this.loaded = opts.loaded;
    this.plans = planEnvironments(opts.loaded, { env: opts.env, secrets: undefined });
    this.observePlan = planObserve(opts.loaded);
    this.metricsStore = opts.metrics;
    this.store = opts.store;
    this.agent = opts.agent;
    this.env = opts.env;
    this.clock = opts.clock ?? systemClock;
    const resolver = this.resolver();
    this.reconciler = new Reconciler({
      store: this.store,
      agent: this.agent,
      runtime: new LocalRuntime(this.agent, resolver),
      resolver,
      clock: this.clock,
      isConfigured: (e, s) => this.servicePlan(e, s) !== undefined,
      replicasFor: (e, s) => this.autoscaling.replicasFor(e, s),
      onFinished: (id, succeeded) => {
        if (succeeded) void this.flowOn(id);
        void this.incidentOfDeployment(id, succeeded);
      },
    });
    this.incidents = new IncidentOps({ store: this.store, clock: this.clock });
    this.autoscaling = new Autoscaling({
      store: this.store,
      metrics: {
        window: (...a) => this.metrics().window(...a),
        series: (...a) => this.metrics().series(...a),
        app: (...a) => this.metrics().app(...a),
        subjects: (...a) => this.metrics().subjects(...a),
      },
      clock: this.clock,
      plans: () => this.plans,
      poke: () => this.reconciler.poke(),
      // One collection tick plus slack for its jitter.
      windowMs: () => this.observePlan.intervalMs + 1000,
      onEvaluation: (e) =>
        this.exposition.recordAutoscale(e.environment, e.service, {
          from: e.decision.inputs.current,
          to: e.apply,
        }),
    });
    this.auto = new AutoDeployer({
      plans: () => this.plans,
      // A frozen environment keeps its automatic deploy queued until the freeze ends.
      busy: async (e) => {
        const env = this.plans.find((p) => p.name === e);
        if (env !== undefined && this.frozen(env) !== undefined) return true;
        return this.preparing.has(e) || (await this.store.deployments.progressing(e)).length > 0;
      },
      deploy: async (environment, request) => {
        await this.deploy({ environment, ...request, trigger: request.reason });
      },
    });
  }

  get root(): string {
    return this.loaded.dir;
  }

  get project(): string {
    return this.loaded.config.project;
  }

  /** The environments of the running config. */
  environments(): readonly EnvironmentPlan[] {
    return this.plans;
  }

  get configFile(): string {
    return this.loaded.file;
  }

  /** Opens the listeners of the config (keeping the traffic of an adopted agent) and starts reconciling. */
  async start(): Promise<void> {
    await this.syncListeners();
    this.reconciler.start();
    await this.catchUpPromotions();
    this.autoTimer = setInterval(() => void this.auto.tick(), 1000);
    this.autoTimer.unref();
    for (const e of await this.store.events.list({ type: 'webhook.received', order: 'desc', limit: 5000 })) {
      this.deliveries.record(e.subjectId, new Date(e.at));
    }
    await this.startPolling();
    const secrets = await openVault(this.store, this.loaded.dir, this.env).toSecretSource();
    const notifiers = notifiersOf(this.loaded, secrets, this.env);
    if (notifiers.length > 0) {
      this.notifications = new RolloutNotifications(this.store, notifiers);
      await this.notifications.start();
    }
    await this.startObserving();
  }

  /** The metrics store (opened by start()). */
  metrics(): MetricsStore {
    if (this.metricsStore === undefined) {
      throw new TandemError('TANDEM_NOT_STARTED', 'the metrics store is not open yet; try again in a moment');
    }
    return this.metricsStore;
  }

  /** The last agent reads of the watch loop (for `tandem top`). */
  lastObservation(): Observer['last'] {
    return this.observer?.last;
  }

  /** The agent's state at most a second old (the overview's health). */
  agentState(): ReturnType<FreshAgentState['get']> {
    this.freshState ??= new FreshAgentState(
      () => this.agent.state(),
      () => this.observer?.last,
      () => this.clock.now(),
    );
    return this.freshState.get();
  }

  /** The alert evaluator's current instances (status). */
  alertStates(): ReturnType<Alerting['current']> | undefined {
    return this.alerting?.current();
  }

  serviceStates() {
    return this.store.deployments.serviceStates();
  }

  observeConfig(): ObservePlan {
    return this.observePlan;
  }

  private async startObserving(): Promise<void> {
    if (this.metricsStore === undefined) {
      this.metricsStore = openSqliteMetricsStore({
        file: path.join(stateDir(this.loaded.dir), 'metrics.sqlite'),
        retention: this.observePlan.retention,
        now: () => this.clock.now(),
      });
      this.ownsMetrics = true;
    }
    await this.resetAlerting();
    this.observer = new Observer({
      agent: this.agent,
      metrics: this.metricsStore,
      clock: this.clock,
      plan: () => this.observePlan,
      plans: () => this.plans,
      alerting: () => this.alerting,
      autoscaling: this.autoscaling,
      exposition: this.exposition,
    });
    this.observer.start();
    const open = await this.store.incidents.list({ state: 'open', limit: 500 });
    this.exposition.setOpenIncidents(open.map((i) => i.id));
    // Tandem's own /metrics counts from the event log (rollouts, deployments, pipeline runs…).
    const [last] = await this.store.events.list({ order: 'desc', limit: 1 });
    this.lastEventId = last?.id ?? 0;
    this.eventFeed = setInterval(() => void this.feedEvents(), 1000);
    this.eventFeed.unref();
  }

  private async feedEvents(): Promise<void> {
    try {
      for (const e of await this.store.events.list({ afterId: this.lastEventId, limit: 1000 })) {
        this.lastEventId = e.id;
        this.exposition.onEvent(e);
      }
    } catch (err) {
      logger().debug({ err }, 'could not read events for /metrics');
    }
  }

  /** (Re)builds the alert evaluator from the running config (at start and after `apply`). */
  private async resetAlerting(): Promise<void> {
    const previous = this.alerting;
    const secrets = await openVault(this.store, this.loaded.dir, this.env).toSecretSource();
    const metrics = this.metrics();
    this.alerting = new Alerting({
      store: this.store,
      metrics,
      clock: this.clock,
      plan: this.observePlan,
      secrets,
      env: this.env,
      targets: () => this.deployedTargets(),
    });
    await previous?.stop();
  }

  /** Every (environment, service) deployed and still configured. */
  private async deployedTargets(): Promise<Array<{ environment: string; service: string }>> {
    const states = await this.store.deployments.serviceStates();
    return states
      .filter((s) => this.servicePlan(s.environment, s.service) !== undefined)
      .map((s) => ({ environment: s.environment, service: s.service }));
  }

  /**
   * An automatic rollback opens an incident (a change failed in front of users); the next
   * successful deployment of that environment resolves it (service restored).
   */
  private async incidentOfDeployment(id: string, succeeded: boolean): Promise<void> {
    try {
      const deployment = await this.store.deployments.get(id);
      if (deployment === undefined) return;
      const rollouts = await this.store.deployments.rolloutsOf(id);
      const now = this.clock.now();
      if (succeeded) {
        for (const r of rollouts) {
          const open = await this.store.incidents.openFor(deployment.environment, r.service);
          if (open?.cause.kind === 'rollback')
            await this.store.incidents.resolve(
              open.id,
              'tandem',
              `restored by ${id} (${deployment.release})`,
              new Date(now),
            );
        }
        return;
      }
      for (const r of rollouts) {
        if (r.state !== 'rolled-back' || (r.reason ?? '').startsWith(ABORTED_BY_OPERATOR)) continue;
        const history = await this.store.deployments.history(deployment.environment, 200);
        const linked = linkReleases(
          { from: new Date(deployment.startedAt), to: new Date(now) },
          history,
          deployment.environment,
        );
        const releases = [...new Set([releaseOfRevision(r.to), ...linked.releases])];
        await this.store.incidents.open({
          environment: deployment.environment,
          service: r.service,
          title: `automatic rollback of ${releaseOfRevision(r.to)}: ${(r.reason ?? 'rolled back').split('\n')[0]}`,
          severity: 'page',
          cause: { kind: 'rollback', ref: id },
          releases,
          suspects: [releaseOfRevision(r.to)],
          at: new Date(now),
        });
      }
    } catch (err) {
      logger().warn({ err, deployment: id }, 'could not record the incident of a deployment');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.autoTimer);
    clearTimeout(this.pollTimer);
    this.poller = undefined;
    await this.auto.idle();
    await this.notifications?.stop();
    this.notifications = undefined;
    clearInterval(this.eventFeed);
    await this.observer?.stop();
    await this.alerting?.stop();
    await this.reconciler.stop();
    if (this.ownsMetrics) {
      this.metricsStore?.close();
      this.metricsStore = undefined;
      this.ownsMetrics = false;
    }
  }

  /** A new commit on a tracked branch (polling or a webhook): deploy it where `auto: true`. */
  push(branch: string, commit: string): void {
    this.auto.push(branch, commit);
    void this.auto.tick();
  }

  /** Tracked branches (`pipeline.on.push.branches`); empty when push-to-deploy is off. */
  private trackedBranches(): string[] {
    return this.loaded.config.pipeline.on?.push?.branches ?? [];
  }

  /** Polls the tracked branches (default every 5 s); the first poll only learns the heads. */
  private async startPolling(): Promise<void> {
    const branches = this.trackedBranches();
    if (branches.length === 0) return;
    const poller = new BranchPoller({
      branches,
      read: gitHeadReader(this.loaded.dir, this.env),
      onPush: (head) => this.push(head.branch, head.commit),
    });
    this.poller = poller;
    const every = this.loaded.config.pipeline.on?.push?.poll ?? DEFAULT_POLL_MS;
    const loop = async () => {
      if (this.poller !== poller) return;
      await poller
        .poll()
        .catch((err: unknown) => logger().warn({ err }, 'polling the tracked branches failed'));
      if (this.poller === poller) {
        this.pollTimer = setTimeout(() => void loop(), every);
        this.pollTimer.unref();
      }
    };
    await loop();
  }

  /**
   * A push webhook delivery (GitHub- or GitLab-compatible). Verified with the secret of
   * `pipeline.on.push.secret` in constant time; a repeated delivery id is a no-op, and a push
   * already seen by polling is not deployed twice.
   */
  async webhook(
    provider: WebhookProvider,
    body: Buffer,
    headers: HeaderBag,
  ): Promise<{ status: number; body: unknown }> {
    const raw = this.loaded.config.pipeline.on?.push?.secret;
    if (raw === undefined) {
      return {
        status: 404,
        body: {
          error: {
            code: 'TANDEM_WEBHOOK_NOT_CONFIGURED',
            message: 'set pipeline.on.push.secret in tandem.yaml to receive push webhooks',
            exitCode: 2,
          },
        },
      };
    }
    const secrets = await openVault(this.store, this.loaded.dir, this.env).toSecretSource();
    const secret = interpolate(raw, envAndSecrets(this.env, secrets));
    const result = receivePush({ provider, body, headers, secret, deliveries: this.deliveries });
    if (!result.ok)
      return {
        status: result.status,
        body: { error: { code: result.code, message: result.message, exitCode: 2 } },
      };
    if (result.kind === 'ignored')
      return { status: result.status, body: { ignored: result.reason, message: result.message } };
    const { push } = result;
    // Recorded as an event: the timeline shows it, and a restart reloads the delivery ids from it.
    await this.store.db.transaction().execute((trx) =>
      this.store.events.append(trx, {
        type: 'webhook.received',
        subjectKind: 'webhook',
        subjectId: result.deliveryId,
        data: { provider, branch: push.branch ?? null, commit: push.after },
      }),
    );
    const tracked =
      push.branch !== undefined && this.trackedBranches().includes(push.branch) && !push.deleted;
    const fresh =
      tracked && (this.poller?.seen({ branch: push.branch as string, commit: push.after }) ?? true);
    if (tracked && fresh) this.push(push.branch as string, push.after);
    return {
      status: 202,
      body: {
        delivery: result.deliveryId,
        branch: push.branch ?? null,
        commit: push.after,
        deploying: tracked && fresh,
      },
    };
  }

  /** Starts the queued automatic deploys whose environment is free (also done every second). */
  runAutoDeploys(): Promise<void> {
    return this.auto.tick();
  }

  /** Automatic deploys waiting for their environment (for status and tests). */
  pendingAutoDeploys(): ReadonlyMap<string, AutoRequest> {
    return this.auto.pending();
  }

  /** Runs reconcile passes until `done` says so or the timeout passes (tests and `up`). */
  reconcileNow(): Promise<boolean> {
    return this.reconciler.tick();
  }

  // ---- operations -------------------------------------------------------------------------

  async deploy(opts: {
    environment: string;
    ref?: string;
    release?: string;
    force?: boolean;
    /** Why: `manual` (the default), or what triggered an automatic deploy. */
    trigger?: string;
    /** Deploy during a freeze window; the reason is recorded with the deployment. */
    overrideFreeze?: { reason: string };
    /** Who asks; undefined for Tandem itself (push to deploy, promotion). */
    actor?: Actor;
  }): Promise<DeploymentView> {
    await this.reload();
    const env = this.environment(opts.environment);
    this.authorize(env, opts.actor, 'deploy');
    const frozen = this.frozen(env);
    if (frozen !== undefined && opts.overrideFreeze === undefined) {
      throw new TandemError(
        'TANDEM_FROZEN',
        `"${env.name}" is frozen (${frozen}); deploy with --override-freeze --reason "..." to go ahead anyway`,
      );
    }
    const trigger =
      (opts.trigger ?? 'manual') +
      (frozen !== undefined && opts.overrideFreeze
        ? `; freeze overridden: ${opts.overrideFreeze.reason}`
        : '');
    await this.refuseBusy(env.name, opts.force === true);
    this.preparing.add(env.name);
    try {
      const release =
        opts.release !== undefined
          ? await this.readyRelease(opts.release)
          : await this.buildRelease(opts.ref ?? 'HEAD');
      await this.refuseBusy(env.name, opts.force === true, true);
      const failed = await this.runReleaseCommands(env, release);
      if (failed !== undefined)
        return await this.failedDeployment(env.name, 'deploy', release.id, failed, trigger);
      return await this.startDeployment(
        env,
        'deploy',
        release.id,
        opts.force === true,
        trigger,
        opts.actor?.principal,
      );
    } finally {
      this.preparing.delete(env.name);
    }
  }

  async rollback(opts: {
    environment: string;
    to?: string;
    force?: boolean;
    actor?: Actor;
  }): Promise<DeploymentView> {
    const env = this.environment(opts.environment);
    this.authorize(env, opts.actor, 'roll back');
    await this.refuseBusy(env.name, opts.force === true);
    const current = await this.currentRelease(env.name);
    let target = opts.to;
    if (target === undefined) {
      const history = await this.store.deployments.history(env.name, 200);
      target = history
        .filter((d) => d.state === 'succeeded')
        .map((d) => releaseOfRevision(d.release))
        .find((r) => r !== current);
      if (target === undefined) {
        throw new TandemError(
          'TANDEM_NOTHING_TO_ROLL_BACK_TO',
          `"${env.name}" has no earlier successful release than ${current ?? 'nothing'}; name one with --to RELEASE`,
          { exitCode: 2 },
        );
      }
    }
    const release = await this.readyRelease(target);
    return this.startDeployment(env, 'rollback', release.id, opts.force === true);
  }

  async restart(opts: { environment: string; force?: boolean; actor?: Actor }): Promise<DeploymentView> {
    const env = this.environment(opts.environment);
    this.authorize(env, opts.actor, 'restart');
    await this.refuseBusy(env.name, opts.force === true);
    const states = (await this.store.deployments.serviceStates()).filter((s) => s.environment === env.name);
    if (states.length === 0) {
      throw new TandemError(
        'TANDEM_NOT_DEPLOYED',
        `nothing is deployed to "${env.name}" yet; run \`tandem deploy ${env.name}\``,
        {
          exitCode: 2,
        },
      );
    }
    // A restart rolls out a fresh revision of the same release, one instance at a time.
    const strategy: StrategyConfig = {
      name: 'rolling',
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineMs: progressDeadlineOf(env.strategy),
    };
    const now = this.clock.now();
    const id = newDeploymentId(now);
    const rollouts = states
      .filter((s) => this.servicePlan(env.name, s.service) !== undefined)
      .map((s) =>
        newRollout(id, s.service, strategy, s.release, nextRestartRevision(s.release), s.replicas, now),
      );
    return this.begin({
      id,
      environment: env.name,
      kind: 'restart',
      release: rollouts[0]?.to ?? states[0]?.release ?? '',
      rollouts,
      force: opts.force === true,
    });
  }

  async scale(opts: {
    environment: string;
    service: string;
    replicas: number;
    actor?: Actor;
  }): Promise<{ desired: number }> {
    const env = this.environment(opts.environment);
    this.authorize(env, opts.actor, 'scale');
    if (!Number.isInteger(opts.replicas) || opts.replicas < 0 || opts.replicas > 64) {
      throw new TandemError(
        'TANDEM_BAD_REPLICAS',
        `replicas must be a whole number from 0 to 64, got ${opts.replicas}`,
        { exitCode: 2 },
      );
    }
    if (this.servicePlan(env.name, opts.service) === undefined) {
      const names = env.services.map((s) => s.name);
      const hint = didYouMean(opts.service, names);
      throw new TandemError(
        'TANDEM_UNKNOWN_SERVICE',
        `"${opts.service}" is not a service of "${env.name}" (services: ${names.join(', ')})${hint ? `; did you mean "${hint}"?` : ''}`,
        { exitCode: 2 },
      );
    }
    const autoscale = this.servicePlan(env.name, opts.service)?.autoscale;
    if (autoscale != null) {
      throw new TandemError(
        'TANDEM_AUTOSCALED',
        `"${opts.service}" is autoscaled (min ${autoscale.min}, max ${autoscale.max}); change \`autoscale\` in tandem.yaml and run \`tandem apply\` instead`,
        { exitCode: 2 },
      );
    }
    if ((await this.store.deployments.progressing(env.name)).length > 0) {
      throw new TandemError(
        'TANDEM_ROLLOUT_IN_PROGRESS',
        `a rollout of "${env.name}" is in progress; scale when it has finished`,
      );
    }
    const ok = await this.store.deployments.scale(
      env.name,
      opts.service,
      opts.replicas,
      new Date(this.clock.now()),
    );
    if (!ok) {
      throw new TandemError(
        'TANDEM_NOT_DEPLOYED',
        `"${opts.service}" is not deployed to "${env.name}" yet; run \`tandem deploy ${env.name}\``,
        {
          exitCode: 2,
        },
      );
    }
    this.reconciler.poke();
    return { desired: opts.replicas };
  }

  /** Re-reads tandem.yaml; an invalid file is refused (ConfigError) and the running config stays. */
  async apply(): Promise<{ file: string; changes: string[] }> {
    const before = this.plans;
    await this.reload();
    const changes = describeChanges(before, this.plans);
    // Replicas changed in the file are applied to what is deployed (a `tandem scale` lasts until then).
    const at = new Date(this.clock.now());
    for (const env of this.plans) {
      for (const s of env.services) {
        const old = before.find((e) => e.name === env.name)?.services.find((o) => o.name === s.name);
        if (old !== undefined && old.replicas !== s.replicas && s.autoscale === null)
          await this.store.deployments.scale(env.name, s.name, s.replicas, at);
      }
    }
    await this.syncListeners();
    this.reconciler.poke();
    return { file: this.loaded.file, changes };
  }

  async status(): Promise<Status> {
    const [agent, serviceStates] = await Promise.all([
      this.agent.state(),
      this.store.deployments.serviceStates(),
    ]);
    const latest = new Map<string, { deployment: Deployment; rollouts: Rollout[] }>();
    for (const env of this.plans) {
      const [deployment] = await this.store.deployments.history(env.name, 1);
      if (deployment !== undefined) {
        latest.set(env.name, {
          deployment,
          rollouts: await this.store.deployments.rolloutsOf(deployment.id),
        });
      }
    }
    const status = buildStatus({ plans: this.plans, agent, serviceStates, latest });
    // A crash-looping instance says why, as `kubectl logs --previous` would.
    for (const env of status.environments) {
      for (const service of env.services) {
        for (const i of service.instances) {
          if (i.state === 'crashlooping') i.lastLines = await this.agent.logs(i.id, 5).catch(() => []);
        }
      }
    }
    // The autoscaler's memory is lost on a restart: until it evaluates again, show its last record.
    const recorded = new Map<string, StatusAutoscaleDecision>();
    for (const env of this.plans) {
      for (const s of env.services) {
        if (s.autoscale === null || this.autoscaling.last(env.name, s.name) !== undefined) continue;
        const key = serviceKey(env.name, s.name);
        const events = await this.store.events.list({
          subjectKind: 'service',
          subjectId: key,
          order: 'desc',
          limit: 20,
        });
        const last = events.map((e) => decisionOfEvent(e)).find((d) => d !== undefined);
        if (last !== undefined) recorded.set(key, last);
      }
    }
    return addObserveStatus(status, observePartsOf(this), recorded);
  }

  async deployment(id: string): Promise<DeploymentView | undefined> {
    const deployment = await this.store.deployments.get(id);
    if (deployment === undefined) return undefined;
    const rollouts = await this.store.deployments.rolloutsOf(id);
    const { rolloutStateOf } = await import('./status.js');
    const [started] = await this.store.events.list({
      subjectKind: 'deployment',
      subjectId: id,
      type: 'deployment.started',
      limit: 1,
    });
    const trigger = typeof started?.data.trigger === 'string' ? started.data.trigger : null;
    return { deployment, rollouts, state: rolloutStateOf(deployment, rollouts), trigger };
  }

  async history(environment: string, limit = 20): Promise<DeploymentView[]> {
    const env = this.environment(environment);
    const list = await this.store.deployments.history(env.name, limit);
    return Promise.all(list.map(async (d) => (await this.deployment(d.id)) as DeploymentView));
  }

  /**
   * What happened in an environment besides deployments, newest first: autoscaler scale changes
   * and incidents opened and resolved, back to the oldest of the last `limit` deployments
   * (GET /v1/environments/:env/history returns them as `events`, beside `deployments`).
   */
  async historyEvents(environment: string, limit = 20): Promise<HistoryEvent[]> {
    const env = this.environment(environment);
    const deployments = await this.store.deployments.history(env.name, limit);
    const scaled = await Promise.all(
      env.services.map((s) =>
        this.store.events.list({
          subjectKind: 'service',
          subjectId: serviceKey(env.name, s.name),
          type: 'service.scaled',
          order: 'desc',
          limit,
        }),
      ),
    );
    const incidents = await this.store.incidents.list({ environment: env.name, limit });
    const oldest = deployments.length >= limit ? deployments.at(-1)?.startedAt : undefined;
    return historyEventsOf({
      scaled: scaled.flat(),
      incidents,
      ...(oldest !== undefined ? { since: oldest } : {}),
      limit,
    });
  }

  /** Instances of a service (for `tandem logs`), with their log files. */
  async instances(environment: string | undefined, service: string) {
    const state = await this.agent.state();
    const envs =
      environment === undefined ? this.plans.map((p) => p.name) : [this.environment(environment).name];
    const found = state.instances.filter((i) => i.service === service && envs.includes(i.environment));
    if (
      found.length === 0 &&
      !this.plans.some((p) => envs.includes(p.name) && p.services.some((s) => s.name === service))
    ) {
      const names = [...new Set(this.plans.flatMap((p) => p.services.map((s) => s.name)))];
      const hint = didYouMean(service, names);
      throw new TandemError(
        'TANDEM_UNKNOWN_SERVICE',
        `unknown service "${service}" (services: ${names.join(', ')})${hint ? `; did you mean "${hint}"?` : ''}`,
        {
          exitCode: 2,
        },
      );
    }
    return found.map((i) => ({
      id: i.id,
      environment: i.environment,
      revision: i.revision,
      state: i.state,
      logFile: i.logFile,
    }));
  }

  /** `tandem promote|abort|pause|resume ENV`: applies the command to every rollout of the environment's rollout. */
  async control(environment: string, cmd: RolloutCommand, actor?: Actor): Promise<DeploymentView> {
    const env = this.environment(environment);
    this.authorize(env, actor, cmd.type);
    const [deployment] = await this.store.deployments.progressing(env.name);
    if (deployment === undefined) {
      throw new TandemError('TANDEM_NO_ROLLOUT', `no rollout of "${env.name}" is in progress`, {
        exitCode: 2,
      });
    }
    const now = this.clock.now();
    const errors: string[] = [];
    let changed = 0;
    for (const before of await this.store.deployments.rolloutsOf(deployment.id)) {
      if (TERMINAL_STATES.has(before.state)) continue;
      const result = command(before, cmd, now);
      if ('error' in result) {
        errors.push(`${before.service}: ${result.error}`);
        continue;
      }
      await this.store.deployments.saveRollout(deployment.id, result.rollout, before, new Date(now));
      changed++;
    }
    if (changed === 0) {
      throw new TandemError(
        'TANDEM_BAD_COMMAND',
        errors.join('\n') || `nothing to ${cmd.type} in "${env.name}"`,
        { exitCode: 2 },
      );
    }
    this.reconciler.poke();
    return (await this.deployment(deployment.id)) as DeploymentView;
  }

  /** Approves the rollout of `environment` that awaits it; `roles` are the caller's. */
  async approve(opts: {
    environment: string;
    roles: readonly string[];
    by: string;
  }): Promise<DeploymentView> {
    const env = this.environment(opts.environment);
    const [deployment] = await this.store.deployments.progressing(env.name);
    const rollouts = deployment === undefined ? [] : await this.store.deployments.rolloutsOf(deployment.id);
    const waiting = rollouts.filter((r) => r.state === 'awaiting-approval');
    if (deployment === undefined || waiting.length === 0) {
      throw new TandemError('TANDEM_NOTHING_TO_APPROVE', `no rollout of "${env.name}" is awaiting approval`, {
        exitCode: 2,
      });
    }
    if (!mayApprove(opts.roles, env.approval)) {
      throw new TandemError(
        'TANDEM_FORBIDDEN',
        `approving "${env.name}" needs one of the roles ${env.approval.join(', ')}; you have ${opts.roles.join(', ') || 'none'}`,
        { exitCode: 2 },
      );
    }
    if (!env.selfApproval) {
      const requestedBy = await this.requesterOf(deployment.id);
      if (requestedBy !== undefined && requestedBy === opts.by) {
        throw new TandemError(
          'TANDEM_SELF_APPROVAL',
          `you (${opts.by}) asked for this deployment of "${env.name}", which does not allow self-approval: someone else with the role ${env.approval.join(' or ')} must approve it`,
          { exitCode: 2 },
        );
      }
    }
    const now = this.clock.now();
    await this.store.deployments.approve(
      deployment.id,
      waiting.map((r) => ({ ...r, state: 'pending' as const, stepStartedAt: now, updatedAt: now })),
      opts.by,
      new Date(now),
    );
    this.reconciler.poke();
    return (await this.deployment(deployment.id)) as DeploymentView;
  }

  /** Who asked for a deployment (its `deployment.started` event); undefined when Tandem did. */
  private async requesterOf(deploymentId: string): Promise<string | undefined> {
    const events = await this.store.events.list({ subjectKind: 'deployment', subjectId: deploymentId });
    const by = events.find((e) => e.type === 'deployment.started')?.data.by;
    return typeof by === 'string' ? by : undefined;
  }

  /** Protected environments: only operators and admins act on them (Tandem itself always may). */
  private authorize(env: EnvironmentPlan, actor: Actor | undefined, action: string): void {
    if (!env.protected || actor === undefined) return;
    if (actor.roles.includes('operator') || actor.roles.includes('admin')) return;
    throw new TandemError(
      'TANDEM_FORBIDDEN',
      `"${env.name}" is protected: only an operator may ${action} there (you: ${actor.principal}, roles ${actor.roles.join(', ') || 'none'})`,
      { exitCode: 2 },
    );
  }

  /** A description of the freeze window blocking deploys to `env` now, or undefined. */
  private frozen(env: EnvironmentPlan): string | undefined {
    const active = activeFreeze(env.freeze, new Date(this.clock.now()), env.timezone);
    if (active === undefined) return undefined;
    const zone = active.window.zone ?? env.timezone;
    const until =
      active.endsAt === null
        ? 'with no end in the next year'
        : `until ${describeInstant(active.endsAt, zone)}`;
    return `freeze ${describeFreeze(active.window, env.timezone)}, ${until}`;
  }

  /** A deploy that succeeded flows on to the environments that promote from its own. */
  private async flowOn(deploymentId: string): Promise<void> {
    const d = await this.store.deployments.get(deploymentId);
    if (d === undefined || d.kind !== 'deploy') return;
    this.auto.promoted(d.environment, releaseOfRevision(d.release));
    void this.auto.tick();
  }

  /**
   * After a restart: a release promoted in an environment that has not flowed on yet (the
   * control plane stopped in between) is queued again. Derived from the history, so nothing
   * about the chain needs to be remembered.
   */
  private async catchUpPromotions(): Promise<void> {
    for (const env of this.plans) {
      if (!env.auto || env.promoteFrom === null) continue;
      const upstream = (await this.store.deployments.history(env.promoteFrom, 50)).find(
        (d) => d.kind === 'deploy' && d.state === 'succeeded',
      );
      if (upstream === undefined) continue;
      const release = releaseOfRevision(upstream.release);
      const here = await this.store.deployments.history(env.name, 50);
      // Anything deployed here since the promotion upstream means it already flowed (or was overridden).
      const since = upstream.finishedAt ?? upstream.startedAt;
      if (here.some((d) => d.startedAt >= since)) continue;
      this.auto.promoted(env.promoteFrom, release);
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private async reload(): Promise<void> {
    const loaded = await loadConfig({ config: this.loaded.file, cwd: this.loaded.dir });
    const plans = planEnvironments(loaded, { env: this.env, secrets: undefined });
    const observe = planObserve(loaded);
    const changed = JSON.stringify(observe) !== JSON.stringify(this.observePlan);
    this.loaded = loaded;
    this.plans = plans;
    this.observePlan = observe;
    if (changed && this.alerting !== undefined) await this.resetAlerting();
  }

  private environment(name: string): EnvironmentPlan {
    const env = this.plans.find((e) => e.name === name);
    if (env !== undefined) return env;
    const names = this.plans.map((e) => e.name);
    const hint = didYouMean(name, names);
    throw new TandemError(
      'TANDEM_UNKNOWN_ENVIRONMENT',
      `unknown environment "${name}" (environments: ${names.length > 0 ? names.join(', ') : 'none; add one under `environments:` in tandem.yaml'})${hint ? `; did you mean "${hint}"?` : ''}`,
      { exitCode: 2 },
    );
  }

  private servicePlan(environment: string, service: string): ServicePlan | undefined {
    return this.plans.find((e) => e.name === environment)?.services.find((s) => s.name === service);
  }

  private async refuseBusy(environment: string, force: boolean, afterPrepare = false): Promise<void> {
    if (!afterPrepare && this.preparing.has(environment)) {
      throw new TandemError(
        'TANDEM_ROLLOUT_IN_PROGRESS',
        `a deploy to "${environment}" is being prepared (building its release); wait for it to finish`,
      );
    }
    if (force) return;
    const active = await this.store.deployments.progressing(environment);
    if (active[0] !== undefined) {
      throw new TandemError(
        'TANDEM_ROLLOUT_IN_PROGRESS',
        `a rollout of "${environment}" is in progress (${active[0].id}, ${active[0].kind} of ${active[0].release}); wait for it, or pass --force to supersede it`,
      );
    }
  }

  private async currentRelease(environment: string): Promise<string | undefined> {
    const states = (await this.store.deployments.serviceStates()).filter(
      (s) => s.environment === environment,
    );
    return states[0] === undefined ? undefined : releaseOfRevision(states[0].release);
  }

  private async readyRelease(id: string): Promise<StoredRelease> {
    const release = await this.store.releases.get(id);
    if (release === undefined || release.status !== 'ready') {
      const known = (await this.store.releases.list({ limit: 5 }))
        .filter((r) => r.status === 'ready')
        .map((r) => r.id);
      throw new TandemError(
        'TANDEM_UNKNOWN_RELEASE',
        release === undefined
          ? `no release "${id}"${known.length > 0 ? ` (recent: ${known.join(', ')})` : ''}`
          : `release ${id} is ${release.status}${release.reason ? `: ${release.reason}` : ''}`,
        { exitCode: 2 },
      );
    }
    return release;
  }

  private async buildRelease(ref: string): Promise<StoredRelease> {
    return createRelease({
      project: this.loaded.config.project,
      projectDir: this.loaded.dir,
      stateRoot: this.loaded.dir,
      ref,
      configSnapshot: snapshotOf(this.loaded.config),
      store: this.store,
      env: this.env,
      signal: new AbortController().signal,
      onProgress: (message: string) => logger().info({ ref }, message),
    });
  }

  /** Each service's `release:` command, once per release and environment, before the rollout. */
  private async runReleaseCommands(
    env: EnvironmentPlan,
    release: StoredRelease,
  ): Promise<string | undefined> {
    const projectDir = releaseProjectDir(this.loaded.dir, release);
    for (const s of env.services) {
      const plan = await this.releasePlan(env.name, s.name, release);
      if (plan.release === undefined) continue;
      const logFile = path.join(
        stateDir(this.loaded.dir),
        'logs',
        'releases',
        `${release.id}-${env.name}-${s.name}.log`,
      );
      const result = await runReleaseCommand({
        cwd: path.resolve(projectDir, plan.workingDirectory),
        command: plan.release,
        env: instanceEnv(this.env, plan, {
          environment: env.name,
          revision: release.id,
          instance: `${env.name}-${s.name}-release`,
        }),
        logFile,
        signal: new AbortController().signal,
        timeoutMs: RELEASE_COMMAND_TIMEOUT_MS,
      });
      if (!result.ok) {
        return `${s.name}: the release command \`${plan.release}\` failed (exit ${result.exitCode}); last lines:\n${result.lastLines.map((l) => `  ${l}`).join('\n')}`;
      }
    }
    return undefined;
  }

  private async releasePlan(
    environment: string,
    service: string,
    release: StoredRelease,
  ): Promise<ServicePlan> {
    const secrets = await openVault(this.store, this.loaded.dir, this.env).toSecretSource();
    return servicePlanOfRelease(
      release.id,
      release.config,
      releaseProjectDir(this.loaded.dir, release),
      environment,
      service,
      {
        env: this.env,
        secrets,
      },
    );
  }

  private async startDeployment(
    env: EnvironmentPlan,
    kind: 'deploy' | 'rollback',
    releaseId: string,
    force: boolean,
    trigger = 'manual',
    requestedBy?: string,
  ): Promise<DeploymentView> {
    const now = this.clock.now();
    const id = newDeploymentId(now);
    const states = (await this.store.deployments.serviceStates()).filter((s) => s.environment === env.name);
    const rollouts = env.services.map((s) => {
      const running = states.find((x) => x.service === s.name);
      const from = running?.release ?? null;
      // An autoscaled service keeps the count it has scaled to: a deploy never resets the autoscaler.
      const replicas =
        s.autoscale !== null && running !== undefined
          ? clampReplicas(s.autoscale, running.replicas)
          : s.replicas;
      const rollout = newRollout(id, s.name, env.strategy, from, releaseId, replicas, now);
      // Approval gates deploys; a rollback is the way out of trouble and is never held.
      return kind === 'deploy' && env.approval.length > 0
        ? { ...rollout, state: 'awaiting-approval' as const }
        : rollout;
    });
    return this.begin({
      id,
      environment: env.name,
      kind,
      release: releaseId,
      rollouts,
      force,
      trigger,
      ...(requestedBy === undefined ? {} : { requestedBy }),
    });
  }

  private async begin(d: {
    id: string;
    environment: string;
    kind: 'deploy' | 'rollback' | 'restart';
    release: string;
    rollouts: Rollout[];
    force: boolean;
    trigger?: string;
    requestedBy?: string;
  }): Promise<DeploymentView> {
    const active = await this.store.deployments.progressing(d.environment);
    const fromRelease = (await this.currentRelease(d.environment)) ?? null;
    await this.store.deployments.start({
      id: d.id,
      environment: d.environment,
      kind: d.kind,
      release: d.release,
      fromRelease,
      rollouts: d.rollouts,
      supersede: d.force ? active.map((a) => a.id) : [],
      trigger: d.trigger ?? 'manual',
      ...(d.requestedBy === undefined ? {} : { requestedBy: d.requestedBy }),
      at: new Date(this.clock.now()),
    });
    this.reconciler.poke();
    return (await this.deployment(d.id)) as DeploymentView;
  }

  private async failedDeployment(
    environment: string,
    kind: 'deploy',
    release: string,
    reason: string,
    trigger: string,
  ): Promise<DeploymentView> {
    const now = this.clock.now();
    const id = newDeploymentId(now);
    const fromRelease = (await this.currentRelease(environment)) ?? null;
    await this.store.deployments.start({
      id,
      environment,
      kind,
      release,
      fromRelease,
      rollouts: [],
      supersede: [],
      trigger,
      at: new Date(now),
    });
    await this.store.deployments.finish(id, 'failed', reason, [], new Date(now));
    return (await this.deployment(id)) as DeploymentView;
  }

  private resolver(): RuntimeResolver {
    return {
      service: (environment, service) => {
        const plan = this.servicePlan(environment, service);
        const sticky = this.plans.find((e) => e.name === environment)?.sticky ?? false;
        return { listen: plan?.listen ?? null, sticky, drainMs: plan?.drainMs ?? 30_000 };
      },
      revision: async (environment, service, revision) => {
        const release = await this.readyRelease(releaseOfRevision(revision));
        const plan = await this.releasePlan(environment, service, release);
        const projectDir = releaseProjectDir(this.loaded.dir, release);
        return { spec: () => instanceSpec({ environment, revision, plan, projectDir, baseEnv: this.env }) };
      },
    };
  }

  /** Every configured listener open on its port; listeners no longer configured closed. */
  private async syncListeners(): Promise<void> {
    const state = await this.agent.state();
    const wanted = new Map<string, { port: number; sticky: boolean }>();
    for (const env of this.plans)
      for (const s of env.services)
        if (s.listen !== null)
          wanted.set(serviceKey(env.name, s.name), { port: s.listen, sticky: env.sticky });
    for (const l of state.listeners) {
      if (wanted.get(l.key)?.port !== l.port) await this.agent.deleteListener(l.key);
    }
    for (const [key, { port, sticky }] of wanted) {
      const existing = state.listeners.find((l) => l.key === key);
      // Kept when on its port with the configured stickiness (the PUT would only re-set its table).
      if (existing?.port === port && (existing.sticky === true) === sticky) continue;
      await this.agent.putListener({
        key,
        port,
        host: LISTEN_HOST,
        traffic: existing?.traffic ?? [],
        ...(sticky ? { sticky: true } : {}),
      });
    }
  }
}

function newDeploymentId(now: number): string {
  return `d${now.toString(36)}${randomBytes(2).toString('hex')}`;
}

function progressDeadlineOf(strategy: StrategyConfig): number | undefined {
  return strategy.progressDeadlineMs;
}

function newRollout(
  deploymentId: string,
  service: string,
  strategy: StrategyConfig,
  from: string | null,
  to: string,
  replicas: number,
  now: number,
): Rollout {
  return {
    id: `${deploymentId}.${service}`,
    service,
    strategy,
    from,
    to,
    replicas,
    state: 'pending',
    step: 0,
    startedAt: now,
    stepStartedAt: now,
    updatedAt: now,
  };
}

function describeChanges(before: EnvironmentPlan[], after: EnvironmentPlan[]): string[] {
  const changes: string[] = [];
  const key = (e: EnvironmentPlan) =>
    JSON.stringify({ ...e, services: e.services.map((s) => ({ ...s, env: Object.keys(s.env) })) });
  for (const e of after) {
    const old = before.find((b) => b.name === e.name);
    if (old === undefined) changes.push(`environment ${e.name} added`);
    else if (key(old) !== key(e)) changes.push(`environment ${e.name} changed`);
  }
  for (const b of before)
    if (!after.some((e) => e.name === b.name)) changes.push(`environment ${b.name} removed`);
  return changes;
}

/** Admins may approve anything; otherwise one of the environment's approval roles is needed. */
export function mayApprove(roles: readonly string[], required: readonly string[]): boolean {
  return roles.includes('admin') || required.some((r) => roles.includes(r));
}
