import { TandemError } from '../errors.js';

/**
 * Sizes each revision of a rollout by its traffic share, so the autoscaler follows the rollout
 * instead of fighting it. Largest-remainder rounding; every revision with weight > 0 gets at least
 * one instance (so the total may exceed `total` when there are more such revisions than instances).
 * Deterministic: ties go to the revision named first in sort order.
 */
export function splitByTraffic(total: number, weights: Record<string, number>): Record<string, number> {
  if (!Number.isInteger(total) || total < 0) {
    throw new TandemError(
      'TANDEM_AUTOSCALE_INVALID',
      `instance total must be a whole number ≥ 0 (got ${total})`,
    );
  }
  const names = Object.keys(weights).sort();
  for (const name of names) {
    const w = weights[name]!;
    if (!Number.isFinite(w) || w < 0) {
      throw new TandemError(
        'TANDEM_AUTOSCALE_INVALID',
        `traffic weight for revision ${name} must be a number ≥ 0 (got ${w})`,
      );
    }
  }
  const result: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const live = names.filter((n) => weights[n]! > 0);
  const weightSum = live.reduce((sum, n) => sum + weights[n]!, 0);
  if (live.length === 0) return result;

  const n = Math.max(total, live.length);
  const quota = (name: string) => (n * weights[name]!) / weightSum;
  for (const name of live) result[name] = Math.max(1, Math.floor(quota(name)));
  const sum = () => live.reduce((s, name) => s + result[name]!, 0);
  // Short: give to whoever is furthest below its quota. Over (from the 1-minimum): take from the most over.
  while (sum() < n) {
    const pick = live.reduce((best, name) =>
      quota(name) - result[name]! > quota(best) - result[best]! ? name : best,
    );
    result[pick] = result[pick]! + 1;
  }
  while (sum() > n) {
    const candidates = live.filter((name) => result[name]! > 1);
    const pick = candidates.reduce((best, name) =>
      result[name]! - quota(name) > result[best]! - quota(best) ? name : best,
    );
    result[pick] = result[pick]! - 1;
  }
  return result;
}
