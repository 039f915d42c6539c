/**
 * The agent's instances as Prometheus samples. Pure. Only instances the agent lists now get
 * series, so `instance` labels come and go with the instances (bounded by the replicas running).
 */
import type { AgentState } from '../../agent/protocol.js';
import type { InstanceState } from '../../runtime/local/types.js';
import type { FamilySample } from './snapshot-family.js';

/**
 * Per-instance resource usage (the agent's GET /v1/usage entries fit); an absent field, or a
 * null entry, is unknown and gets no sample, never a 0.
 */
export interface InstanceUsage {
  /** CPU time (user + system) of the instance's processes since its current process started. */
  cpuSeconds?: number | null;
  rssBytes?: number | null;
}

export const INSTANCE_STATES: readonly InstanceState[] = [
  'starting',
  'running',
  'stopping',
  'exited',
  'crashlooping',
];

export interface InstanceSamples {
  count: FamilySample[];
  healthy: FamilySample[];
  cpu: FamilySample[];
  rss: FamilySample[];
  restarts: FamilySample[];
}

export function instanceSamples(
  state: Pick<AgentState, 'instances'>,
  usage: Readonly<Record<string, InstanceUsage | null>> = {},
  /** Services to report even with no instance (from the config), so their zeros have series. */
  services: ReadonlyArray<{ environment: string; service: string }> = [],
): InstanceSamples {
  const out: InstanceSamples = { count: [], healthy: [], cpu: [], rss: [], restarts: [] };
  const byService = new Map<
    string,
    { environment: string; service: string; states: Map<string, number>; healthy: number }
  >();
  for (const { environment, service } of services) {
    byService.set(`${environment}.${service}`, { environment, service, states: new Map(), healthy: 0 });
  }
  const instances = [...state.instances].sort((a, b) =>
    `${a.environment}.${a.service}.${a.id}`.localeCompare(`${b.environment}.${b.service}.${b.id}`),
  );
  for (const i of instances) {
    const key = `${i.environment}.${i.service}`;
    let s = byService.get(key);
    if (s === undefined) {
      s = { environment: i.environment, service: i.service, states: new Map(), healthy: 0 };
      byService.set(key, s);
    }
    s.states.set(i.state, (s.states.get(i.state) ?? 0) + 1);
    if (i.healthy) s.healthy++;
    const labels = { environment: i.environment, service: i.service, revision: i.revision, instance: i.id };
    out.restarts.push({ labels, value: i.restarts });
    const u = usage[i.id];
    if (typeof u?.cpuSeconds === 'number') out.cpu.push({ labels, value: u.cpuSeconds });
    if (typeof u?.rssBytes === 'number') out.rss.push({ labels, value: u.rssBytes });
  }
  // Every state of every service, zeros included, so `== 0` alerts and graphs have a series.
  for (const key of [...byService.keys()].sort()) {
    const s = byService.get(key)!;
    const labels = { environment: s.environment, service: s.service };
    for (const st of INSTANCE_STATES) {
      out.count.push({ labels: { ...labels, state: st }, value: s.states.get(st) ?? 0 });
    }
    out.healthy.push({ labels, value: s.healthy });
  }
  return out;
}
