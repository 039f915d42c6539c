import { randomBytes } from 'node:crypto';

/** Sortable by time (base36 milliseconds), unique by 6 random bytes: `r-lx2k9a0b-3f9a1c2d4e5f`. */
export function newRunId(now = Date.now()): string {
  return `r-${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
}
