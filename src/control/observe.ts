/** Turns the agent's state into the observed world of one service (src/delivery/types.ts). Pure. */
import type { AgentState } from '../agent/protocol.js';
import type { Observed, ObservedInstance } from '../delivery/types.js';
import { serviceKey } from './ports.js';

export interface ObserveOptions {
  /**
   * Outside a rollout a crash-looping instance of the serving revision is left to the
   * supervisor's backoff (it counts as starting) instead of being replaced again and again.
   */
  steady: boolean;
  /** A service without a listener (a worker): in traffic = ready, or `chosen` when known. */
  routed: boolean;
  /** For a worker: the instances the last set-traffic chose (kept by the runtime in memory). */
  chosen?: ReadonlySet<string>;
}

export function observeService(
  state: AgentState,
  environment: string,
  service: string,
  now: number,
  opts: ObserveOptions,
): Observed {
  const listener = state.listeners.find((l) => l.key === serviceKey(environment, service));
  const listed = new Set(listener?.traffic.flatMap((t) => t.instances) ?? []);
  const instances: ObservedInstance[] = state.instances
    .filter((i) => i.environment === environment && i.service === service)
    .map((i) => {
      const state = opts.steady && i.state === 'crashlooping' ? 'starting' : i.state;
      const ready = state === 'running' && i.healthy;
      return {
        id: i.id,
        revision: i.revision,
        state,
        healthy: i.healthy,
        inTraffic: opts.routed
          ? listed.has(i.id)
          : opts.chosen !== undefined
            ? opts.chosen.has(i.id) && ready
            : ready,
        startedAt: i.createdAt,
      };
    });
  // The data plane's weights per revision, so a canary's weight change is seen as done.
  if (opts.routed && listener !== undefined) {
    return {
      now,
      instances,
      weights: Object.fromEntries(listener.traffic.map((t) => [t.revision, t.weight])),
    };
  }
  return { now, instances };
}
