/** Pure helpers over the observed world shared by the strategies and the reconciler. */
import type { ObservedInstance, RuntimeAction } from './types.js';

/** Started and not on its way out: counts towards the replicas of its revision. */
export function isLive(i: ObservedInstance): boolean {
  return i.state === 'starting' || i.state === 'running';
}

/** May receive traffic. */
export function isReady(i: ObservedInstance): boolean {
  return i.state === 'running' && i.healthy;
}

/** Still a process on the machine (counts towards replicas + maxSurge). */
export function isPresent(i: ObservedInstance): boolean {
  return i.state !== 'exited';
}

/** Oldest first, then by id: every choice between instances is deterministic. */
export function byAge(a: ObservedInstance, b: ObservedInstance): number {
  return a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Percentages per revision in proportion to instance counts (largest remainder, sums to 100). */
export function weightsFor(instances: ObservedInstance[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const i of instances) counts.set(i.revision, (counts.get(i.revision) ?? 0) + 1);
  const total = instances.length;
  if (total === 0) return {};
  const revisions = [...counts.keys()].sort();
  const exact = revisions.map((r) => ((counts.get(r) ?? 0) * 100) / total);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, k) => [e - Math.floor(e), k] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, k] of order) {
    if (left === 0) break;
    floors[k] = (floors[k] ?? 0) + 1;
    left--;
  }
  return Object.fromEntries(revisions.map((r, k) => [r, floors[k] ?? 0]));
}

/**
 * A set-traffic action for exactly `wanted` with `weights` (default: in proportion to the
 * instances), or nothing when the data plane already has that set — and those weights, when
 * its weights are known (`current`).
 */
export function trafficAction(
  instances: ObservedInstance[],
  wanted: ObservedInstance[],
  current?: Record<string, number>,
  weights: Record<string, number> = weightsFor(wanted),
): RuntimeAction[] {
  const inTraffic = instances
    .filter((i) => i.inTraffic)
    .map((i) => i.id)
    .sort();
  const next = wanted.map((i) => i.id).sort();
  const sameSet = inTraffic.length === next.length && inTraffic.every((id, k) => id === next[k]);
  if (sameSet && (current === undefined || sameWeights(current, weights))) return [];
  return [{ type: 'set-traffic', weights, instances: next }];
}

/** Whether two weight tables route alike (a revision at weight 0 gets nothing, as if absent). */
export function sameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const routed = (w: Record<string, number>) =>
    Object.entries(w)
      .filter(([, v]) => v > 0)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const ra = routed(a);
  const rb = routed(b);
  return ra.length === rb.length && ra.every(([r, v], k) => rb[k]?.[0] === r && rb[k]?.[1] === v);
}
