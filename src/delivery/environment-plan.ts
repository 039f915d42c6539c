/**
 * Compiles `services:` and `environments:` into what the control plane deploys: per
 * environment, its strategy and the fully resolved services (defaults applied, env interpolated,
 * working directory checked). Pure; every problem is reported at its position in one ConfigError,
 * like the pipeline's plan.
 */
import type { AutoscaleSpec } from '../autoscale/controller.js';
import { autoscaleSpecOf, clampReplicas } from '../autoscale/from-config.js';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../config/errors.js';
import { envAndSecrets, InterpolationError, interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import type { EnvironmentConfig, ServiceConfig } from '../config/services-schema.js';
import { SECRET_PLACEHOLDER } from '../pipeline/plan/plan.js';
import { resolveWorkingDirectory } from '../pipeline/plan/working-directory.js';
import type { SecretSource } from '../pipeline/types.js';
import type { HealthCheck } from '../runtime/local/types.js';
import { didYouMean } from '../util/did-you-mean.js';
import { type AnalysisConfig, DEFAULT_ANALYSIS, resolveAnalysis } from './analysis/index.js';
import { type FreezeWindow, isTimeZone, parseFreeze, unknownTimeZoneMessage } from './freeze/index.js';
import {
  DEFAULT_MAX_SURGE,
  DEFAULT_MAX_UNAVAILABLE,
  DEFAULT_PROGRESS_DEADLINE_MS,
  DEFAULT_SCALE_DOWN_DELAY_MS,
  type StrategyConfig,
} from './types.js';

export const DEFAULT_DRAIN_MS = 30_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_HEALTH = {
  intervalMs: 2000,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 3,
};

export interface ServicePlan {
  name: string;
  run: string;
  /** Working directory relative to the project root (posix, '.' for the root). */
  workingDirectory: string;
  /** The service's own env, interpolated (secrets resolved, or '***' without a secret source). */
  env: Record<string, string>;
  replicas: number;
  health: HealthCheck;
  release: string | undefined;
  stop: { signal: NodeJS.Signals; graceMs: number };
  drainMs: number;
  /** Port of the environment's data plane for this service; null: not routed (a worker). */
  listen: number | null;
  /** `autoscale:`; null when the count is fixed (`replicas`). */
  autoscale: AutoscaleSpec | null;
}

export interface EnvironmentPlan {
  name: string;
  runtime: 'local';
  /** Deploy every green push of a tracked branch (or every release promoted from `promoteFrom`). */
  auto: boolean;
  /** The environment whose promoted releases flow here. */
  promoteFrom: string | null;
  /** Roles one of whom must approve a rollout before it starts; empty: none needed. */
  approval: string[];
  /** False: whoever asked for a deployment may not approve it (someone else must). */
  selfApproval: boolean;
  /** Only operators (and admins) may deploy, roll back, restart, scale or steer rollouts here. */
  protected: boolean;
  freeze: FreezeWindow[];
  /** Zone of freeze windows written without one. */
  timezone: string;
  /** Keep each client on one revision while traffic is split (the data plane's cookie). */
  sticky: boolean;
  strategy: StrategyConfig;
  services: ServicePlan[];
}

export interface EnvironmentPlanContext {
  env: Record<string, string | undefined>;
  /** undefined (validate): every secret resolves to a placeholder. */
  secrets: SecretSource | undefined;
}

export function planEnvironments(loaded: LoadedConfig, ctx: EnvironmentPlanContext): EnvironmentPlan[] {
  const issues: ConfigIssue[] = [];
  const add = (path: ConfigPath, message: string, suggestion?: string) =>
    issues.push(loaded.issueAt(path, message, suggestion === undefined ? {} : { suggestion }));
  const services = loaded.config.services ?? {};
  const serviceNames = Object.keys(services);
  const ports = new Map<number, string>();
  const plans: EnvironmentPlan[] = [];

  for (const [envName, environment] of Object.entries(loaded.config.environments ?? {})) {
    const base = ['environments', envName];
    const names = environment.services ?? serviceNames;
    names.forEach((name, index) => {
      if (!Object.hasOwn(services, name)) {
        const known = serviceNames.length > 0 ? serviceNames.map((n) => `"${n}"`).join(', ') : 'none defined';
        add(
          [...base, 'services', index],
          `unknown service "${name}" (services: ${known})`,
          didYouMean(name, serviceNames),
        );
      }
    });
    if (names.length === 0)
      add(base, `environment "${envName}" has no service to deploy; add one under \`services:\``);

    const listenOf = new Map<string, number>();
    const claim = (port: number, path: ConfigPath, owner: string) => {
      const other = ports.get(port);
      if (other !== undefined) add(path, `port ${port} is already the listener of ${other}`);
      else ports.set(port, owner);
    };
    if (typeof environment.listen === 'number') {
      if (names.length > 1) {
        add(
          [...base, 'listen'],
          `one port for ${names.length} services; give each service its port, e.g. listen: { ${names.map((n, i) => `${n}: ${(environment.listen as number) + i}`).join(', ')} }`,
        );
      } else if (names[0] !== undefined) {
        listenOf.set(names[0], environment.listen);
        claim(environment.listen, [...base, 'listen'], `${envName}.${names[0]}`);
      }
    } else {
      for (const [name, port] of Object.entries(environment.listen)) {
        if (!names.includes(name)) {
          add(
            [...base, 'listen', name],
            `service "${name}" is not deployed to "${envName}"`,
            didYouMean(name, names),
          );
          continue;
        }
        listenOf.set(name, port);
        claim(port, [...base, 'listen', name], `${envName}.${name}`);
      }
    }

    if (environment.timezone !== undefined && !isTimeZone(environment.timezone)) {
      add([...base, 'timezone'], unknownTimeZoneMessage(environment.timezone));
    }
    const strategy = strategyOf(environment, (path, message) => add([...base, ...path], message));

    const planned: ServicePlan[] = [];
    for (const name of names) {
      const service = services[name];
      if (service === undefined) continue;
      planned.push(planService(loaded, name, service, listenOf.get(name) ?? null, ctx, add));
    }
    plans.push({
      name: envName,
      runtime: environment.runtime ?? 'local',
      auto: environment.auto ?? false,
      promoteFrom: environment.promote_from ?? null,
      approval: environment.approval ?? [],
      selfApproval: environment.self_approval ?? true,
      protected: environment.protected ?? false,
      freeze: freezeWindows(environment.freeze ?? [], (i, message) => add([...base, 'freeze', i], message)),
      timezone: environment.timezone ?? 'UTC',
      sticky: environment.sticky ?? false,
      strategy,
      services: planned,
    });
  }

  const envNames = plans.map((p) => p.name);
  for (const p of plans) {
    if (p.promoteFrom === null) continue;
    const path = ['environments', p.name, 'promote_from'];
    if (p.promoteFrom === p.name) add(path, `"${p.name}" cannot promote from itself`);
    else if (!envNames.includes(p.promoteFrom)) {
      add(
        path,
        `unknown environment "${p.promoteFrom}" (environments: ${envNames.join(', ')})`,
        didYouMean(p.promoteFrom, envNames),
      );
    }
  }
  const cycle = promotionCycle(plans);
  if (cycle !== undefined)
    add(['environments', cycle[0] as string, 'promote_from'], `promotion cycle: ${cycle.join(' → ')}`);

  if (issues.length > 0) throw new ConfigError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  return plans;
}

function planService(
  loaded: LoadedConfig,
  name: string,
  service: ServiceConfig,
  listen: number | null,
  ctx: EnvironmentPlanContext,
  add: (path: ConfigPath, message: string) => void,
): ServicePlan {
  const base = ['services', name];
  const resolve = envAndSecrets(ctx.env, ctx.secrets, SECRET_PLACEHOLDER);
  const value = (text: string, path: ConfigPath): string => {
    try {
      return interpolate(text, resolve);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      add(path, err.message);
      return text;
    }
  };
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(service.env ?? {}))
    env[key] = value(String(raw), [...base, 'env', key]);

  let workingDirectory = '.';
  if (service.working_directory !== undefined) {
    const resolved = resolveWorkingDirectory(loaded.dir, service.working_directory);
    if ('error' in resolved) add([...base, 'working_directory'], resolved.error);
    else workingDirectory = resolved.relative;
  }

  const autoscale = service.autoscale === undefined ? null : autoscaleSpecOf(service.autoscale);
  const h = service.health ?? {};
  const timing = {
    intervalMs: h.interval ?? DEFAULT_HEALTH.intervalMs,
    timeoutMs: h.timeout ?? DEFAULT_HEALTH.timeoutMs,
    healthyThreshold: h.healthy ?? DEFAULT_HEALTH.healthyThreshold,
    unhealthyThreshold: h.unhealthy ?? DEFAULT_HEALTH.unhealthyThreshold,
  };
  const health: HealthCheck =
    h.path !== undefined ? { kind: 'http', path: h.path, ...timing } : { kind: 'tcp', ...timing };

  return {
    name,
    run: service.run,
    workingDirectory,
    env,
    replicas:
      autoscale === null
        ? (service.replicas ?? 1)
        : clampReplicas(autoscale, service.replicas ?? autoscale.min),
    health,
    release: service.release,
    stop: {
      signal: service.stop?.signal ?? 'SIGTERM',
      graceMs: service.stop?.grace ?? DEFAULT_STOP_GRACE_MS,
    },
    drainMs: service.drain ?? DEFAULT_DRAIN_MS,
    listen,
    autoscale,
  };
}

/** A cycle in the promote_from chain, as environment names, or undefined. */
function promotionCycle(plans: EnvironmentPlan[]): string[] | undefined {
  const from = new Map(plans.map((p) => [p.name, p.promoteFrom]));
  for (const start of from.keys()) {
    const path = [start];
    let at = from.get(start);
    while (at != null && from.has(at)) {
      if (at === start) return [...path, start];
      if (path.includes(at)) break;
      path.push(at);
      at = from.get(at);
    }
  }
  return undefined;
}

function freezeWindows(texts: string[], problem: (index: number, message: string) => void): FreezeWindow[] {
  const windows: FreezeWindow[] = [];
  texts.forEach((text, i) => {
    const parsed = parseFreeze(text);
    if (parsed.ok) windows.push(parsed.window);
    else problem(i, parsed.error);
  });
  return windows;
}

function strategyOf(
  environment: EnvironmentConfig,
  problem: (path: ConfigPath, message: string) => void,
): StrategyConfig {
  const progressDeadlineMs = environment.progressDeadline ?? DEFAULT_PROGRESS_DEADLINE_MS;
  const name = environment.strategy ?? 'rolling';
  if (name !== 'canary') {
    if (environment.steps !== undefined) problem(['steps'], '`steps` are for `strategy: canary`');
  }
  const analysis = analysisOf(environment, problem);
  const verifyMs = environment.verify;
  if (name === 'rolling') {
    if (environment.analysis !== undefined && verifyMs === undefined)
      problem(
        ['analysis'],
        '`analysis` with `strategy: rolling` runs after the rollout for `verify`; add how long, e.g. `verify: 2m`',
      );
    return {
      name: 'rolling',
      maxSurge: environment.maxSurge ?? DEFAULT_MAX_SURGE,
      maxUnavailable: environment.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
      progressDeadlineMs,
      ...(verifyMs === undefined ? {} : { verifyMs, analysis: analysis ?? defaultAnalysis() }),
    };
  }
  if (name === 'blue-green') {
    // The bake window (scaleDownDelay) is analysed with `analysis`, and on until `verify` if longer.
    const verifies = verifyMs !== undefined || environment.analysis !== undefined;
    return {
      name: 'blue-green',
      scaleDownDelayMs: environment.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY_MS,
      progressDeadlineMs,
      ...(verifyMs === undefined ? {} : { verifyMs }),
      ...(verifies ? { analysis: analysis ?? defaultAnalysis() } : {}),
    };
  }
  if (verifyMs !== undefined)
    problem(
      ['verify'],
      '`verify` is for `strategy: rolling` and `blue-green`; a canary is analysed at each step with `analysis`',
    );
  const steps = (environment.steps ?? DEFAULT_CANARY_STEPS).map((s) => ({
    weight: s.weight,
    // `pause:` with no value waits for `tandem promote`; no `pause` key moves on at once.
    ...(s.pause === undefined ? {} : { pauseMs: s.pause }),
  }));
  steps.forEach((s, i) => {
    const before = steps[i - 1];
    if (before !== undefined && s.weight <= before.weight) {
      problem(['steps', i, 'weight'], `weights must increase: ${s.weight} after ${before.weight}`);
    }
  });
  return { name: 'canary', steps, ...(analysis === undefined ? {} : { analysis }), progressDeadlineMs };
}

/** `analysis:` with its defaults filled in; undefined when absent or invalid (reported). */
function analysisOf(
  environment: EnvironmentConfig,
  problem: (path: ConfigPath, message: string) => void,
): AnalysisConfig | undefined {
  const a = environment.analysis;
  if (a === undefined) return undefined;
  const resolved = resolveAnalysis({
    ...(a.interval === undefined ? {} : { intervalMs: a.interval }),
    ...(a.minRequests === undefined ? {} : { minRequests: a.minRequests }),
    ...(a.failureLimit === undefined ? {} : { failureLimit: a.failureLimit }),
    ...(a.inconclusiveLimit === undefined ? {} : { inconclusiveLimit: a.inconclusiveLimit }),
    ...(a.errorRate === undefined ? {} : { errorRate: a.errorRate }),
    ...(a.p50 === undefined ? {} : { p50: a.p50 }),
    ...(a.p95 === undefined ? {} : { p95: a.p95 }),
    ...(a.p99 === undefined ? {} : { p99: a.p99 }),
  });
  if (resolved.ok) return resolved.config;
  for (const p of resolved.problems) problem(['analysis'], p);
  return undefined;
}

/** `verify:` without `analysis:`: the default window (no gate: request counts only, health watched). */
/**
 * `verify` without `analysis`: an error rate above 1 % fails (Flagger's default success rate is
 * 99 %). After a cutover there is no stable traffic to compare with, so the gate is absolute.
 */
function defaultAnalysis(): AnalysisConfig {
  return { ...DEFAULT_ANALYSIS, errorRate: { max: 0.01 } };
}

/** Without `steps:`: 10% for a minute, 50% for a minute, then all. */
const DEFAULT_CANARY_STEPS = [
  { weight: 10, pause: 60_000 },
  { weight: 50, pause: 60_000 },
];
