/** Scalar pieces of the text format: float values, timestamps, names and escapes. */

export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// Go's strconv.ParseFloat is the reference: decimal floats with optional exponent, NaN and
// (+|-)Inf spelled in any case. Hex floats and `_` separators are deliberately not accepted.
const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_RE = /^([+-]?)inf(?:inity)?$/i;

/** Parses a sample value; undefined when it is not a valid float. */
export function parseSampleValue(token: string): number | undefined {
  if (DECIMAL_RE.test(token)) return Number(token);
  if (/^nan$/i.test(token)) return Number.NaN;
  const inf = INF_RE.exec(token);
  if (inf) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

/** Parses a timestamp (integer milliseconds); undefined when not an integer JS can hold exactly. */
export function parseTimestampMs(token: string): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** HELP docstrings escape only `\\` and `\n`; any other backslash is kept literally (as Prometheus does). */
export function unescapeHelp(raw: string): string {
  return raw.replace(/\\([\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}
