/**
 * Alert evaluation in the control plane (issue 5). At every collection tick:
 *   rules (tandem.yaml `alerts:` and the SLO burn-rate alerts) × deployed services → measure on
 *   the metrics store → step the state machine → persist states with their transition events (one
 *   transaction) → hand the alerts to the router (grouping, silences, flap damping) → send what it
 *   says, one dispatcher per receiver.
 * A page-severity alert that starts firing opens an incident (or joins the open one of its
 * service), linked to the releases deployed around it; the incident resolves by itself when none
 * of its alerts is active any more. Missing data is its own state: a `nodata` alert is notified
 * (label alertstate=nodata) but never opens an incident, and never counts as the all-clear.
 */
import { envAndSecrets, interpolate } from '../config/interpolate.js';
import { logger } from '../log/logger.js';
import { createDispatcher, type Dispatcher, type Notification, type Notifier } from '../notify/index.js';
import { createSlackNotifier } from '../notify/slack/slack-notifier.js';
import { createWebhookNotifier } from '../notify/webhook/webhook-notifier.js';
import {
  type AlertInstance,
  type AlertRuleBase,
  type AlertState,
  expandRules,
  isActive,
  measureWithReason,
  step,
} from '../observe/alerts/index.js';
import { linkReleases } from '../observe/incidents/index.js';
import type { MetricsSource, Subject, WindowStats } from '../observe/metrics/types.js';
import { type ObservePlan, receiverTargets } from '../observe/plan.js';
import {
  type AlertRouter,
  type AlertUpdate,
  activeSilences,
  createAlertRouter,
  routeAlert,
  type Silence,
  silencedBy,
} from '../observe/routing/index.js';
import { type BurnRateAlert, evaluateBurn, ratioReader } from '../observe/slo/index.js';
import type { SecretSource } from '../pipeline/types.js';
import type { AlertStateInput, AlertTransition } from '../store/repositories/alert-states.js';
import type { Store } from '../store/store.js';
import type { Clock } from './ports.js';

/** What is stored per alert instance (alert_states.record) and shown by `tandem alerts`. */
export interface AlertRecord extends AlertState {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  severity: string;
  condition: string;
  /** Why there is no value (nodata). */
  reason?: string;
}

type AnyRule = AlertRuleBase & { window?: number };

export interface AlertingDeps {
  store: Store;
  metrics: MetricsSource;
  clock: Clock;
  plan: ObservePlan;
  secrets: SecretSource;
  env: Record<string, string | undefined>;
  /** Every (environment, service) deployed now. */
  targets(): Promise<Array<{ environment: string; service: string }>>;
  /** Sends instead of the real notifiers (tests). */
  send?: (receiver: string, n: Notification) => void;
}

export class Alerting {
  private readonly router: AlertRouter;
  private readonly states = new Map<string, AlertRecord>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly persisted = new Map<string, number | undefined>();
  /** When each `<env>.<service>` first became a target of this evaluator (0: known from the store). */
  private readonly firstSeen = new Map<string, number>();
  private readonly known = new Set<string>();
  private silences: Silence[] = [];
  private loaded = false;

  constructor(private readonly deps: AlertingDeps) {
    const { plan } = deps;
    this.router = createAlertRouter({
      config: plan.routing,
      ownerOf: (service) => (service === undefined ? undefined : plan.owners[service]),
      flap: plan.flap,
    });
    if (deps.send === undefined) {
      const value = (text: string) => interpolate(text, envAndSecrets(deps.env, deps.secrets));
      for (const [name, receiver] of Object.entries(plan.routing.receivers)) {
        const notifiers: Notifier[] = receiverTargets(receiver).map((t) =>
          t.kind === 'slack'
            ? createSlackNotifier({ url: value(t.url) })
            : createWebhookNotifier({
                url: value(t.url),
                ...(t.secret === undefined ? {} : { secret: value(t.secret) }),
              }),
        );
        if (notifiers.length > 0) this.dispatchers.set(name, createDispatcher({ notifiers }));
      }
    }
  }

  /** The current alert instances (for status, `tandem alerts` reads the store). */
  current(): ReadonlyMap<string, AlertRecord> {
    return this.states;
  }

  async evaluate(): Promise<void> {
    const { store, clock, plan } = this.deps;
    const now = clock.now();
    if (!this.loaded) {
      // A restart continues where it was: pending timers and firing alerts are not lost.
      for (const s of await store.alertStates.loadAll<AlertRecord>()) {
        this.states.set(s.fingerprint, s.record);
        this.known.add(`${s.environment}.${s.service}`);
      }
      this.loaded = true;
    }
    const targets = await this.deps.targets();
    for (const t of targets) {
      const k = `${t.environment}.${t.service}`;
      if (!this.firstSeen.has(k)) this.firstSeen.set(k, this.known.has(k) ? 0 : now);
    }
    const instances: Array<AlertInstance<AnyRule>> = [
      ...expandRules<AnyRule>(plan.rules, targets),
      ...expandRules<AnyRule>(
        Object.values(plan.slo).flatMap((s) => s.alerts),
        targets,
      ),
    ];
    const windows = new Map<string, WindowStats>();
    const windowOf = (subject: Subject, from: number, to: number) => {
      const k = `${subject.environment}.${subject.service}:${to - from}`;
      let w = windows.get(k);
      if (w === undefined) {
        w = this.deps.metrics.window(subject, from, to);
        windows.set(k, w);
      }
      return w;
    };

    const records: AlertStateInput[] = [];
    const transitions: AlertTransition[] = [];
    const updates: AlertUpdate[] = [];
    const opened: Array<AlertInstance<AnyRule>> = [];
    const resolved: Array<AlertInstance<AnyRule>> = [];
    const live = new Set<string>();
    for (const inst of instances) {
      live.add(inst.fingerprint);
      const subject = { environment: inst.environment, service: inst.service, instance: '' };
      // A service just deployed is judged from then on: its first deploy (nothing healthy yet)
      // is not an outage, so windows start when it became a target, after one whole tick.
      const since = this.firstSeen.get(`${inst.environment}.${inst.service}`) ?? 0;
      if (now - since < plan.intervalMs) continue;
      const { value, reason, text } = this.measure(inst.rule, subject, now, since, windowOf);
      const prev = this.states.get(inst.fingerprint);
      const { state, transition } = step(prev, value, inst.rule, now);
      const record: AlertRecord = {
        ...state,
        labels: inst.labels,
        annotations: annotationsOf(inst),
        severity: inst.rule.severity,
        condition: text,
        ...(reason !== undefined ? { reason } : {}),
      };
      this.states.set(inst.fingerprint, record);
      records.push({
        fingerprint: inst.fingerprint,
        rule: inst.rule.name,
        environment: inst.environment,
        service: inst.service,
        state: state.status,
        // Stored as of its last status change (the value then): the evaluation time and the latest
        // value change every tick, and writing them would turn every tick into writes.
        record: {
          ...record,
          lastEvalAt: state.since,
          lastValue: this.storedValue(inst.fingerprint, prev, state),
        },
      });
      const stored = transition === 'firing' || transition === 'resolved' || transition === 'nodata';
      if (stored) {
        transitions.push({
          fingerprint: inst.fingerprint,
          rule: inst.rule.name,
          environment: inst.environment,
          service: inst.service,
          from: prev?.status ?? 'inactive',
          to: transition,
          data: {
            severity: inst.rule.severity,
            condition: text,
            value: value ?? null,
            ...(reason !== undefined ? { reason } : {}),
            labels: inst.labels,
          },
          at: new Date(now),
        });
      }
      if (isActive(state)) {
        updates.push(this.update(inst, record, 'firing', state.firedAt ?? now));
        if (transition === 'firing') opened.push(inst);
      } else if (transition === 'resolved' && prev?.firedAt !== undefined) {
        updates.push({ ...this.update(inst, record, 'resolved', prev.firedAt), endsAt: iso(now) });
        resolved.push(inst);
      }
      // nodata is its own alert, so its end is told apart from the end of a problem.
      const nodata = `${inst.fingerprint}-nodata`;
      if (state.status === 'nodata') {
        updates.push({
          ...this.update(inst, record, 'firing', state.since),
          fingerprint: nodata,
          labels: { ...inst.labels, alertstate: 'nodata' },
        });
      } else if (prev?.status === 'nodata') {
        updates.push({
          ...this.update(inst, record, 'resolved', prev.since),
          fingerprint: nodata,
          labels: { ...inst.labels, alertstate: 'nodata' },
          endsAt: iso(now),
        });
      }
    }
    const removed = [...this.states.keys()].filter((k) => !live.has(k));
    for (const k of removed) this.states.delete(k);
    await store.alertStates.saveAll(records, transitions, { remove: removed, at: new Date(now) });

    const silences = (await store.silences.list({ active: new Date(now) })).map((s): Silence => ({ ...s }));
    this.silences = silences;
    for (const inst of opened) if (inst.rule.severity === 'page') await this.openIncident(inst, now);
    for (const inst of resolved) if (inst.rule.severity === 'page') await this.maybeResolve(inst, now);

    this.router.setSilences(silences);
    this.router.ingest(updates, now);
    for (const { receiver, notification } of this.router.tick(now)) this.send(receiver, notification);
  }

  /** Routes and groups alerts between evaluations (group_wait and friends run on the clock). */
  flush(): void {
    for (const { receiver, notification } of this.router.tick(this.deps.clock.now()))
      this.send(receiver, notification);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.drain(5000)));
  }

  private measure(
    rule: AnyRule,
    subject: Subject,
    now: number,
    since: number,
    windowOf: (s: Subject, from: number, to: number) => WindowStats,
  ): { value: number | undefined; reason?: string; text: string } {
    const burn = rule as Partial<BurnRateAlert>;
    if (burn.slo !== undefined && burn.longWindow !== undefined) {
      const b = burn as BurnRateAlert;
      const e = evaluateBurn(
        b,
        ratioReader(b.slo, (from, to) => windowOf(subject, from, to), now),
      );
      return {
        value: e.value,
        ...(e.value === undefined ? { reason: 'no metrics in one of the burn-rate windows' } : {}),
        text: `burn rate > ${b.threshold} over ${b.longWindow / 60_000}m and ${b.shortWindow / 60_000}m`,
      };
    }
    const user = rule as AnyRule & { when: { text: string }; window: number };
    const from = Math.max(now - user.window, since);
    const w = windowOf(subject, from, now);
    const m = measureWithReason(user.when as never, w, (name, labels) =>
      this.deps.metrics.app(subject, name, labels, from, now),
    );
    return m.value === undefined
      ? { value: undefined, reason: m.reason, text: user.when.text }
      : { value: m.value, text: user.when.text };
  }

  /** The value stored with the alert's state: the one measured when its status last changed. */
  private storedValue(fp: string, prev: AlertRecord | undefined, state: AlertState): number | undefined {
    const same = prev !== undefined && prev.status === state.status && prev.since === state.since;
    const value = same && this.persisted.has(fp) ? this.persisted.get(fp) : state.lastValue;
    this.persisted.set(fp, value);
    return value;
  }

  private update(
    inst: AlertInstance<AnyRule>,
    record: AlertRecord,
    state: 'firing' | 'resolved',
    since: number,
  ): AlertUpdate {
    return {
      fingerprint: inst.fingerprint,
      labels: inst.labels,
      annotations: record.annotations,
      state,
      startsAt: iso(since),
    };
  }

  private async openIncident(inst: AlertInstance<AnyRule>, now: number): Promise<void> {
    const { store } = this.deps;
    try {
      const history = await store.deployments.history(inst.environment, 200);
      const state = this.states.get(inst.fingerprint);
      const linked = linkReleases(
        { from: new Date(state?.activeAt ?? now), to: new Date(now) },
        history,
        inst.environment,
      );
      const { incident, opened } = await store.incidents.open({
        environment: inst.environment,
        service: inst.service,
        title: inst.rule.summary ?? `${inst.rule.name}: ${state?.condition ?? ''}`.trim(),
        severity: inst.rule.severity,
        cause: { kind: 'alert', ref: inst.fingerprint },
        releases: linked.releases,
        suspects: linked.suspects,
        at: new Date(now),
      });
      if (opened)
        this.incidentNotification(inst, 'incident.opened', incident.id, incident.title, now, linked.releases);
    } catch (err) {
      logger().warn({ err, alert: inst.rule.name }, 'could not open an incident');
    }
  }

  /** Resolves the service's open incident when none of its alerts is active any more. */
  private async maybeResolve(inst: AlertInstance<AnyRule>, now: number): Promise<void> {
    const { store } = this.deps;
    try {
      const incident = await store.incidents.openFor(inst.environment, inst.service);
      if (incident === undefined || incident.cause.kind !== 'alert') return;
      if (incident.alerts.some((fp) => isActive(this.states.get(fp)))) return;
      const done = await store.incidents.resolve(incident.id, 'tandem', 'its alerts cleared', new Date(now));
      this.incidentNotification(inst, 'incident.resolved', done.id, done.title, now, done.releases);
    } catch (err) {
      logger().warn({ err, alert: inst.rule.name }, 'could not resolve the incident');
    }
  }

  private incidentNotification(
    inst: AlertInstance<AnyRule>,
    type: 'incident.opened' | 'incident.resolved',
    id: string,
    title: string,
    now: number,
    releases: string[],
  ): void {
    const n: Notification = {
      id: `${id}-${type === 'incident.opened' ? 'opened' : 'resolved'}`,
      type,
      at: iso(now),
      environment: inst.environment,
      service: inst.service,
      summary: `${inst.environment}/${inst.service}: incident ${id} ${type === 'incident.opened' ? 'opened' : 'resolved'} — ${title}`,
      data: { incident: id, title, severity: inst.rule.severity, releases, alert: inst.labels },
    };
    // A silence covers the incident's notifications too (maintenance): it is still opened and shown.
    if (silencedBy(activeSilences(this.silences, now), inst.labels).length > 0) return;
    const receivers = new Set(routeAlert(this.deps.plan.routing, inst.labels).map((d) => d.receiver));
    for (const r of receivers) this.send(r, n);
  }

  private send(receiver: string, n: Notification): void {
    if (this.deps.send !== undefined) {
      this.deps.send(receiver, n);
      return;
    }
    this.dispatchers.get(receiver)?.notify(n);
  }
}

function annotationsOf(inst: AlertInstance<AnyRule>): Record<string, string> {
  const a: Record<string, string> = {};
  if (inst.annotations.summary !== undefined) a.summary = inst.annotations.summary;
  if (inst.annotations.runbook !== undefined) a.runbook = inst.annotations.runbook;
  return a;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
