/**
 * Canary analysis (issue 4): the data plane already counts every request per revision, so the
 * analysis compares the canary and the stable revision over the same window with no setup.
 * Pure types; the math lives next to this file, the control plane feeds it stats snapshots.
 */
import type { LatencyHistogram } from '../../proxy/types.js';

/** Cumulative counters of one revision at one moment (a slice of the data plane's TrafficStats). */
export interface RevisionCounters {
  requests: number;
  /** 5xx responses. */
  errors5xx: number;
  connectionFailures: number;
  latency: LatencyHistogram;
}

/** The gates of tandem.yaml `analysis:` (durations in ms, rates as fractions 0..1). */
export interface AnalysisConfig {
  /** Window length and time between measurements (default 10 s, minimum 1 s). */
  intervalMs: number;
  /** Requests the canary must get in a window for a verdict; fewer is inconclusive (default 50). */
  minRequests: number;
  /** Failed measurements that abort the rollout (default 1: the first failure aborts). */
  failureLimit: number;
  /** Consecutive inconclusive measurements that pause the rollout for a human (default 3). */
  inconclusiveLimit: number;
  errorRate?: { max?: number; maxIncrease?: number };
  p50?: { max?: number; maxRatio?: number };
  p95?: { max?: number; maxRatio?: number };
  p99?: { max?: number; maxRatio?: number };
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** One measurement: stored, and shown by `tandem status` and `tandem history`. */
export interface Measurement {
  at: number;
  windowMs: number;
  verdict: Verdict;
  canary: WindowStats;
  stable: WindowStats | null;
  /**
   * One line per gate that failed, or why the window is inconclusive; then, on any verdict, one
   * per gate that was skipped (e.g. relative gates when stable had too little traffic).
   */
  reasons: string[];
}

export interface WindowStats {
  requests: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** Where an analysis run stands after its measurements so far. */
export interface AnalysisState {
  measurements: Measurement[];
  failures: number;
  /** Consecutive. */
  inconclusive: number;
  /** continue: keep going; fail: abort the rollout; pause: wait for a human (too little traffic). */
  outcome: 'continue' | 'fail' | 'pause';
}
