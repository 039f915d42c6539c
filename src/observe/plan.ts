/**
 * Compiles the operations half of tandem.yaml (`observe`, `alerts`, per-service `metrics`, `slo`,
 * `owners`, and `notify.receivers` / `notify.routes`) into what the control plane runs. Pure;
 * every problem is reported at its position in one ConfigError, like planEnvironments.
 */
import { ConfigError, type ConfigIssue, type ConfigPath } from '../config/errors.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import { isTandemError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { type AlertRule, ConditionError, compileRule } from './alerts/index.js';
import { DEFAULT_RETENTION, type Retention } from './metrics/types.js';
import {
  DEFAULT_FLAP_OPTIONS,
  type FlapOptions,
  type ReceiverConfig,
  type RouteConfig,
  type RoutingConfig,
} from './routing/index.js';
import { type BurnRateAlert, type SloObjective, sloAlerts, sloObjectives } from './slo/index.js';

export const DEFAULT_OBSERVE_INTERVAL_MS = 5000;
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 5000;
/** `notify.webhook` and `notify.slack` together are this receiver. */
export const DEFAULT_RECEIVER = 'default';

export interface ScrapeConfig {
  path: string;
  intervalMs: number;
  timeoutMs: number;
}

export interface ObservePlan {
  /** `observe.enabled`: false turns collection, alerts and the autoscaler off. */
  enabled: boolean;
  intervalMs: number;
  retention: Retention;
  flap: FlapOptions;
  rules: AlertRule[];
  slo: Record<string, { objectives: SloObjective[]; alerts: BurnRateAlert[] }>;
  /** Receivers carry their raw (uninterpolated) url/secret; secrets are resolved when sending. */
  routing: RoutingConfig;
  scrape: Record<string, ScrapeConfig>;
  /** The owning team of each service (its own `owners.team`, else the project's). */
  owners: Record<string, string | undefined>;
}

export function planObserve(loaded: LoadedConfig): ObservePlan {
  const issues: ConfigIssue[] = [];
  const add = (path: ConfigPath, message: string, suggestion?: string) =>
    issues.push(loaded.issueAt(path, message, suggestion === undefined ? {} : { suggestion }));
  const { config } = loaded;
  const services = config.services ?? {};
  const serviceNames = Object.keys(services);
  const environmentNames = Object.keys(config.environments ?? {});

  const rules: AlertRule[] = [];
  const seen = new Set<string>();
  (config.alerts ?? []).forEach((a, i) => {
    const base = ['alerts', i];
    if (seen.has(a.name))
      add([...base, 'name'], `two alert rules are named "${a.name}"; names must be unique`);
    seen.add(a.name);
    if (a.service !== undefined && !serviceNames.includes(a.service))
      add([...base, 'service'], `unknown service "${a.service}"`, didYouMean(a.service, serviceNames));
    if (a.environment !== undefined && !environmentNames.includes(a.environment))
      add(
        [...base, 'environment'],
        `unknown environment "${a.environment}"`,
        didYouMean(a.environment, environmentNames),
      );
    try {
      rules.push(
        compileRule({
          name: a.name,
          when: a.when,
          ...(a.service !== undefined ? { service: a.service } : {}),
          ...(a.environment !== undefined ? { environment: a.environment } : {}),
          ...(a.window !== undefined ? { window: a.window } : {}),
          ...(a.for !== undefined ? { for: a.for } : {}),
          ...(a.keep_firing_for !== undefined ? { keepFiringFor: a.keep_firing_for } : {}),
          ...(a.severity !== undefined ? { severity: a.severity } : {}),
          ...(a.labels !== undefined ? { labels: a.labels } : {}),
          ...(a.runbook !== undefined ? { runbook: a.runbook } : {}),
          ...(a.summary !== undefined ? { summary: a.summary } : {}),
          ...(a.nodata !== undefined ? { nodata: a.nodata } : {}),
        }),
      );
    } catch (err) {
      if (err instanceof ConditionError) add([...base, 'when'], err.message);
      else if (isTandemError(err)) add(base, err.message);
      else throw err;
    }
  });

  const slo: ObservePlan['slo'] = {};
  const scrape: Record<string, ScrapeConfig> = {};
  const owners: Record<string, string | undefined> = {};
  for (const [name, s] of Object.entries(services)) {
    owners[name] = s.owners?.team ?? config.owners?.team;
    if (s.metrics !== undefined) {
      scrape[name] = {
        path: s.metrics.path,
        intervalMs: s.metrics.interval ?? DEFAULT_SCRAPE_INTERVAL_MS,
        timeoutMs: s.metrics.timeout ?? DEFAULT_SCRAPE_TIMEOUT_MS,
      };
    }
    if (s.slo !== undefined) {
      const input = {
        ...(s.slo.availability !== undefined ? { availability: s.slo.availability } : {}),
        ...(s.slo.latency !== undefined ? { latency: s.slo.latency } : {}),
        ...(s.slo.window !== undefined ? { window: s.slo.window } : {}),
      };
      try {
        slo[name] = { objectives: sloObjectives(name, input), alerts: sloAlerts(name, input) };
      } catch (err) {
        if (isTandemError(err)) add(['services', name, 'slo'], err.message);
        else throw err;
      }
    }
  }

  const routing = routingOf(loaded, add);
  const o = config.observe;
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    enabled: o?.enabled ?? true,
    intervalMs: o?.interval ?? DEFAULT_OBSERVE_INTERVAL_MS,
    retention: {
      rawMs: o?.retention?.raw ?? DEFAULT_RETENTION.rawMs,
      minuteMs: o?.retention?.minute ?? DEFAULT_RETENTION.minuteMs,
      hourMs: o?.retention?.hour ?? DEFAULT_RETENTION.hourMs,
    },
    flap: {
      threshold: o?.flapping?.changes ?? DEFAULT_FLAP_OPTIONS.threshold,
      windowMs: o?.flapping?.window ?? DEFAULT_FLAP_OPTIONS.windowMs,
      stableMs: o?.flapping?.stable ?? DEFAULT_FLAP_OPTIONS.stableMs,
    },
    rules,
    slo,
    routing,
    scrape,
    owners,
  };
}

function routingOf(
  loaded: LoadedConfig,
  add: (path: ConfigPath, message: string, suggestion?: string) => void,
): RoutingConfig {
  const notify = loaded.config.notify;
  const receivers: Record<string, ReceiverConfig> = {};
  // The project-wide receivers of rollout events also hear about alerts unless routes say otherwise.
  const defaults: ReceiverConfig[] = [
    ...(notify?.webhook ?? []).map((w) => ({ kind: 'webhook' as const, url: w.url, secret: w.secret })),
    ...(notify?.slack !== undefined ? [{ kind: 'slack' as const, url: notify.slack.url }] : []),
  ];
  receivers[DEFAULT_RECEIVER] = { kind: 'webhook', targets: defaults };
  for (const [name, r] of Object.entries(notify?.receivers ?? {})) {
    if (name === DEFAULT_RECEIVER) {
      add(
        ['notify', 'receivers', name],
        `"${DEFAULT_RECEIVER}" is the name of notify.webhook + notify.slack; pick another name`,
      );
      continue;
    }
    receivers[name] =
      'webhook' in r
        ? { kind: 'webhook', targets: [{ kind: 'webhook', url: r.webhook.url, secret: r.webhook.secret }] }
        : { kind: 'slack', targets: [{ kind: 'slack', url: r.slack.url }] };
  }
  const names = Object.keys(receivers);
  const routes: RouteConfig[] = (notify?.routes ?? []).map((r, i) => {
    if (!names.includes(r.receiver))
      add(
        ['notify', 'routes', i, 'receiver'],
        `unknown receiver "${r.receiver}"`,
        didYouMean(r.receiver, names),
      );
    return {
      receiver: r.receiver,
      ...(r.match !== undefined ? { match: r.match } : {}),
      ...(r.group_by !== undefined ? { groupBy: r.group_by } : {}),
      ...(r.group_wait !== undefined ? { groupWaitMs: r.group_wait } : {}),
      ...(r.group_interval !== undefined ? { groupIntervalMs: r.group_interval } : {}),
      ...(r.repeat_interval !== undefined ? { repeatIntervalMs: r.repeat_interval } : {}),
      ...(r.continue !== undefined ? { continue: r.continue } : {}),
    };
  });
  return { receivers, routes, defaultReceiver: DEFAULT_RECEIVER };
}

/** The notifier targets of a receiver (see routingOf): `{ kind, url, secret? }` each. */
export function receiverTargets(
  r: ReceiverConfig,
): Array<{ kind: 'webhook' | 'slack'; url: string; secret?: string }> {
  return (r.targets as Array<{ kind: 'webhook' | 'slack'; url: string; secret?: string }> | undefined) ?? [];
}
