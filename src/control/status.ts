/**
 * `tandem status --json` (a contract, see issue 3): environments, their latest rollout, and
 * per service the release, replicas and instances. Pure: built from what the control plane read.
 * The operations parts of a service (autoscale, alerts, slo, uptime; issue 5) are added by
 * status-observe.ts. Fields are only ever added, and new ones are optional.
 */
import type { AgentState } from '../agent/protocol.js';
import type { Measurement } from '../delivery/analysis/types.js';
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import type { Rollout } from '../delivery/types.js';
import type { Deployment, ServiceState } from '../store/repositories/deployments.js';
import { releaseOfRevision, serviceKey } from './ports.js';

export interface StatusInstance {
  id: string;
  release: string;
  revision: string;
  state: string;
  healthy: boolean;
  inTraffic: boolean;
  pid: number | null;
  port: number;
  restarts: number;
  /** The last lines of a crash-looping instance's log. */
  lastLines?: string[];
}

export interface StatusService {
  name: string;
  release: string;
  revision: string;
  replicas: { desired: number; ready: number };
  listen: number | null;
  instances: StatusInstance[];
  /** `autoscale:` of the service and its last decision; null when the count is fixed. */
  autoscale?: StatusAutoscale | null;
  /** The service's alert instances now (`names`: the firing ones). */
  alerts?: StatusAlerts;
  /** The error budget left of each SLO objective (empty without `slo:`). */
  slo?: StatusSlo[];
  /** Share of collection ticks with a healthy instance; null = no data in the window. */
  uptime?: StatusUptime;
}

export interface StatusAutoscaleDecision {
  /** ISO-8601 UTC. */
  at: string;
  from: number;
  to: number;
  reason: string;
  /** What held the count back (`max`, `stabilisation`, `no-data`…), null when nothing did. */
  limitedBy: string | null;
  /** The per-instance metric; null when missing. */
  metric: number | null;
  /** metric / target; null when the metric is missing. */
  ratio: number | null;
}

export interface StatusAutoscale {
  min: number;
  max: number;
  target: { kind: string; value: number };
  /** The count the autoscaler runs now. */
  desired: number;
  lastDecision: StatusAutoscaleDecision | null;
}

export interface StatusAlerts {
  firing: number;
  pending: number;
  nodata: number;
  /** Names of the firing alerts, sorted. */
  names: string[];
}

export interface StatusSlo {
  /** `availability`, `latency-p95`… */
  objective: string;
  /** Share of good requests required (0.999). */
  target: number;
  windowDays: number;
  /** Share of the error budget left (1 = untouched, negative when missed); null = no data. */
  remaining: number | null;
}

export interface StatusUptime {
  '1d': number | null;
  '30d': number | null;
  '90d': number | null;
}

export interface StatusRollout {
  id: string;
  state: string;
  strategy: string;
  release: string;
  kind: string;
  from: string | null;
  reason: string | null;
  startedAt: string;
  finishedAt: string | null;
  services: Array<{
    name: string;
    state: string;
    step: number;
    replicas: number;
    /** Canary: the weight of the current step. */
    weight?: number;
    pausedReason?: string;
    /** Canary analysis: the last measurement and the counts that decide. */
    analysis?: { failures: number; inconclusive: number; measurements: number; last: Measurement | null };
  }>;
}

export interface StatusEnvironment {
  name: string;
  listen: number;
  listeners: Record<string, number>;
  rollout: StatusRollout | null;
  services: StatusService[];
}

export interface Status {
  environments: StatusEnvironment[];
}

/** The state of a whole deployment in the rollout vocabulary of DESIGN.md §5. */
export function rolloutStateOf(deployment: Deployment, rollouts: Rollout[]): string {
  switch (deployment.state) {
    case 'succeeded':
      return 'promoted';
    case 'superseded':
      return 'aborted';
    case 'failed':
      return rollouts.length > 0 && rollouts.every((r) => r.state === 'promoted' || r.state === 'rolled-back')
        ? 'rolled-back'
        : 'aborted';
    case 'progressing':
      if (rollouts.some((r) => r.state === 'aborted' || r.state === 'rolled-back')) return 'aborted';
      if (rollouts.some((r) => r.state === 'awaiting-approval')) return 'awaiting-approval';
      if (rollouts.some((r) => r.state === 'paused')) return 'paused';
      if (rollouts.every((r) => r.state === 'pending')) return 'pending';
      return 'progressing';
  }
}

export function buildStatus(input: {
  plans: EnvironmentPlan[];
  agent: AgentState;
  serviceStates: ServiceState[];
  latest: Map<string, { deployment: Deployment; rollouts: Rollout[] }>;
}): Status {
  const stateOf = new Map(input.serviceStates.map((s) => [serviceKey(s.environment, s.service), s]));
  return {
    environments: input.plans.map((env) => {
      const listeners: Record<string, number> = {};
      for (const s of env.services) if (s.listen !== null) listeners[s.name] = s.listen;
      const latest = input.latest.get(env.name);
      const rollout: StatusRollout | null =
        latest === undefined
          ? null
          : {
              id: latest.deployment.id,
              state: rolloutStateOf(latest.deployment, latest.rollouts),
              strategy: latest.rollouts[0]?.strategy.name ?? env.strategy.name,
              release: releaseOfRevision(latest.deployment.release),
              kind: latest.deployment.kind,
              from: latest.deployment.fromRelease,
              reason: latest.deployment.reason,
              startedAt: latest.deployment.startedAt,
              finishedAt: latest.deployment.finishedAt,
              services: latest.rollouts.map(rolloutSummary),
            };
      const services = env.services.map((plan): StatusService => {
        const state = stateOf.get(serviceKey(env.name, plan.name));
        const listener = input.agent.listeners.find((l) => l.key === serviceKey(env.name, plan.name));
        const listed = new Set(listener?.traffic.flatMap((t) => t.instances) ?? []);
        const instances = input.agent.instances
          .filter((i) => i.environment === env.name && i.service === plan.name)
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
          .map(
            (i): StatusInstance => ({
              id: i.id,
              release: releaseOfRevision(i.revision),
              revision: i.revision,
              state: i.state,
              healthy: i.healthy,
              inTraffic: listed.has(i.id),
              pid: i.pid,
              port: i.port,
              restarts: i.restarts,
            }),
          );
        return {
          name: plan.name,
          release: state === undefined ? '' : releaseOfRevision(state.release),
          revision: state?.release ?? '',
          replicas: {
            desired: state?.replicas ?? plan.replicas,
            ready: instances.filter((i) => i.state === 'running' && i.healthy).length,
          },
          listen: plan.listen,
          instances,
        };
      });
      const ports = Object.values(listeners);
      return { name: env.name, listen: ports[0] ?? 0, listeners, rollout, services };
    }),
  };
}

export function rolloutSummary(r: Rollout): StatusRollout['services'][number] {
  const out: StatusRollout['services'][number] = {
    name: r.service,
    state: r.state,
    step: r.step,
    replicas: r.replicas,
  };
  if (r.strategy.name === 'canary') out.weight = r.strategy.steps[r.step]?.weight ?? 100;
  if (r.state === 'paused' && r.pausedReason !== undefined) out.pausedReason = r.pausedReason;
  if (r.analysis !== undefined) {
    out.analysis = {
      failures: r.analysis.failures,
      inconclusive: r.analysis.inconclusive,
      measurements: r.analysis.measurements.length,
      last: r.analysis.measurements.at(-1) ?? null,
    };
  }
  return out;
}
