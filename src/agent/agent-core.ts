/**
 * What the agent does, without HTTP: instances through the supervisor, listeners through the data
 * planes, and the one rule that ties them (routing.ts), re-applied on every supervisor change.
 */
import { TandemError } from '../errors.js';
import { logger } from '../log/logger.js';
import type { DataPlane } from '../proxy/types.js';
import type { InstanceSpec, InstanceStatus, Supervisor } from '../runtime/local/types.js';
import { ApiError } from './http-io.js';
import { Listeners } from './listeners.js';
import type { AgentState, ListenerSpec, ListenerStatus, StatsResponse } from './protocol.js';

export class AgentCore {
  /** Instances asked to stop: out of every route table, shown as 'stopping' until the supervisor forgets them. */
  private readonly stopping = new Set<string>();
  private readonly listeners: Listeners;
  private readonly unsubscribe: () => void;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly supervisor: Supervisor,
    createPlane: () => DataPlane,
    private readonly identity: { pid: number; startedAt: string },
  ) {
    this.listeners = new Listeners(createPlane, {
      instances: () => new Map(this.supervisor.list().map((s) => [s.id, s])),
      stopping: () => this.stopping,
    });
    this.unsubscribe = supervisor.onChange(() => this.listeners.refresh());
  }

  get shuttingDown(): boolean {
    return this.closing !== undefined;
  }

  state(): AgentState {
    return {
      pid: this.identity.pid,
      startedAt: this.identity.startedAt,
      instances: this.supervisor.list().map((s) => this.shown(s)),
      listeners: this.listeners.list(),
    };
  }

  startInstance(spec: InstanceSpec): InstanceStatus {
    try {
      return this.shown(this.supervisor.start(spec));
    } catch (err) {
      if (err instanceof TandemError && err.code === 'TANDEM_INSTANCE_EXISTS') {
        throw new ApiError(409, err.code, err.message);
      }
      throw err;
    }
  }

  /**
   * Takes the instance out of every route table at once (draining where it is routed), then stops
   * it in the background once drained or after drainMs.
   */
  stopInstance(id: string, drainMs: number): void {
    this.known(id);
    if (this.stopping.has(id)) return;
    this.stopping.add(id);
    const drained = this.listeners.drain(id, drainMs);
    this.listeners.refresh();
    void drained
      .then(() => this.supervisor.stop(id))
      .catch((err: unknown) => logger().error({ err, instance: id }, 'agent: stopping an instance failed'))
      .finally(() => {
        this.stopping.delete(id);
        this.listeners.refresh();
      });
  }

  restartInstance(id: string): void {
    this.known(id);
    this.supervisor.restartNow(id);
  }

  /** Also for an instance already stopped: its log stays, with a crashed release's last words. */
  logs(id: string, lines: number): Promise<string[]> {
    return this.supervisor.tail(id, lines);
  }

  putListener(spec: ListenerSpec): Promise<ListenerStatus> {
    return this.listeners.put(spec);
  }

  deleteListener(key: string): Promise<void> {
    return this.listeners.delete(key);
  }

  stats(): StatsResponse {
    return this.listeners.stats();
  }

  /** Stops every instance (the data planes stop routing to each as it stops), then the listeners. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.supervisor.close();
      } catch (err) {
        logger().error({ err }, 'agent: stopping the instances failed');
      }
      this.unsubscribe();
      await this.listeners.closeAll();
    })();
    return this.closing;
  }

  private shown(status: InstanceStatus): InstanceStatus {
    return this.stopping.has(status.id) && status.state !== 'exited'
      ? { ...status, state: 'stopping' }
      : status;
  }

  private known(id: string): void {
    if (this.supervisor.get(id) === undefined) {
      throw new ApiError(404, 'TANDEM_INSTANCE_NOT_FOUND', `no instance "${id}" on this agent`);
    }
  }
}
