/**
 * An in-memory AgentApi for control plane tests (named "fake agent" in test names): instances
 * are records that become healthy when the test calls settle(), or crash-loop when their
 * revision is listed in `crashing`. Runs no process and opens no port.
 */
import type {
  AgentState,
  ListenerSpec,
  ListenerStatus,
  StatsResponse,
  UsageResponse,
} from '../agent/protocol.js';
import { type InstanceSpec, type InstanceStatus, newInstanceStatus } from '../runtime/local/types.js';
import type { AgentApi } from './ports.js';

export class FakeAgent implements AgentApi {
  readonly instances = new Map<string, InstanceStatus & { spec: InstanceSpec }>();
  readonly listeners = new Map<string, ListenerStatus>();
  readonly crashing = new Set<string>();
  readonly stopped: string[] = [];
  shutdownCalled = false;
  /** What usage() answers; tests set it. */
  usageByInstance: UsageResponse = {};
  private clock = 1;

  async state(): Promise<AgentState> {
    return {
      pid: 1,
      startedAt: '1970-01-01T00:00:00.000Z',
      instances: [...this.instances.values()].map(({ spec: _spec, ...status }) => ({ ...status })),
      listeners: [...this.listeners.values()].map((l) => ({ ...l })),
    };
  }

  async startInstance(spec: InstanceSpec): Promise<InstanceStatus> {
    const status: InstanceStatus = {
      ...newInstanceStatus(spec, this.clock++, `/tmp/${spec.id}.log`),
      pid: 1000 + this.instances.size,
      port: 20000 + this.instances.size,
    };
    status.startedAt = this.clock;
    this.instances.set(spec.id, { ...status, spec });
    return status;
  }

  /** Every starting instance becomes running and healthy, or crash-loops. */
  settle(): void {
    for (const i of this.instances.values()) {
      if (i.state !== 'starting') continue;
      if (this.crashing.has(i.revision)) Object.assign(i, { state: 'crashlooping', restarts: 3 });
      else Object.assign(i, { state: 'running', healthy: true });
    }
  }

  async stopInstance(id: string): Promise<void> {
    this.stopped.push(id);
    this.instances.delete(id);
    for (const l of this.listeners.values()) {
      l.traffic = l.traffic.map((t) => ({ ...t, instances: t.instances.filter((x) => x !== id) }));
    }
  }

  async restartInstance(): Promise<void> {}

  async logs(id: string): Promise<string[]> {
    return [`boom from ${id}`];
  }

  async putListener(spec: ListenerSpec): Promise<ListenerStatus> {
    const status = { ...spec, routed: spec.traffic.flatMap((t) => t.instances) };
    this.listeners.set(spec.key, status);
    return status;
  }

  async deleteListener(key: string): Promise<void> {
    this.listeners.delete(key);
  }

  async stats(): Promise<StatsResponse> {
    return {};
  }

  async usage(): Promise<UsageResponse> {
    return structuredClone(this.usageByInstance);
  }

  async shutdown(): Promise<void> {
    this.shutdownCalled = true;
  }
}
