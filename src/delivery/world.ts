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

/** A set-traffic action for exactly `wanted`, or nothing when the data plane already has that set. */
export function trafficAction(instances: ObservedInstance[], wanted: ObservedInstance[]): RuntimeAction[] {
  const current = instances
    .filter((i) => i.inTraffic)
    .map((i) => i.id)
    .sort();
  const next = wanted.map((i) => i.id).sort();
  if (current.length === next.length && current.every((id, k) => id === next[k])) return [];
  return [{ type: 'set-traffic', weights: weightsFor(wanted), instances: next }];
}
