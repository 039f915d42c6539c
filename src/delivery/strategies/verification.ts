/**
 * Verification after the cutover, for rolling and blue-green (issue 4: "the same analysis runs
 * during blue-green's bake window and for a while after a rolling deploy (`verify: 2m`)").
 *
 * It starts when the new revision is first seen serving alone (`verifySince`: rolling = converged,
 * blue-green = the cutover in place) and the rollout stays `progressing` meanwhile. Each new
 * analysis window (Observed.measurement, deduplicated by `at`) that started at or after
 * verifySince is folded into `rollout.analysis`; reaching failureLimit aborts with
 * "verification failed: <reasons>".
 *
 * - Only absolute gates can decide: the old revision gets no traffic after the cutover, so the
 *   relative gates are skipped (analysis/gates.ts) and the absolute ones give the verdict. With
 *   only relative gates configured every window is inconclusive, so such a verification never
 *   fails on analysis (it still watches the instances' health).
 * - Inconclusive windows (too little traffic) never pause a rollout that has already cut over:
 *   pausing would leave the new release serving all traffic while waiting for a human, which is
 *   no safer than promoting. They are kept in the measurements (shown by `tandem status` and
 *   `tandem history`) and the rollout is promoted when the time is up. (The issue requires the
 *   inconclusive pause for canaries only.)
 * - A paused rollout is not verified (decide() leaves it alone); `tandem resume` starts the
 *   verification over (commands.ts clears verifySince).
 */
import { resolveAnalysis } from '../analysis/config.js';
import { advance, initialState } from '../analysis/run.js';
import type { AnalysisConfig, AnalysisState, Measurement } from '../analysis/types.js';
import type { Observed, Rollout, RolloutPatch } from '../types.js';

export interface VerificationOptions {
  /** Minimum time from verifySince to the promotion (0: as soon as the strategy is done). */
  verifyMs: number;
  /** Gates of each window; undefined: the time alone (no measurement is folded). */
  analysis: AnalysisConfig | undefined;
}

export interface VerificationStep {
  /** Record changes: verifySince when first in place, analysis when a window was folded. */
  patch: RolloutPatch;
  /** Abort with this reason (a failed analysis). */
  failed?: string;
  /** verifyMs has passed since verifySince. */
  verified: boolean;
}

/** A problem with verifyMs or the analysis gates, or undefined. */
export function validateVerification(o: {
  verifyMs?: number;
  analysis?: AnalysisConfig;
}): string | undefined {
  if (o.verifyMs !== undefined && !(Number.isFinite(o.verifyMs) && o.verifyMs >= 0))
    return `verify must be a duration ≥ 0, got ${o.verifyMs}`;
  if (o.analysis !== undefined) {
    const checked = resolveAnalysis(o.analysis);
    if (!checked.ok) return `analysis: ${checked.problems.join('; ')}`;
  }
  return undefined;
}

/**
 * One reconcile of the verification phase. `inPlace`: the new revision serves alone now (the
 * phase starts the first time it is). Before that nothing is folded and `verified` is false.
 */
export function verificationStep(
  rollout: Rollout,
  observed: Observed,
  inPlace: boolean,
  o: VerificationOptions,
): VerificationStep {
  const patch: RolloutPatch = {};
  let since = rollout.verifySince;
  if (since === undefined) {
    if (!inPlace) return { patch, verified: false };
    since = patch.verifySince = observed.now;
  }
  const analysis = fold(rollout.analysis, observed.measurement, o.analysis, since);
  if (analysis !== rollout.analysis) patch.analysis = analysis;
  const verified = observed.now - since >= o.verifyMs;
  if (analysis?.outcome === 'fail') return { patch, failed: verificationFailure(analysis), verified };
  return { patch, verified };
}

/** `analysis` with `m` folded in when it is new and its window started at or after `since`. */
function fold(
  analysis: AnalysisState | undefined,
  m: Measurement | undefined,
  config: AnalysisConfig | undefined,
  since: number,
): AnalysisState | undefined {
  if (config === undefined || m === undefined || m.at - m.windowMs < since) return analysis;
  const last = analysis?.measurements.at(-1);
  if (last !== undefined && m.at <= last.at) return analysis;
  return advance(analysis ?? initialState(), m, config);
}

function verificationFailure(analysis: AnalysisState): string {
  const failed = analysis.measurements.filter((m) => m.verdict === 'fail').at(-1);
  const reasons = failed && failed.reasons.length > 0 ? failed.reasons.join('; ') : 'failure limit reached';
  return analysis.failures > 1
    ? `verification failed (${analysis.failures} failed windows): ${reasons}`
    : `verification failed: ${reasons}`;
}
