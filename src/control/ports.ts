/**
 * What the control plane needs from the outside, as small interfaces: the agent (supervisor +
 * data planes, src/agent/client.ts implements AgentApi) and the clock. Tests pass fakes.
 */
import type { AgentState, ListenerSpec, StatsResponse, UsageResponse } from '../agent/protocol.js';
import type { InstanceSpec, InstanceStatus } from '../runtime/local/types.js';

export interface AgentApi {
  state(): Promise<AgentState>;
  startInstance(spec: InstanceSpec): Promise<InstanceStatus>;
  stopInstance(id: string, drainMs: number): Promise<void>;
  restartInstance(id: string): Promise<void>;
  logs(id: string, lines: number): Promise<string[]>;
  putListener(spec: ListenerSpec): Promise<unknown>;
  deleteListener(key: string): Promise<void>;
  stats(): Promise<StatsResponse>;
  usage(): Promise<UsageResponse>;
  shutdown(): Promise<void>;
}

export interface Clock {
  /** ms since epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** `<environment>.<service>`: the key of a service's listener and of its state. */
export function serviceKey(environment: string, service: string): string {
  return `${environment}.${service}`;
}

/** A revision is a release id, or `<release>.<n>` for the n-th `tandem restart` of it. */
export function releaseOfRevision(revision: string): string {
  const dot = revision.indexOf('.');
  return dot === -1 ? revision : revision.slice(0, dot);
}

export function nextRestartRevision(revision: string): string {
  const dot = revision.indexOf('.');
  if (dot === -1) return `${revision}.1`;
  return `${revision.slice(0, dot)}.${Number(revision.slice(dot + 1)) + 1}`;
}
