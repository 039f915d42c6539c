/**
 * Carries out the reconciler's runtime actions on the local runtime: instances through the
 * agent's supervisor, traffic through the agent's data plane for the service's listener.
 */
import type { AgentState } from '../agent/protocol.js';
import type { RuntimeAction } from '../delivery/types.js';
import type { InstanceSpec } from '../runtime/local/types.js';
import { type AgentApi, serviceKey } from './ports.js';

/** What the runtime needs to know about a revision of a service. */
export interface RevisionInfo {
  /** A fresh spec (new instance id) for one more instance. */
  spec(): InstanceSpec;
}

export interface ServiceInfo {
  /** The listener's port, or null for a service nobody routes to (a worker). */
  listen: number | null;
  /** The environment's `sticky:`: the listener pins clients to a revision by cookie. */
  sticky: boolean;
  drainMs: number;
}

export interface RuntimeResolver {
  service(environment: string, service: string): ServiceInfo;
  revision(environment: string, service: string, revision: string): Promise<RevisionInfo>;
}

export const LISTEN_HOST = '127.0.0.1';

export class LocalRuntime {
  private readonly chosen = new Map<string, ReadonlySet<string>>();

  /** The instances a strategy last chose for a worker service (nothing routes to workers). */
  chosenFor(environment: string, service: string): ReadonlySet<string> | undefined {
    return this.chosen.get(serviceKey(environment, service));
  }

  constructor(
    private readonly agent: AgentApi,
    private readonly resolver: RuntimeResolver,
  ) {}

  async apply(environment: string, service: string, action: RuntimeAction, state: AgentState): Promise<void> {
    switch (action.type) {
      case 'start': {
        const info = await this.resolver.revision(environment, service, action.revision);
        for (let i = 0; i < action.count; i++) await this.agent.startInstance(info.spec());
        return;
      }
      case 'set-traffic': {
        const { listen, sticky } = this.resolver.service(environment, service);
        if (listen === null) {
          // Nothing routes to a worker; remember the choice so strategies see their cutover done.
          this.chosen.set(serviceKey(environment, service), new Set(action.instances));
          return;
        }
        const revisionOf = new Map(state.instances.map((i) => [i.id, i.revision]));
        const groups = new Map<string, string[]>();
        for (const id of action.instances) {
          const revision = revisionOf.get(id);
          if (revision === undefined) continue;
          groups.set(revision, [...(groups.get(revision) ?? []), id]);
        }
        await this.agent.putListener({
          key: serviceKey(environment, service),
          port: listen,
          host: LISTEN_HOST,
          traffic: [...groups].map(([revision, instances]) => ({
            revision,
            weight: action.weights[revision] ?? 0,
            instances,
          })),
          ...(sticky ? { sticky: true } : {}),
        });
        return;
      }
      case 'drain-and-stop': {
        const { drainMs } = this.resolver.service(environment, service);
        for (const id of action.instanceIds) await this.agent.stopInstance(id, drainMs);
        return;
      }
    }
  }
}
