/**
 * The reads behind the observability API (GET /v1/top, /v1/metrics/query, /v1/uptime, the
 * service parts of status): the metrics store and the watch loop's last agent read, shaped for
 * the CLI and the dashboard.
 */
import { TandemError } from '../errors.js';
import type { Resolution, WindowStats } from '../observe/metrics/types.js';
import {
  cpuCores,
  errorRatio,
  quantileMs,
  requestRate,
  uptimeRatio,
} from '../observe/metrics/window-math.js';
import { badRatio, errorBudget } from '../observe/slo/index.js';
import { buildTopSnapshot } from '../observe/top/index.js';
import type { TopSnapshot } from '../observe/top/types.js';
import type { ControlPlane } from './control-plane.js';
import { serviceKey } from './ports.js';

const DAY = 86_400_000;
const MAX_POINTS = 2000;

export async function topSnapshot(plane: ControlPlane, environment?: string): Promise<TopSnapshot> {
  const now = Date.now();
  const last = plane.lastObservation();
  const windowMs = Math.max(10_000, 2 * plane.observeConfig().intervalMs);
  const desired: Record<string, number> = {};
  const autoscale: Record<string, { min: number; max: number; lastDecision?: string }> = {};
  for (const s of await plane.serviceStates()) desired[serviceKey(s.environment, s.service)] = s.replicas;
  for (const env of plane.environments()) {
    for (const s of env.services) {
      if (s.autoscale === null) continue;
      const e = plane.autoscaling.last(env.name, s.name);
      const key = serviceKey(env.name, s.name);
      autoscale[key] = {
        min: s.autoscale.min,
        max: s.autoscale.max,
        ...(e ? { lastDecision: e.summary } : {}),
      };
      if (e !== undefined) desired[key] = e.apply;
    }
  }
  const metrics = plane.metrics();
  return buildTopSnapshot({
    now,
    state: last?.state ?? { instances: [] },
    windows: (subject) => metrics.window(subject, now - windowMs, now),
    desiredReplicas: desired,
    autoscale,
    ...(environment !== undefined ? { environment } : {}),
  });
}

export interface QueryPoint {
  at: number;
  rps: number | null;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  cpuCores: number | null;
  rssBytes: number | null;
  healthy: number | null;
  instances: number | null;
}

/** Points for charts: `step` windows over [from, to) of a service (or one instance). */
export function metricsQuery(
  plane: ControlPlane,
  q: { environment: string; service: string; instance?: string; from: number; to: number; stepMs: number },
): { resolution: Resolution; stepMs: number; points: QueryPoint[] } {
  if (!(q.to > q.from)) throw badQuery('`to` must be after `from`');
  if (!(q.stepMs >= 1000)) throw badQuery('`step` must be at least 1s');
  if ((q.to - q.from) / q.stepMs > MAX_POINTS)
    throw badQuery(`at most ${MAX_POINTS} points per query; use a larger step`);
  const subject = { environment: q.environment, service: q.service, instance: q.instance ?? '' };
  const { resolution, points } = plane.metrics().series(subject, q.from, q.to, q.stepMs);
  return { resolution, stepMs: q.stepMs, points: points.map(point) };
}

function point(w: WindowStats): QueryPoint {
  return {
    at: w.to,
    rps: w.ticks === 0 ? null : (requestRate(w) ?? null),
    errorRate: errorRatio(w) ?? null,
    p50Ms: quantileMs(w.latency, 0.5) ?? null,
    p95Ms: quantileMs(w.latency, 0.95) ?? null,
    p99Ms: quantileMs(w.latency, 0.99) ?? null,
    cpuCores: cpuCores(w) ?? null,
    rssBytes: w.rssAvg,
    healthy: w.healthyAvg,
    instances: w.instancesAvg,
  };
}

/** Uptime over 1, 30 and 90 days (share of collection ticks with a healthy instance); null = no data. */
export function uptime(
  plane: ControlPlane,
  environment: string,
  service: string,
): {
  environment: string;
  service: string;
  windows: Array<{ days: number; uptime: number | null; from: string }>;
} {
  const now = Date.now();
  const subject = { environment, service, instance: '' };
  return {
    environment,
    service,
    windows: [1, 30, 90].map((days) => {
      const w = plane.metrics().window(subject, now - days * DAY, now);
      return { days, uptime: uptimeRatio(w) ?? null, from: new Date(now - days * DAY).toISOString() };
    }),
  };
}

/** The error budget left of each SLO objective of a service (status). */
export function budgets(plane: ControlPlane, environment: string, service: string) {
  const slo = plane.observeConfig().slo[service];
  if (slo === undefined) return [];
  const now = Date.now();
  return slo.objectives.map((o) => {
    const w = plane.metrics().window({ environment, service, instance: '' }, now - o.window, now);
    const bad = badRatio(o, w);
    const b = bad === undefined ? undefined : errorBudget(o, bad, now);
    return {
      objective: o.name,
      target: o.objective,
      windowDays: o.window / DAY,
      badRatio: bad ?? null,
      remaining: b?.remaining ?? null,
    };
  });
}

function badQuery(message: string): TandemError {
  return new TandemError('TANDEM_BAD_QUERY', message, { exitCode: 2 });
}
