/**
 * An in-memory Supervisor for tests: instances are records whose state and health the test sets;
 * stop() can be held open to observe what happens meanwhile. Runs no process.
 */
import { TandemError } from '../errors.js';
import {
  type InstanceSpec,
  type InstanceStatus,
  newInstanceStatus,
  type Supervisor,
} from '../runtime/local/types.js';

export class FakeSupervisor implements Supervisor {
  readonly instances = new Map<string, InstanceStatus>();
  readonly stopCalls: string[] = [];
  readonly restartCalls: string[] = [];
  closed = false;
  private readonly listeners = new Set<(status: InstanceStatus) => void>();

  start(spec: InstanceSpec): InstanceStatus {
    if (this.instances.has(spec.id)) {
      throw new TandemError('TANDEM_INSTANCE_EXISTS', `instance ${spec.id} exists`);
    }
    const status = newInstanceStatus(spec, 0, `/fake/${spec.id}.log`);
    this.instances.set(spec.id, status);
    this.emit(status);
    return status;
  }

  /** What a health check or a crash would do. */
  set(id: string, patch: Partial<Pick<InstanceStatus, 'state' | 'healthy' | 'port'>>): void {
    const current = this.instances.get(id);
    if (current === undefined) throw new Error(`no fake instance ${id}`);
    const next = { ...current, ...patch };
    this.instances.set(id, next);
    this.emit(next);
  }

  async stop(id: string): Promise<void> {
    this.stopCalls.push(id);
    const status = this.instances.get(id);
    if (status === undefined) return;
    this.set(id, { state: 'stopping', healthy: false });
    await Promise.resolve();
    this.instances.delete(id);
    this.emit({ ...status, state: 'exited', healthy: false });
  }

  restartNow(id: string): void {
    this.restartCalls.push(id);
  }

  list(): InstanceStatus[] {
    return [...this.instances.values()];
  }

  get(id: string): InstanceStatus | undefined {
    return this.instances.get(id);
  }

  async tail(id: string, lines: number): Promise<string[]> {
    return [`${id} line 1`, `${id} line 2`, `${id} line 3`].slice(-lines);
  }

  onChange(listener: (status: InstanceStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const id of [...this.instances.keys()]) await this.stop(id);
    this.closed = true;
  }

  private emit(status: InstanceStatus): void {
    for (const l of this.listeners) l(status);
  }
}
