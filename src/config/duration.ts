import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$';

/** Parses "500ms", "30s", "10m", "1h30m" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${s ? `${s}s` : ''}`;
}

/** A duration in config: a string such as "10m" or "1h30m", or a number of seconds. */
export const durationSchema = z
  .union([
    z.string().regex(new RegExp(DURATION_PATTERN), 'a duration such as "30s", "10m" or "1h30m"'),
    z.number().positive(),
  ])
  .transform((value) => (typeof value === 'number' ? value * 1000 : (parseDuration(value) as number)))
  .meta({ description: 'A duration: "500ms", "30s", "10m", "1h30m", or a number of seconds.' });
