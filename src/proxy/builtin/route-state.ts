/**
 * Routing state of the builtin data plane: one InstanceState per upstream instance (its keep-alive
 * connections, outstanding requests, drain state and upgraded connections), one RevisionState per revision,
 * and the choice of an instance for a request: smooth weighted round-robin (nginx's algorithm) over
 * the revisions, then the fewest outstanding requests within the revision (ties round-robin).
 */
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DrainResult } from '../types.js';
import type { Counters } from './counters.js';
import { UpstreamPool } from './upstream-pool.js';

/** One try of a request (or upgrade) on an instance, as the data plane accounts for it. */
export interface Attempt {
  instance: InstanceState | null;
  /** The instance's revision counters at send time (the instance may move revisions later). */
  rstats: Counters | null;
  /** Its in-flight counts are released. */
  attemptDone: boolean;
}

export interface Waiter {
  resolve: (r: DrainResult) => void;
  timer: NodeJS.Timeout;
}

export class InstanceState {
  /** The fast path's raw keep-alive connections. */
  readonly pool: UpstreamPool;
  private nodeAgent: Agent | null = null;
  inFlight = 0;
  draining = false;
  /** Not in the current table any more. */
  removed = false;
  revision: RevisionState | null = null;
  readonly upgrades = new Set<Duplex>();
  waiters: Waiter[] = [];

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    readonly stats: Counters,
    private readonly maxSockets: number,
    idleMs: number,
  ) {
    this.pool = new UpstreamPool(host, port, maxSockets, idleMs);
  }

  /** The node:http path's keep-alive agent, made on first use (most traffic never needs it). */
  get agent(): Agent {
    this.nodeAgent ??= new Agent({ keepAlive: true, maxSockets: this.maxSockets, scheduling: 'lifo' });
    return this.nodeAgent;
  }

  /** Closes every connection to the instance (it left the table, or the data plane closes). */
  destroyConnections(): void {
    this.pool.destroy();
    this.nodeAgent?.destroy();
  }
}

export class RevisionState {
  current = 0;
  rr = 0;
  /** Instances not draining. */
  available = 0;
  readonly instances: InstanceState[] = [];

  constructor(
    readonly name: string,
    readonly weight: number,
    readonly stats: Counters,
  ) {}
}

/** Smooth weighted round-robin over the revisions that have an instance to offer. */
export function pickRevision(revs: RevisionState[], exclude: InstanceState | null): RevisionState | null {
  let best: RevisionState | null = null;
  let total = 0;
  for (let i = 0; i < revs.length; i++) {
    const r = revs[i]!;
    if (r.weight === 0) continue;
    const n = exclude !== null && exclude.revision === r && !exclude.draining ? r.available - 1 : r.available;
    if (n <= 0) continue;
    r.current += r.weight;
    total += r.weight;
    if (best === null || r.current > best.current) best = r;
  }
  if (best !== null) best.current -= total;
  return best;
}

/** Fewest outstanding requests; ties go round-robin. */
export function pickInstance(r: RevisionState, exclude: InstanceState | null): InstanceState | null {
  const list = r.instances;
  const n = list.length;
  let best: InstanceState | null = null;
  let bestIdx = 0;
  for (let k = 0; k < n; k++) {
    const idx = (r.rr + k) % n;
    const inst = list[idx]!;
    if (inst.draining || inst === exclude) continue;
    if (best === null || inst.inFlight < best.inFlight) {
      best = inst;
      bestIdx = idx;
    }
  }
  if (best !== null) r.rr = (bestIdx + 1) % n;
  return best;
}

/**
 * An instance for a sticky request: in `preferred` (the revision its cookie names) when that still
 * has weight and an instance to offer, else by weight as usual.
 */
export function pickPreferred(
  revs: RevisionState[],
  preferred: RevisionState | undefined,
): InstanceState | null {
  if (preferred !== undefined && preferred.weight > 0) {
    const inst = pickInstance(preferred, null);
    if (inst !== null) return inst;
  }
  return pick(revs, null);
}

/** An instance for a request; on a retry (`exclude` set), the same revision first, else another. */
export function pick(revs: RevisionState[], exclude: InstanceState | null): InstanceState | null {
  if (exclude !== null && exclude.revision !== null && !exclude.removed) {
    const same = pickInstance(exclude.revision, exclude);
    if (same !== null) return same;
  }
  const rev = pickRevision(revs, exclude);
  return rev === null ? null : pickInstance(rev, exclude);
}
