/**
 * How the dashboard writes numbers, durations and times. Pure (no DOM), shared by tables, charts
 * and the timeline; `null` always means "no data" and is shown as an em dash.
 */

export const NO_DATA = '—';

/** 1234 → "1.23k"; small numbers keep up to `digits` significant digits. */
export function formatCompact(value: number, digits = 3): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9, digits)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6, digits)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3, digits)}k`;
  return trim(value, digits);
}

/** Requests per second: "12.3/s". */
export function formatRate(rps: number | null | undefined): string {
  if (rps === null || rps === undefined || !Number.isFinite(rps)) return NO_DATA;
  if (rps === 0) return '0/s';
  if (Math.abs(rps) < 0.01) return '<0.01/s';
  return `${formatCompact(rps)}/s`;
}

/** A ratio as a percentage: 0.0123 → "1.23%"; tiny non-zero ratios stay visible ("<0.01%"). */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return NO_DATA;
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (Math.abs(pct) < 0.01) return '<0.01%';
  return `${trim(pct, Math.abs(pct) >= 100 ? 4 : 3)}%`;
}

/** Latency: "0.42 ms", "123 ms", "1.23 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NO_DATA;
  if (Math.abs(ms) >= 1000) return `${trim(ms / 1000, 3)} s`;
  if (Math.abs(ms) >= 10) return `${Math.round(ms)} ms`;
  return `${trim(ms, 2)} ms`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Memory: "512 B", "12.3 MiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return NO_DATA;
  let v = bytes;
  let unit = 0;
  while (Math.abs(v) >= 1024 && unit < BYTE_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(v) : trim(v, 3)} ${BYTE_UNITS[unit]}`;
}

/** CPU in cores: "0.25", "1.5". */
export function formatCores(cores: number | null | undefined): string {
  if (cores === null || cores === undefined || !Number.isFinite(cores)) return NO_DATA;
  return cores === 0 ? '0' : trim(cores, 2);
}

/** A duration: "450 ms", "12.3 s", "1m 05s", "2h 03m", "3d 04h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NO_DATA;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000, 3)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad2(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad2(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad2(Math.floor((s % 86_400) / 3600))}h`;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago" (future times: "in 3 min"). */
export function formatRelative(at: number, now: number): string {
  const delta = now - at;
  const abs = Math.abs(delta);
  if (abs < 5000) return 'just now';
  let text: string;
  if (abs < 60_000) text = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.floor(abs / 3_600_000)} h`;
  else text = `${Math.floor(abs / 86_400_000)} d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}

/** "14:03:07" in the viewer's zone (or `timeZone`, for tests). */
export function formatClock(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    ...(timeZone === undefined ? {} : { timeZone }),
  }).format(at);
}

/** "2025-03-04 14:03:07" in the viewer's zone (or `timeZone`). */
export function formatDateTime(at: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    ...(timeZone === undefined ? {} : { timeZone }),
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  // Some engines write midnight as "24".
  const hour = get('hour') === '24' ? '00' : get('hour');
  return `${get('year')}-${get('month')}-${get('day')} ${hour}:${get('minute')}:${get('second')}`;
}

/** A commit hash as its first 7 characters. */
export function shortSha(sha: string | null | undefined): string {
  if (!sha) return NO_DATA;
  return /^[0-9a-f]{8,}$/i.test(sha) ? sha.slice(0, 7) : sha;
}

function trim(value: number, significant: number): string {
  if (value === 0) return '0';
  const digits = Math.max(0, significant - 1 - Math.floor(Math.log10(Math.abs(value))));
  const fixed = value.toFixed(Math.min(digits, 6));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
