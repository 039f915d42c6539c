/**
 * Turns one tick's snapshot of the agent (instances, the data planes' cumulative counters, the
 * processes' cumulative CPU) into Samples: per-interval increases for counters, values at the
 * tick for gauges. Pure apart from the memory of the previous tick, which it keeps itself.
 *
 * Counting rules, all so that no interval is credited with traffic from outside it:
 * - An instance or listener seen for the first time gives a baseline and zero counts; except an
 *   instance created after the previous tick, whose counts are all new (counted from 0). The
 *   deriver's very first tick is all baselines.
 * - A counter that went down was reset by the data plane: counted from 0.
 * - CPU: the delta of the process group's cumulative seconds; a new pid (a restart) starts at 0.
 *   null when usage is missing now or was at the previous tick (no baseline).
 */
import type { AgentState, StatsResponse, UsageResponse } from '../../agent/protocol.js';
import type { ProxyStats } from '../../proxy/types.js';
import type { InstanceState, InstanceStatus } from '../../runtime/local/types.js';
import type { Sample } from '../metrics/types.js';
import {
  addCounters,
  copyCounters,
  counterDelta,
  countersOf,
  type TrafficCounters,
  zeroCounters,
} from './traffic-counters.js';

export interface SampleDeriverOptions {
  /** The tick interval: the intervalMs of the first tick's samples, which have no previous tick. */
  nominalIntervalMs: number;
}

/** States in which an instance exists (stopping and exited ones are leaving or gone). */
const EXISTING: ReadonlySet<InstanceState> = new Set<InstanceState>(['starting', 'running', 'crashlooping']);

interface InstanceMemory {
  traffic: TrafficCounters;
  pid: number | null;
  /** Cumulative CPU seconds of `pid`'s group at the previous tick; null when unknown then. */
  cpu: number | null;
}

interface Derived {
  sample: Sample;
  memory: InstanceMemory;
}

export class SampleDeriver {
  private previousAt: number | undefined;
  private instances = new Map<string, InstanceMemory>();
  /** Listener key → its `total` counters at the previous tick. */
  private listeners = new Map<string, TrafficCounters>();

  constructor(private readonly opts: SampleDeriverOptions) {}

  /**
   * One Sample per existing instance and one aggregate (`instance: ''`) per service that has an
   * instance or a listener. Call once per tick with fresh reads; if a read failed, skip the tick
   * (the next one's intervalMs then covers the gap) rather than pass partial data.
   */
  next(now: number, state: AgentState, stats: StatsResponse, usage: UsageResponse = {}): Sample[] {
    const before = this.previousAt;
    const intervalMs = before === undefined || now <= before ? this.opts.nominalIntervalMs : now - before;

    const byService = new Map<string, Derived[]>();
    const instances = new Map<string, InstanceMemory>();
    const existing = state.instances
      .filter((i) => EXISTING.has(i.state))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const inst of existing) {
      const key = listenerKey(inst.environment, inst.service);
      const derived = this.deriveInstance(inst, stats[key], usage[inst.id] ?? null, now, intervalMs, before);
      instances.set(inst.id, derived.memory);
      const list = byService.get(key) ?? [];
      list.push(derived);
      byService.set(key, list);
    }

    const listeners = new Map<string, TrafficCounters>();
    const samples: Sample[] = [];
    const keys = [...new Set([...byService.keys(), ...Object.keys(stats)])].sort();
    for (const key of keys) {
      const members = byService.get(key) ?? [];
      const plane = stats[key];
      let traffic: TrafficCounters;
      if (plane === undefined) {
        // No listener (a worker): the instances' sums, zero unless they once had one.
        traffic = zeroCounters();
        for (const m of members) addCounters(traffic, trafficOf(m.sample));
      } else {
        const total = countersOf(plane.total);
        listeners.set(key, total);
        const known = this.listeners.get(key);
        // A listener has no creation time to prove its counts are all new: a new one is a baseline.
        traffic = known !== undefined ? counterDelta(known, total) : zeroCounters();
      }
      const [environment, service] = splitKey(key);
      for (const m of members) samples.push(m.sample);
      samples.push(aggregate(environment, service, now, intervalMs, members, traffic, plane));
    }

    this.previousAt = now;
    this.instances = instances;
    this.listeners = listeners;
    return samples;
  }

  private deriveInstance(
    inst: InstanceStatus,
    plane: ProxyStats | undefined,
    usage: UsageResponse[string],
    now: number,
    intervalMs: number,
    before: number | undefined,
  ): Derived {
    const known = this.instances.get(inst.id);
    // Not seen at the previous tick but created after it: whatever it counted is new.
    const fresh = known === undefined && before !== undefined && inst.createdAt >= before;
    const stats = plane?.instances[inst.id];
    const traffic = countersOf(stats);
    const delta =
      known !== undefined
        ? counterDelta(known.traffic, traffic)
        : fresh
          ? copyCounters(traffic)
          : zeroCounters();

    const cpuNow = usage?.cpuSeconds ?? null;
    let cpuSeconds: number | null = null;
    if (cpuNow !== null) {
      const restarted = known !== undefined && known.pid !== inst.pid;
      const startedSince = before !== undefined && inst.startedAt >= before;
      if (known !== undefined && !restarted && known.cpu !== null) {
        // Same group: its total only falls if a member's time left with a parent outside it.
        cpuSeconds = Math.max(0, cpuNow - known.cpu);
      } else if ((fresh || restarted) && startedSince) {
        cpuSeconds = cpuNow;
      }
    }

    return {
      memory: { traffic, pid: inst.pid, cpu: cpuNow },
      sample: {
        environment: inst.environment,
        service: inst.service,
        instance: inst.id,
        at: now,
        intervalMs,
        revision: inst.revision,
        requests: delta.requests,
        errors: delta.errors,
        latency: delta.latency,
        latencySumMs: delta.latencySumMs,
        inflight: stats?.inFlight ?? 0,
        cpuSeconds,
        rssBytes: usage?.rssBytes ?? null,
        healthy: inst.healthy ? 1 : 0,
        instances: 1,
      },
    };
  }
}

/**
 * The service as a whole. With a listener, its traffic is the listener's own total (what clients
 * saw: 503s while no instance is routable, a retried request once); without one, the instances'
 * sums. CPU and RSS sum the instances that report them; null when none does.
 */
function aggregate(
  environment: string,
  service: string,
  now: number,
  intervalMs: number,
  members: readonly Derived[],
  traffic: TrafficCounters,
  plane: ProxyStats | undefined,
): Sample {
  const revisions = [...new Set(members.map((m) => m.sample.revision))].sort();
  return {
    environment,
    service,
    instance: '',
    at: now,
    intervalMs,
    revision: revisions.join(','),
    requests: traffic.requests,
    errors: traffic.errors,
    latency: traffic.latency,
    latencySumMs: traffic.latencySumMs,
    inflight: plane?.total.inFlight ?? members.reduce((n, m) => n + m.sample.inflight, 0),
    cpuSeconds: sumKnown(members.map((m) => m.sample.cpuSeconds)),
    rssBytes: sumKnown(members.map((m) => m.sample.rssBytes)),
    healthy: members.reduce((n, m) => n + m.sample.healthy, 0),
    instances: members.length,
  };
}

function trafficOf(s: Sample): TrafficCounters {
  return { requests: s.requests, errors: s.errors, latency: s.latency, latencySumMs: s.latencySumMs };
}

function sumKnown(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** `<environment>.<service>`, as the agent keys its listeners (names are [a-z0-9-]). */
function listenerKey(environment: string, service: string): string {
  return `${environment}.${service}`;
}

function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return dot === -1 ? [key, ''] : [key.slice(0, dot), key.slice(dot + 1)];
}
