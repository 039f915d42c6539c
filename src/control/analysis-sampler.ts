/**
 * Turns the data plane's cumulative per-revision counters into analysis measurements: every
 * `intervalMs` it compares the canary's window with stable's over the same window. Keeps only the
 * last snapshot per rollout in memory: after a control plane restart the next window starts
 * then (a shorter history, never a wrong one). No I/O: stats are passed in.
 */
import { countersOf, evaluate, windowStats } from '../delivery/analysis/index.js';
import type { AnalysisConfig, Measurement, RevisionCounters } from '../delivery/analysis/types.js';
import type { ProxyStats } from '../proxy/types.js';

interface Snapshot {
  at: number;
  canary: RevisionCounters | undefined;
  stable: RevisionCounters | undefined;
}

export class AnalysisSampler {
  private readonly last = new Map<string, Snapshot>();

  /**
   * A measurement when a whole interval has passed since the last snapshot of this rollout;
   * undefined otherwise (the first call only takes the snapshot).
   */
  sample(
    rolloutId: string,
    config: AnalysisConfig,
    revisions: { canary: string; stable: string | null },
    stats: ProxyStats | undefined,
    now: number,
  ): Measurement | undefined {
    const counters = (revision: string | null) => {
      const s = revision === null ? undefined : stats?.revisions[revision];
      return s === undefined ? undefined : countersOf(s);
    };
    const current: Snapshot = {
      at: now,
      canary: counters(revisions.canary),
      stable: counters(revisions.stable),
    };
    const before = this.last.get(rolloutId);
    if (before === undefined) {
      this.last.set(rolloutId, current);
      return undefined;
    }
    if (now - before.at < config.intervalMs) return undefined;
    this.last.set(rolloutId, current);
    const empty = emptyWindow();
    const canary = current.canary === undefined ? empty : windowStats(before.canary, current.canary);
    const stable = current.stable === undefined ? null : windowStats(before.stable, current.stable);
    return evaluate(config, canary, stable, now, now - before.at);
  }

  /** Forgets the rollouts not in `active` (finished ones). */
  retain(active: ReadonlySet<string>): void {
    for (const id of this.last.keys()) if (!active.has(id)) this.last.delete(id);
  }
}

function emptyWindow() {
  return { requests: 0, errorRate: 0, p50Ms: null, p95Ms: null, p99Ms: null };
}
