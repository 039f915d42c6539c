/**
 * The agent's listeners: one data plane per ListenerSpec, its route table recomputed from the
 * routing rule (routing.ts) whenever the specs or the instances change. Changes that open or
 * close ports are serialized, so two PUTs of one key cannot both bind.
 */
import { logger } from '../log/logger.js';
import type { DataPlane, ProxyStats } from '../proxy/types.js';
import type { InstanceStatus } from '../runtime/local/types.js';
import { ApiError } from './http-io.js';
import type { ListenerSpec, ListenerStatus } from './protocol.js';
import { routeTableFor } from './routing.js';

interface Listener {
  spec: ListenerSpec;
  /** The bound port (differs from spec.port when that is 0). */
  port: number;
  plane: DataPlane;
  routed: string[];
  /** JSON of the table last given to the plane: an unchanged table is not set again, which would reset the plane's round-robin. */
  applied: string;
}

/** What the routing rule reads: the supervisor's instances now, and those being stopped. */
export interface InstanceView {
  instances(): ReadonlyMap<string, InstanceStatus>;
  stopping(): ReadonlySet<string>;
}

export class Listeners {
  private readonly byKey = new Map<string, Listener>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly createPlane: () => DataPlane,
    private readonly view: InstanceView,
  ) {}

  /** Creates or updates a listener; binds (or rebinds, when the address changed) as needed. */
  put(spec: ListenerSpec): Promise<ListenerStatus> {
    return this.serialized(async () => {
      const existing = this.byKey.get(spec.key);
      if (existing !== undefined && sameAddress(existing, spec)) {
        existing.spec = spec;
        this.apply(existing);
        return statusOf(existing);
      }
      const plane = this.createPlane();
      let port: number;
      try {
        port = (await plane.listen(spec.port, spec.host)).port;
      } catch (err) {
        await plane.close();
        throw listenError(err, spec);
      }
      const listener: Listener = { spec, port, plane, routed: [], applied: '' };
      this.apply(listener);
      this.byKey.set(spec.key, listener);
      // Moved to another address: the old port stops once the new one serves.
      if (existing !== undefined) await existing.plane.close();
      return statusOf(listener);
    });
  }

  delete(key: string): Promise<void> {
    return this.serialized(async () => {
      const listener = this.byKey.get(key);
      if (listener === undefined) return;
      this.byKey.delete(key);
      await listener.plane.close();
    });
  }

  /** Recomputes every listener's route table (after an instance changed). */
  refresh(): void {
    for (const listener of this.byKey.values()) this.apply(listener);
  }

  /** Drains the instance on every data plane that routes it now (call before refresh()). */
  async drain(instanceId: string, timeoutMs: number): Promise<void> {
    const planes = [...this.byKey.values()].filter((l) => l.routed.includes(instanceId));
    const results = await Promise.all(planes.map((l) => l.plane.drain(instanceId, timeoutMs)));
    results.forEach((r, i) => {
      if (!r.drained) {
        logger().warn(
          { instance: instanceId, listener: planes[i]!.spec.key, inFlight: r.inFlight },
          'agent: drain timed out; stopping the instance anyway',
        );
      }
    });
  }

  list(): ListenerStatus[] {
    return [...this.byKey.values()].map(statusOf);
  }

  stats(): Record<string, ProxyStats> {
    const out: Record<string, ProxyStats> = {};
    for (const [key, l] of this.byKey) out[key] = l.plane.stats();
    return out;
  }

  closeAll(): Promise<void> {
    return this.serialized(async () => {
      const all = [...this.byKey.values()];
      this.byKey.clear();
      await Promise.all(all.map((l) => l.plane.close()));
    });
  }

  private apply(listener: Listener): void {
    const { table, routed } = routeTableFor(listener.spec, this.view.instances(), this.view.stopping());
    listener.routed = routed;
    const json = JSON.stringify(table);
    if (json === listener.applied) return;
    listener.plane.setRoutes(table);
    listener.applied = json;
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function sameAddress(listener: Listener, spec: ListenerSpec): boolean {
  return listener.spec.host === spec.host && (spec.port === 0 || spec.port === listener.port);
}

function statusOf(l: Listener): ListenerStatus {
  return {
    key: l.spec.key,
    port: l.port,
    host: l.spec.host,
    traffic: l.spec.traffic,
    ...(l.spec.sticky === true ? { sticky: true } : {}),
    routed: [...l.routed],
  };
}

function listenError(err: unknown, spec: ListenerSpec): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `port ${spec.port} on ${spec.host}`;
  if (code === 'EADDRINUSE' || code === 'TANDEM_PORT_IN_USE') {
    return new ApiError(
      409,
      'TANDEM_PORT_IN_USE',
      `listener ${spec.key}: ${where} is already in use; stop what listens there or choose another listen port`,
    );
  }
  if (code === 'EACCES') {
    return new ApiError(409, 'TANDEM_PORT_DENIED', `listener ${spec.key}: not allowed to listen on ${where}`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ApiError(
      400,
      'TANDEM_LISTEN_HOST',
      `listener ${spec.key}: cannot listen on ${where} (${code})`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
