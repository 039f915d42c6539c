/**
 * The agent's admin API (JSON over HTTP on 127.0.0.1, bearer token from .tandem/run/agent.json).
 * The agent is one long-lived process that hosts the supervisor (src/runtime/local/) and one data
 * plane (src/proxy/) per listener; the control plane drives it through this API and adopts it
 * after its own restart, so killing the control plane drops no request.
 */
import type { ProxyStats } from '../proxy/types.js';
import type { ProcessUsage } from '../runtime/local/process-usage.js';
import type { InstanceSpec, InstanceStatus } from '../runtime/local/types.js';

/** Written (mode 0600) by the agent once it listens; removed when it exits normally. */
export interface AgentFile {
  pid: number;
  /** Admin API base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  token: string;
  startedAt: string;
  /** Build id of the binary, so a control plane can tell it runs an old agent. */
  build: string;
}

/**
 * A listener: one data plane on `port`, routing to the instances listed in `traffic` (grouped by
 * revision, with weights). The agent routes only to listed instances that are healthy now, so an
 * instance failing its checks leaves traffic even when the control plane is down.
 */
export interface ListenerSpec {
  /** `<environment>.<service>` (names are [a-z0-9-], so the dot is unambiguous). */
  key: string;
  port: number;
  host: string;
  traffic: Array<{ revision: string; weight: number; instances: string[] }>;
  /** Keep each client on one revision while traffic is split (cookie `tandem-revision`). */
  sticky?: boolean;
}

export interface ListenerStatus extends ListenerSpec {
  /** Instances the data plane routes to now (listed and healthy). */
  routed: string[];
}

export interface AgentState {
  pid: number;
  startedAt: string;
  instances: InstanceStatus[];
  listeners: ListenerStatus[];
}

/**
 * Routes (all JSON; errors are `{ error: { code, message } }` with a 4xx/5xx status):
 *   GET    /v1/state                       → AgentState
 *   PUT    /v1/instances/:id   InstanceSpec → InstanceStatus (201; 409 when the id exists)
 *   POST   /v1/instances/:id/stop { drainMs } → 202; drains it in every listener, then stops it
 *   POST   /v1/instances/:id/restart        → 202; kills it, the supervisor restarts it
 *   GET    /v1/instances/:id/logs?lines=N   → { lines: string[] }
 *   PUT    /v1/listeners/:key  ListenerSpec → ListenerStatus (starts listening on first PUT; 409 EADDRINUSE)
 *   DELETE /v1/listeners/:key               → 204
 *   GET    /v1/stats                        → Record<listenerKey, ProxyStats>
 *   GET    /v1/usage                        → Record<instanceId, ProcessUsage | null> (CPU, RSS from /proc)
 *   POST   /v1/shutdown                     → 202; stops every instance and listener, then exits
 *
 * Every route needs `Authorization: Bearer <token>` (401 TANDEM_AGENT_UNAUTHORIZED otherwise).
 * Bodies are checked strictly (unknown keys refused): 400 TANDEM_AGENT_BAD_REQUEST, and nothing
 * changed. Unknown instance → 404 TANDEM_INSTANCE_NOT_FOUND. A listener's port in use → 409
 * TANDEM_PORT_IN_USE. A listener PUT with port 0 binds a free port; ListenerStatus.port is the
 * bound one, and a later PUT with port 0 keeps it. While stopping, an instance shows state
 * 'stopping' and is in no route table.
 */
export type StartInstanceBody = InstanceSpec;
export interface StopInstanceBody {
  drainMs: number;
}
export type StatsResponse = Record<string, ProxyStats>;
/**
 * Per instance listed in /v1/state: CPU seconds used since its process group started (cumulative:
 * the reader takes deltas, and a new pid starts again from 0), resident memory and process count
 * now. null when unknown: no process at the moment, or not on Linux.
 */
export type UsageResponse = Record<string, ProcessUsage | null>;
