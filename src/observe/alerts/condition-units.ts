/**
 * The units each metric of a `when:` expression accepts, and the conversion to its base unit
 * (ratio, ms, cores, bytes, plain count). KB/MB/GB are decimal (1000ⁿ), KiB/MiB/GiB binary (1024ⁿ),
 * as in the units' own definitions.
 */
import type { BuiltinMetric, ConditionMetric } from './types.js';

export type UnitFamily = 'ratio' | 'latency' | 'cores' | 'bytes' | 'plain' | 'app';

/**
 * Multipliers to the base unit; '' is a bare number. Decimal ones are powers of ten so that
 * they shift the decimal point of the text rather than multiply a float (99.9% is exactly 0.999).
 */
export const UNITS: Record<UnitFamily, Record<string, number>> = {
  ratio: { '': 1, '%': 0.01 },
  latency: { '': 1, ms: 1, s: 1000 },
  cores: { '': 1, '%': 0.01 },
  bytes: { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
  plain: { '': 1 },
  app: { '': 1, '%': 0.01 },
};

const POWER_OF_TEN: Record<string, number> = { '%': -2, s: 3, KB: 3, MB: 6, GB: 9 };
const FAMILY: Record<BuiltinMetric, UnitFamily> = {
  error_rate: 'ratio',
  up: 'ratio',
  rps: 'plain',
  inflight: 'plain',
  healthy: 'plain',
  p50: 'latency',
  p90: 'latency',
  p95: 'latency',
  p99: 'latency',
  cpu: 'cores',
  rss: 'bytes',
};

export function unitFamily(metric: ConditionMetric): UnitFamily {
  return metric.kind === 'app' ? 'app' : FAMILY[metric.name];
}

/** What a value for this family looks like, for error messages. */
export const EXAMPLES: Record<UnitFamily, string> = {
  ratio: 'a percentage such as 5% or a fraction from 0 to 1 such as 0.05',
  latency: 'a duration such as 300ms or 1.5s; a bare number is in ms',
  cores: 'cores per instance, such as 70% of one core or 1.5',
  bytes: 'a size such as 512MB, 1.5GB or 256MiB; a bare number is in bytes',
  plain: 'a plain number such as 10',
  app: 'a plain number such as 10, or a percentage',
};

/** The number (as written) in base units, or undefined when `unit` is not one of the family's. */
export function toBaseUnit(family: UnitFamily, numberText: string, unit: string): number | undefined {
  const factor = UNITS[family][unit];
  if (factor === undefined) return undefined;
  const shift = POWER_OF_TEN[unit];
  if (shift === undefined) return Number(numberText) * factor;
  const [mantissa, exponent = '0'] = numberText.split(/[eE]/);
  return Number(`${mantissa}e${Number(exponent) + shift}`);
}
