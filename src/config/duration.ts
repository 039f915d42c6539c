import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../util/duration.js';

export { DURATION_PATTERN, formatDuration, parseDuration } from '../util/duration.js';

/** A duration in config: a string such as "10m" or "1h30m", or a number of seconds. */
export const durationSchema = z
  .union([
    z.string().regex(new RegExp(DURATION_PATTERN), 'a duration such as "30s", "10m" or "1h30m"'),
    z.number().positive(),
  ])
  .transform((value) => (typeof value === 'number' ? value * 1000 : (parseDuration(value) as number)))
  .meta({ description: 'A duration: "500ms", "30s", "10m", "1h30m", or a number of seconds.' });
