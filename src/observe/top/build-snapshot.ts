/**
 * Builds `tandem top`'s snapshot from the agent's state (which instances exist now) and the
 * metrics store's windows (what they did lately). Pure: the control plane passes in reads.
 */
import type { AgentState } from '../../agent/protocol.js';
import type { Subject, WindowStats } from '../metrics/types.js';
import { cpuCores, errorRatio, quantileMs, requestRate } from '../metrics/window-math.js';
import type { TopEnvironment, TopInstance, TopService, TopSnapshot } from './types.js';

export interface BuildTopInput {
  /** ms since the epoch. */
  now: number;
  state: Pick<AgentState, 'instances'>;
  /** The recent window of a subject (`instance: ''` for the service's aggregate); undefined = no data. */
  windows: (subject: Subject) => WindowStats | undefined;
  /** Keyed `<environment>.<service>`: the replicas the control plane wants. */
  desiredReplicas: Readonly<Record<string, number>>;
  /** Keyed `<environment>.<service>`, for the services that autoscale. */
  autoscale?: Readonly<Record<string, { min: number; max: number; lastDecision?: string }>>;
  /** Only this environment. */
  environment?: string;
}

interface Measured {
  rps: number | null;
  errorPct: number | null;
  p95Ms: number | null;
  cpuPct: number | null;
  rssBytes: number | null;
}

export function buildTopSnapshot(input: BuildTopInput): TopSnapshot {
  let windowMs: number | null = null;
  const measure = (subject: Subject): Measured => {
    const w = input.windows(subject);
    if (w === undefined) return { rps: null, errorPct: null, p95Ms: null, cpuPct: null, rssBytes: null };
    windowMs = Math.max(windowMs ?? 0, w.to - w.from);
    if (w.ticks === 0) return { rps: null, errorPct: null, p95Ms: null, cpuPct: null, rssBytes: null };
    const errors = errorRatio(w);
    const cores = cpuCores(w);
    return {
      rps: requestRate(w) ?? null,
      errorPct: errors === undefined ? null : errors * 100,
      p95Ms: quantileMs(w.latency, 0.95) ?? null,
      cpuPct: cores === undefined ? null : cores * 100,
      rssBytes: w.rssAvg,
    };
  };

  // Every service the agent runs, wants replicas or autoscales, grouped by environment.
  const services = new Map<string, Map<string, AgentState['instances']>>();
  const add = (environment: string, service: string) => {
    if (input.environment !== undefined && environment !== input.environment) return undefined;
    let env = services.get(environment);
    if (env === undefined) {
      env = new Map();
      services.set(environment, env);
    }
    let list = env.get(service);
    if (list === undefined) {
      list = [];
      env.set(service, list);
    }
    return list;
  };
  for (const key of [...Object.keys(input.desiredReplicas), ...Object.keys(input.autoscale ?? {})]) {
    const dot = key.indexOf('.');
    if (dot > 0) add(key.slice(0, dot), key.slice(dot + 1));
  }
  for (const i of input.state.instances) add(i.environment, i.service)?.push(i);

  const environments: TopEnvironment[] = [...services.keys()].sort().map((envName) => {
    const env = services.get(envName)!;
    return {
      name: envName,
      services: [...env.keys()].sort().map((name): TopService => {
        const key = `${envName}.${name}`;
        const list = [...env.get(name)!].sort((a, b) => a.id.localeCompare(b.id));
        const instances = list.map(
          (i): TopInstance => ({
            id: i.id,
            revision: i.revision,
            state: i.state,
            healthy: i.healthy,
            ...measure({ environment: envName, service: name, instance: i.id }),
            restarts: i.restarts,
            uptimeMs: i.state === 'exited' ? null : Math.max(0, input.now - i.startedAt),
          }),
        );
        const auto = input.autoscale?.[key];
        return {
          name,
          replicas: {
            running: list.filter((i) => i.state === 'running').length,
            healthy: list.filter((i) => i.state === 'running' && i.healthy).length,
            desired: input.desiredReplicas[key] ?? null,
          },
          ...measure({ environment: envName, service: name, instance: '' }),
          autoscale:
            auto === undefined
              ? null
              : { min: auto.min, max: auto.max, lastDecision: auto.lastDecision ?? null },
          instances,
        };
      }),
    };
  });
  return { at: input.now, windowMs, environments };
}
