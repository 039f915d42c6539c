/**
 * Pagination of list routes: `?limit=N&cursor=OPAQUE` → `{ items, next }` (next is null on the
 * last page). A cursor is opaque to clients: base64url JSON that only its route reads back.
 */
import { z } from 'zod';
import { HttpProblem } from '../problem.js';

/** `?limit=`: a whole number from 1 (to `max`, when given; above `clamp`, served as `clamp`). */
export function limitParam(opts: { fallback: number; max?: number; clamp?: number; what?: string }) {
  const message = `limit must be a whole number from 1${opts.max === undefined ? '' : ` to ${opts.max}`}`;
  const n = z.coerce.number({ error: message }).int(message).min(1, message);
  const bound =
    opts.max !== undefined
      ? `, at most ${opts.max}`
      : opts.clamp !== undefined
        ? `; more than ${opts.clamp} count as ${opts.clamp}`
        : '';
  return (opts.max === undefined ? n : n.max(opts.max, message))
    .optional()
    .describe(`${opts.what ?? 'items'} per page (${opts.fallback} by default${bound})`);
}

export const pageQuery = z.object({
  limit: limitParam({ fallback: 50 }),
  cursor: z.string().min(1).optional().describe('the `next` of the previous page'),
});

export interface Page<T> {
  items: T[];
  next: string | null;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The cursor's value, checked by `schema`; a forged or stale one is a 400. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new HttpProblem(
      400,
      'TANDEM_BAD_CURSOR',
      'the cursor is not one this list gave out; start again without it',
    );
  }
}

const offsetCursor = z.strictObject({ o: z.number().int().min(0).max(100_000) });

/** The offset a cursor made by `offsetNext` stands for (0 without a cursor). */
export function cursorOffset(cursor: string | undefined): number {
  return cursor === undefined ? 0 : decodeCursor(cursor, offsetCursor).o;
}

/**
 * Pages by offset over a list fetched with one item more than the page: `fetched` holds the items
 * from 0 to at most `offset + limit + 1`.
 */
export function offsetPage<T>(fetched: T[], offset: number, limit: number): Page<T> {
  const items = fetched.slice(offset, offset + limit);
  return { items, next: fetched.length > offset + limit ? encodeCursor({ o: offset + limit }) : null };
}
