/**
 * Follows a deployment until it ends: prints each service's progress as it changes, and returns
 * the exit code (0 promoted, 1 failed or aborted). Rides out a control plane restart.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentView } from '../control/control-plane.js';
import type { ControlClient } from './control-client.js';
import { whileReachable } from './control-client.js';

const POLL_MS = 250;
/** How long a restarting control plane may stay unreachable while we follow. */
const UNREACHABLE_GRACE_MS = 60_000;

export async function followDeployment(
  client: ControlClient,
  first: DeploymentView,
  print: (line: string) => void,
): Promise<{ code: number; view: DeploymentView }> {
  let view = first;
  let last = '';
  let warned = false;
  for (;;) {
    const line = describe(view);
    if (line !== last) print(line);
    last = line;
    if (view.deployment.state !== 'progressing') break;
    if (view.state === 'paused') {
      const why = view.rollouts.find((r) => r.state === 'paused')?.pausedReason ?? 'paused';
      print(`paused: ${why}`);
      return { code: 0, view };
    }
    if (view.state === 'awaiting-approval') {
      print(`waiting for approval: \`tandem approve ${view.deployment.environment}\` starts it`);
      return { code: 0, view };
    }
    await sleep(POLL_MS);
    view = await whileReachable(
      UNREACHABLE_GRACE_MS,
      () => client.api.deployment(first.deployment.id),
      () => {
        if (!warned) print('control plane unreachable; waiting for it to come back');
        warned = true;
      },
    );
  }
  const ok = view.deployment.state === 'succeeded';
  if (!ok && view.deployment.reason) print(view.deployment.reason);
  return { code: ok ? 0 : 1, view };
}

function describe(view: DeploymentView): string {
  const d = view.deployment;
  const services = view.rollouts
    .map((r) => {
      const progress =
        r.strategy.name === 'blue-green'
          ? r.step > 0
            ? 'cut over'
            : 'starting'
          : r.strategy.name === 'canary'
            ? canaryProgress(r.step, r.strategy.steps)
            : `${r.step}/${r.replicas} new`;
      return `${r.service} ${r.state}${r.state === 'progressing' ? ` (${progress})` : ''}`;
    })
    .join(', ');
  return `${d.environment}: ${d.kind} ${d.release} ${view.state}${services ? ` — ${services}` : ''}`;
}

/** A canary's `step` is the index of its current step (steps.length once converging), not a count of instances. */
function canaryProgress(step: number, steps: ReadonlyArray<{ weight: number }>): string {
  const current = steps[step];
  return current === undefined ? 'converging' : `step ${step + 1}/${steps.length}, ${current.weight}%`;
}
