/**
 * The arithmetic of the hand-drawn SVG charts: linear scales, "nice" axis ticks for values and
 * times, and line paths that break where data is missing. Pure.
 */

export interface LinearScale {
  (value: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
  invert(pixel: number): number;
}

/** Maps [d0, d1] onto [r0, r1]; a zero-width domain maps everything to the middle of the range. */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const scale = ((value: number) =>
    span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0)) as LinearScale;
  scale.domain = domain;
  scale.range = range;
  scale.invert = (pixel: number) => (r1 === r0 ? d0 : d0 + ((pixel - r0) / (r1 - r0)) * span);
  return scale;
}

/** The smallest and largest finite values; undefined when there are none. */
export function extent(values: Iterable<number | null | undefined>): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Number.POSITIVE_INFINITY ? undefined : [lo, hi];
}

/** A step of 1, 2 or 5 × 10^k near span / count. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * A y domain for a chart: starts at 0 for non-negative data (rates, latencies), ends on a nice
 * tick above the maximum, and has room when the data is flat or missing.
 */
export function niceDomain(
  values: Iterable<number | null | undefined>,
  opts: { count?: number; minMax?: number } = {},
): { domain: [number, number]; ticks: number[] } {
  const count = opts.count ?? 4;
  const e = extent(values);
  let lo = e === undefined ? 0 : Math.min(0, e[0]);
  let hi = e === undefined ? 0 : e[1];
  hi = Math.max(hi, opts.minMax ?? 0);
  if (hi <= lo) hi = lo + 1;
  const step = niceStep(hi - lo, count);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's precision so 0.1 + 0.2 does not print as 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toFixed(decimals)));
  return { domain: [lo, hi], ticks };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
];

/**
 * Tick times for [from, to] at a clock-friendly step giving about `count` ticks. Aligned to
 * `offsetMs` (the viewer's zone offset east of UTC) so hour ticks fall on local hours.
 */
export function timeTicks(from: number, to: number, count = 6, offsetMs = 0): number[] {
  if (!(to > from)) return [];
  const target = (to - from) / Math.max(1, count);
  const step = TIME_STEPS.find((s) => s >= target) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const first = Math.ceil((from + offsetMs) / step) * step - offsetMs;
  const ticks: number[] = [];
  for (let t = first; t <= to; t += step) ticks.push(t);
  return ticks;
}

/**
 * An SVG path through the points; a null y (no data) breaks the line, so gaps are visible
 * instead of being bridged. Coordinates are rounded to 0.1 px to keep the markup small.
 */
export function linePath(points: ReadonlyArray<readonly [number, number | null]>): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : d === '' ? 'M' : ' M'}${round1(x)} ${round1(y)}`;
    pen = true;
  }
  return d;
}

/** The index of the point whose x is nearest to `x` (points sorted by x); -1 when empty. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo]! - x) <= Math.abs(xs[hi]! - x) ? lo : hi;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
