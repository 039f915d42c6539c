/**
 * The agent's routing rule, pure: a listener routes to the instances its `traffic` lists that the
 * supervisor reports running and healthy now, minus those being stopped. So an instance failing
 * its checks leaves traffic at once, without waiting for the control plane.
 */
import type { RouteTable } from '../proxy/types.js';
import type { InstanceStatus } from '../runtime/local/types.js';
import type { ListenerSpec } from './protocol.js';

/** Instances listen on loopback (types.ts: "the instance's own port on 127.0.0.1"). */
const INSTANCE_HOST = '127.0.0.1';
/** The cookie a sticky listener pins clients with. */
export const STICKY_COOKIE = 'tandem-revision';

export function routable(status: InstanceStatus | undefined): status is InstanceStatus {
  return status !== undefined && status.state === 'running' && status.healthy && status.port > 0;
}

export function routeTableFor(
  spec: Pick<ListenerSpec, 'traffic' | 'sticky'>,
  instances: ReadonlyMap<string, InstanceStatus>,
  stopping: ReadonlySet<string>,
): { table: RouteTable; routed: string[] } {
  const table: RouteTable =
    spec.sticky === true ? { revisions: [], sticky: { cookie: STICKY_COOKIE } } : { revisions: [] };
  const routed: string[] = [];
  for (const group of spec.traffic) {
    const upstreams = [];
    for (const id of group.instances) {
      const status = instances.get(id);
      if (!routable(status) || stopping.has(id)) continue;
      upstreams.push({ id, host: INSTANCE_HOST, port: status.port });
      routed.push(id);
    }
    // An empty revision would only hold a weight with nowhere to send it.
    if (upstreams.length > 0) {
      table.revisions.push({ revision: group.revision, weight: group.weight, instances: upstreams });
    }
  }
  return { table, routed };
}
