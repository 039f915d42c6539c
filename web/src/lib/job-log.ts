/**
 * A job's log as the run page holds it: the slice read first, then the stream's additions.
 * Pure: the hook (use-job-log.ts) feeds it answers and messages.
 */
import type { JobLogSlice } from '../api/types.js';

/** Lines kept on the page; older ones are dropped (the whole log stays on the server). */
export const MAX_LOG_LINES = 5000;

export interface JobLogView {
  lines: string[];
  /** Where reading goes on (byte offset); null before the first answer. */
  offset: number | null;
  complete: boolean;
  truncated: boolean;
}

export const EMPTY_LOG: JobLogView = { lines: [], offset: null, complete: false, truncated: false };

/** The view after the first read (the log's tail). */
export function fromSlice(slice: JobLogSlice): JobLogView {
  return capped({ ...slice });
}

/** A `joblog` message of the stream: `{ lines?, offset?, done? }`. */
export interface JobLogMessage {
  lines: string[];
  offset: number | null;
  done: boolean;
}

export function parseJobLogMessage(data: unknown): JobLogMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const o = data as Record<string, unknown>;
  const lines = Array.isArray(o.lines) ? o.lines.filter((l): l is string => typeof l === 'string') : [];
  const offset = typeof o.offset === 'number' && Number.isFinite(o.offset) ? o.offset : null;
  return { lines, offset, done: o.done === true };
}

/** The view after a stream message; one that does not continue where the view is is ignored. */
export function applyMessage(view: JobLogView, m: JobLogMessage): JobLogView {
  if (m.offset !== null && view.offset !== null && m.offset < view.offset) return view;
  const next: JobLogView = {
    lines: m.lines.length === 0 ? view.lines : [...view.lines, ...m.lines],
    offset: m.offset ?? view.offset,
    complete: view.complete || m.done,
    truncated: view.truncated,
  };
  return capped(next);
}

function capped(view: JobLogView): JobLogView {
  if (view.lines.length <= MAX_LOG_LINES) return view;
  return { ...view, lines: view.lines.slice(-MAX_LOG_LINES), truncated: true };
}
