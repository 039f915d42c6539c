/**
 * The operations parts of `tandem status` (issue 5), added per service to a built Status: the
 * autoscaler's bounds and last decision, the alerts now, the error budget left and the uptime.
 * Pure over ObserveParts, so it is tested with fakes; observePartsOf() reads them from the plane.
 */
import type { Evaluation } from '../autoscale/controller.js';
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import { logger } from '../log/logger.js';
import type { StoredEvent } from '../store/repositories/events.js';
import type { AlertRecord } from './alerting.js';
import type { ControlPlane } from './control-plane.js';
import { budgets, uptime } from './observe-queries.js';
import { serviceKey } from './ports.js';
import type {
  Status,
  StatusAlerts,
  StatusAutoscale,
  StatusAutoscaleDecision,
  StatusSlo,
  StatusUptime,
} from './status.js';

/** What the operations parts are read from (the control plane, or fakes). */
export interface ObserveParts {
  environments(): readonly EnvironmentPlan[];
  /** The autoscaler's last evaluation of a service since the control plane started. */
  lastEvaluation(environment: string, service: string): Evaluation | undefined;
  /** The alert evaluator's instances; undefined before it started. */
  alertStates(): ReadonlyMap<string, AlertRecord> | undefined;
  budgets(environment: string, service: string): StatusSlo[];
  uptime(environment: string, service: string): StatusUptime;
}

const DAY = 86_400_000;
const NO_UPTIME: StatusUptime = { '1d': null, '30d': null, '90d': null };

/**
 * Adds `autoscale`, `alerts`, `slo` and `uptime` to every service of `status` (in place; returns
 * it). `recorded`: the last recorded decision per `<env>.<service>`, used when the autoscaler has
 * not evaluated the service since the control plane started.
 */
export function addObserveStatus(
  status: Status,
  parts: ObserveParts,
  recorded: ReadonlyMap<string, StatusAutoscaleDecision> = new Map(),
): Status {
  const plans = parts.environments();
  const alerts = parts.alertStates();
  for (const env of status.environments) {
    const plan = plans.find((p) => p.name === env.name);
    for (const service of env.services) {
      const spec = plan?.services.find((s) => s.name === service.name)?.autoscale ?? null;
      service.autoscale =
        spec === null
          ? null
          : autoscaleOf(
              spec,
              service.replicas.desired,
              parts.lastEvaluation(env.name, service.name),
              recorded.get(serviceKey(env.name, service.name)),
            );
      service.alerts = alertsOf(alerts, env.name, service.name);
      service.slo = parts.budgets(env.name, service.name);
      service.uptime = parts.uptime(env.name, service.name);
    }
  }
  return status;
}

function autoscaleOf(
  spec: NonNullable<EnvironmentPlan['services'][number]['autoscale']>,
  desired: number,
  last: Evaluation | undefined,
  recorded: StatusAutoscaleDecision | undefined,
): StatusAutoscale {
  return {
    min: spec.min,
    max: spec.max,
    target: { kind: spec.target.kind, value: spec.target.value },
    desired: last?.apply ?? desired,
    lastDecision: last === undefined ? (recorded ?? null) : decisionOf(last),
  };
}

export function decisionOf(e: Evaluation): StatusAutoscaleDecision {
  const d = e.decision;
  return {
    at: new Date(d.inputs.now).toISOString(),
    from: d.inputs.current,
    to: e.apply,
    reason: e.summary,
    limitedBy: d.limitedBy ?? null,
    metric: d.inputs.metric ?? null,
    ratio: d.ratio ?? null,
  };
}

/**
 * A decision as recorded by the autoscaler (a `service.scaled` event by the autoscaler, or an
 * `autoscale.decision` event; see decisionRecord()); undefined for any other event.
 */
export function decisionOfEvent(e: StoredEvent): StatusAutoscaleDecision | undefined {
  const d =
    e.type === 'autoscale.decision'
      ? e.data
      : e.type === 'service.scaled' && e.data.by === 'autoscaler' && isRecord(e.data.decision)
        ? e.data.decision
        : undefined;
  if (d === undefined || typeof d.to !== 'number') return undefined;
  return {
    at: e.at,
    from: typeof d.from === 'number' ? d.from : d.to,
    to: d.to,
    reason: typeof d.reason === 'string' ? d.reason : '',
    limitedBy: typeof d.limitedBy === 'string' ? d.limitedBy : null,
    metric: typeof d.metric === 'number' ? d.metric : null,
    ratio: typeof d.ratio === 'number' ? d.ratio : null,
  };
}

export function alertsOf(
  states: ReadonlyMap<string, AlertRecord> | undefined,
  environment: string,
  service: string,
): StatusAlerts {
  const out: StatusAlerts = { firing: 0, pending: 0, nodata: 0, names: [] };
  for (const a of states?.values() ?? []) {
    if (a.labels.environment !== environment || a.labels.service !== service) continue;
    if (a.status === 'firing') {
      out.firing++;
      const name = a.labels.alertname ?? '?';
      if (!out.names.includes(name)) out.names.push(name);
    } else if (a.status === 'pending') out.pending++;
    else if (a.status === 'nodata') out.nodata++;
  }
  out.names.sort();
  return out;
}

/** The parts read from a running control plane. Metrics not open yet read as no data. */
export function observePartsOf(plane: ControlPlane): ObserveParts {
  return {
    environments: () => plane.environments(),
    lastEvaluation: (environment, service) => plane.autoscaling.last(environment, service),
    alertStates: () => plane.alertStates(),
    budgets: (environment, service) =>
      orNoData(
        () =>
          budgets(plane, environment, service).map((b) => ({
            objective: b.objective,
            target: tidy(b.target),
            windowDays: b.windowDays,
            remaining: b.remaining,
          })),
        // The objectives still show, their budget unknown.
        (plane.observeConfig().slo[service]?.objectives ?? []).map((o) => ({
          objective: o.name,
          target: tidy(o.objective),
          windowDays: o.window / DAY,
          remaining: null,
        })),
      ),
    uptime: (environment, service) =>
      orNoData(
        () => {
          const byDays = new Map(uptime(plane, environment, service).windows.map((w) => [w.days, w.uptime]));
          return {
            '1d': byDays.get(1) ?? null,
            '30d': byDays.get(30) ?? null,
            '90d': byDays.get(90) ?? null,
          };
        },
        { ...NO_UPTIME },
      ),
  };
}

/** Status must answer even when the metrics store cannot (not open yet, or failing). */
function orNoData<T>(read: () => T, none: T): T {
  try {
    return read();
  } catch (err) {
    logger().debug({ err }, 'status: metrics unavailable');
    return none;
  }
}

/** `99.9%` parses to 0.9990000000000001; the contract says 0.999. */
function tidy(share: number): number {
  return Number(share.toPrecision(12));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
