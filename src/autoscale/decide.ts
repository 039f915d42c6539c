import { TandemError } from '../errors.js';
import { type Policy, resolvePolicy } from './policy.js';
import type { DecideInput, Decision, LimitedBy, Recommendation } from './types.js';

/** Float slack so that e.g. 110/100 counts as exactly 10% off target, i.e. within tolerance. */
const EPSILON = 1e-9;

/**
 * One evaluation of the Kubernetes HPA algorithm (pure: no I/O, time comes from `now`).
 * Order follows the HPA: ratio and tolerance → clamp to [min, max] → stabilisation windows →
 * scale-up rate policy → final [min, max] correction. Missing data holds the current count.
 */
export function decide(input: DecideInput): Decision {
  const policy = resolvePolicy(input.policy);
  validate(input, policy);
  const { now, current, min, max, target, metric } = input;
  const inputs = {
    now,
    current,
    min,
    max,
    target,
    metric,
    lastScaleAt: input.lastScaleAt,
    policy,
  };
  const windowMs = Math.max(policy.scaleDownStabilisationMs, policy.scaleUpStabilisationMs);
  const kept = input.history.filter((r) => r.at > now - windowMs && r.at <= now);

  if (metric === undefined || !Number.isFinite(metric)) {
    // Unknown is not zero: never shrink (or grow) on missing data, only correct out-of-range counts.
    const desired = clamp(current, min, max);
    const corrected = desired !== current;
    const limitedBy: LimitedBy = corrected ? (current < min ? 'min' : 'max') : 'no-data';
    const reason = `${target.kind}: no data; holding ${current}${corrected ? `; corrected to ${desired} (${limitedBy} ${desired})` : ''}`;
    return { desired, recommendation: desired, ratio: undefined, reason, limitedBy, inputs, history: kept };
  }

  const ratio = metric / target.value;
  const parts = [
    `${target.kind} ${fmt(metric)}/instance vs target ${fmt(target.value)}: ratio ${fmt(ratio)}`,
  ];
  let limitedBy: LimitedBy | undefined;

  let raw: number;
  if (Math.abs(ratio - 1) <= policy.tolerance + EPSILON) {
    raw = current;
    limitedBy = 'tolerance';
    parts[0] += ` within tolerance ${fmt(policy.tolerance)} → ${current}`;
  } else {
    raw = Math.ceil(current * ratio - EPSILON);
    parts[0] += ` → ${raw}`;
  }

  const recommendation = clamp(raw, min, max);
  if (recommendation !== raw) {
    limitedBy = raw < min ? 'min' : 'max';
    parts.push(`clamped to ${limitedBy} ${recommendation}`);
  }

  // HPA stabilisation: up uses the lowest recommendation in its window, down the highest.
  const history = [...kept, { at: now, replicas: recommendation }];
  const upFloor = lowestSince(history, now - policy.scaleUpStabilisationMs, recommendation);
  const downCeiling = highestSince(history, now - policy.scaleDownStabilisationMs, recommendation);
  let desired = Math.min(Math.max(current, upFloor), downCeiling);
  if (desired !== recommendation) {
    limitedBy = 'stabilisation';
    const down = recommendation < current;
    const windowS = (down ? policy.scaleDownStabilisationMs : policy.scaleUpStabilisationMs) / 1000;
    parts.push(`${down ? 'highest' : 'lowest'} recommendation in the last ${windowS}s is ${desired}`);
  }

  if (desired > current) {
    const scaledRecently =
      input.lastScaleAt !== undefined && now - input.lastScaleAt < policy.scaleUpPeriodMs;
    const byPercent = Math.floor(current * (1 + policy.scaleUpPercent / 100) + EPSILON);
    const byInstances = current + policy.scaleUpInstances;
    const limit = scaledRecently ? current : Math.max(byPercent, byInstances);
    if (desired > limit) {
      desired = limit;
      limitedBy = 'scale-up-policy';
      parts.push(
        scaledRecently
          ? `scale-up limited to ${limit}: already scaled within the last ${policy.scaleUpPeriodMs / 1000}s`
          : `scale-up limited to ${limit} (+${policy.scaleUpPercent}% or +${policy.scaleUpInstances} per ${policy.scaleUpPeriodMs / 1000}s)`,
      );
    }
  }

  // A count outside [min, max] (config just changed) is corrected whatever the rate policy says.
  const corrected = clamp(desired, min, max);
  if (corrected !== desired) {
    limitedBy = corrected === min ? 'min' : 'max';
    parts.push(`corrected to ${limitedBy} ${corrected}`);
    desired = corrected;
  }

  parts.push(desired === current ? `holding ${current}` : `${current} → ${desired}`);
  return { desired, recommendation, ratio, reason: parts.join('; '), limitedBy, inputs, history };
}

function validate(input: DecideInput, policy: Policy): void {
  const bad = (what: string) =>
    new TandemError('TANDEM_AUTOSCALE_INVALID', `autoscale: ${what}; fix the service's autoscale settings`, {
      exitCode: 2,
    });
  if (!Number.isInteger(input.min) || input.min < 0)
    throw bad(`min must be a whole number ≥ 0 (got ${input.min})`);
  if (!Number.isInteger(input.max) || input.max < Math.max(1, input.min)) {
    throw bad(`max must be a whole number ≥ min and ≥ 1 (got min ${input.min}, max ${input.max})`);
  }
  if (!Number.isInteger(input.current) || input.current < 0) {
    throw bad(`current instance count must be a whole number ≥ 0 (got ${input.current})`);
  }
  if (!(input.target.value > 0) || !Number.isFinite(input.target.value)) {
    throw bad(`target ${input.target.kind} must be a positive number (got ${input.target.value})`);
  }
  if (!(policy.tolerance >= 0) || !(policy.scaleUpPercent >= 0) || !(policy.scaleUpInstances >= 0)) {
    throw bad('tolerance and scale-up limits must be ≥ 0');
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function lowestSince(history: readonly Recommendation[], since: number, fallback: number): number {
  return history.filter((r) => r.at > since).reduce((lo, r) => Math.min(lo, r.replicas), fallback);
}

function highestSince(history: readonly Recommendation[], since: number, fallback: number): number {
  return history.filter((r) => r.at > since).reduce((hi, r) => Math.max(hi, r.replicas), fallback);
}

function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const short = n.toFixed(2);
  // 3.0018 must not read "3.0 → 4": show the digit that makes the ceiling go up.
  if (Number(short) === Math.round(n)) return String(Number(n.toFixed(3)));
  return short.replace(/0$/, '');
}
