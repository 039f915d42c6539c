/**
 * How analysis numbers read in the reasons shown by `tandem status` and `tandem history`. A value
 * printed next to the limit it broke gets extra decimals when it would otherwise read the same
 * as the limit ("1.04% > max 1.0%", never "1.0% > max 1.0%").
 */

/** 0.31 → "31.0%", 0.005 → "0.5%", 0.0005 → "0.05%": small rates keep two significant digits. */
export function formatRate(fraction: number, limit?: number): string {
  return `${distinct(fraction * 100, limit === undefined ? undefined : limit * 100, ratePercent)}%`;
}

/** A difference of two rates in percentage points: 0.305 → "30.5 points". */
export function formatPoints(fraction: number, limit?: number): string {
  return `${distinct(fraction * 100, limit === undefined ? undefined : limit * 100, ratePercent)} points`;
}

/** 412.3 → "412ms", 2.5 → "2.5ms": whole milliseconds unless below 10. */
export function formatMs(ms: number, limit?: number): string {
  return `${distinct(ms, limit, (v) => (Math.abs(v) >= 10 ? v.toFixed(0) : String(Number(v.toFixed(1)))))}ms`;
}

/** 3.14 → "3.1×". */
export function formatRatio(ratio: number, limit?: number): string {
  return `${distinct(ratio, limit, (v) => v.toFixed(1))}×`;
}

/** A limit as configured: 2 → "2×", 1.5 → "1.5×". */
export function formatLimitRatio(ratio: number): string {
  return `${Number(ratio.toPrecision(6))}×`;
}

function ratePercent(percent: number): string {
  if (percent === 0 || Math.abs(percent) >= 1) return percent.toFixed(1);
  return String(Number(percent.toPrecision(2)));
}

/** `format(value)`, with more decimals while it would read the same as `format(limit)`. */
function distinct(value: number, limit: number | undefined, format: (v: number) => string): string {
  const text = format(value);
  if (limit === undefined || value === limit || text !== format(limit)) return text;
  for (let decimals = 1; decimals <= 6; decimals++) {
    const precise = value.toFixed(decimals);
    if (precise !== limit.toFixed(decimals)) return precise;
  }
  return String(value);
}
