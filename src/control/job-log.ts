/**
 * A pipeline job's masked log for the API (GET /runs/:id/jobs/:job/log and the `joblog` stream
 * topic). The scheduler appends to `.tandem/runs/<runId>/<logFileName(job)>` while the job runs,
 * so a read takes one byte range of the file (never the whole of a large log) and answers whole
 * lines only: the last line may still be being written. Once the job is final its unterminated
 * last line is the end of the log and is answered too. Work is done on bytes split at 0x0A, so a
 * multibyte UTF-8 character is never cut (0x0A never occurs inside one).
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../agent/http-io.js';
import { logFileName } from '../pipeline/run/job-log-file.js';
import type { StoredJobStatus } from '../store/database.js';
import type { Store } from '../store/store.js';

export const DEFAULT_JOB_LOG_LIMIT = 256 * 1024;
export const MAX_JOB_LOG_LIMIT = 1024 * 1024;

const FINAL_STATUSES: ReadonlySet<StoredJobStatus> = new Set([
  'passed',
  'failed',
  'cached',
  'skipped',
  'cancelled',
]);

export function isFinalJobStatus(status: StoredJobStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export interface JobLogRead {
  /** Without their `\n`. */
  lines: string[];
  /** Byte offset of the first returned line. */
  start: number;
  /** Byte offset just after the last byte returned: the next read's `offset`. */
  offset: number;
  /** A tail read left earlier bytes out. */
  truncated: boolean;
  /** The job is final and the read reached the end of the file. */
  complete: boolean;
}

export interface JobLogReadOptions {
  /** Read from this byte offset; without it, the tail. */
  offset?: number;
  /** At most this many bytes (default 256 KiB, at most 1 MiB). */
  limit?: number;
  /** The job will write no more: its unterminated last line is answered. */
  final: boolean;
}

/**
 * The log file of `job` of run `runId` under `root`. Both names must come from the store (a run
 * and one of its jobs), never straight from a request; the result is checked to stay in its run's
 * directory anyway.
 */
export function jobLogFile(root: string, runId: string, job: string): string {
  const runs = path.resolve(root, '.tandem', 'runs');
  const dir = path.resolve(runs, runId);
  const file = path.resolve(dir, logFileName(job));
  if (path.dirname(dir) !== runs || path.dirname(file) !== dir || runId === '' || runId === '.') {
    throw new ApiError(400, 'TANDEM_BAD_RUN_ID', `run id "${runId}" cannot name a log directory`);
  }
  return file;
}

/** Reads a range of the job's log; a missing file (a job not started, skipped) reads as empty. */
export async function readJobLog(
  root: string,
  runId: string,
  job: string,
  opts: JobLogReadOptions,
): Promise<JobLogRead> {
  const limit = Math.min(Math.max(1, Math.floor(opts.limit ?? DEFAULT_JOB_LOG_LIMIT)), MAX_JOB_LOG_LIMIT);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(jobLogFile(root, runId, job), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { lines: [], start: 0, offset: 0, truncated: false, complete: opts.final };
  }
  try {
    const { size } = await handle.stat();
    const readAt = async (from: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - from)));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await handle.read(buf, got, buf.length - got, from + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    };

    let from: number;
    let bytes: Buffer;
    let truncated = false;
    if (opts.offset !== undefined) {
      if (opts.offset > size) {
        throw new ApiError(
          400,
          'TANDEM_BAD_QUERY',
          `offset ${opts.offset} is beyond the end of the log (${size} bytes); pass the offset of a previous answer, or none for the tail`,
        );
      }
      from = opts.offset;
      bytes = await readAt(from, limit);
    } else if (size <= limit) {
      from = 0;
      bytes = await readAt(0, size);
    } else {
      // One byte more, before the window: a newline there means the window starts a line.
      const before = size - limit - 1;
      const window = await readAt(before, limit + 1);
      const newline = window.indexOf(0x0a);
      // No line starts in the window (one huge line): start at a character boundary instead.
      const skip = newline === -1 ? charStart(window, 1) : newline + 1;
      from = before + skip;
      bytes = window.subarray(skip);
      truncated = true;
    }

    const atEnd = from + bytes.length === size;
    let end = bytes.lastIndexOf(0x0a) + 1;
    if (opts.final && atEnd) end = bytes.length;
    else if (end === 0 && !atEnd) end = charEnd(bytes); // a line longer than the limit: a piece of it
    const text = bytes.subarray(0, end).toString('utf8');
    const lines = text === '' ? [] : text.split('\n');
    if (text.endsWith('\n')) lines.pop();
    const offset = from + end;
    return { lines, start: from, offset, truncated, complete: opts.final && offset === size };
  } finally {
    await handle.close();
  }
}

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/** The first index at or after `at` that does not continue a multibyte character. */
function charStart(bytes: Buffer, at: number): number {
  let i = at;
  while (i < bytes.length && isContinuation(bytes[i])) i++;
  return i;
}

/** The length of `bytes` without a trailing incomplete multibyte character. */
function charEnd(bytes: Buffer): number {
  let lead = bytes.length - 1;
  while (lead > 0 && bytes.length - lead < 4 && isContinuation(bytes[lead])) lead--;
  const first = bytes[lead] ?? 0;
  const width = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  // (A limit under 4 bytes may still cut a character: something must be answered.)
  return lead + width <= bytes.length || lead === 0 ? bytes.length : lead;
}

export interface RunJobState {
  status: StoredJobStatus;
  /** The job writes no more: its status is final, or its run ended without finishing it. */
  final: boolean;
}

/**
 * The stored state of a job of a run, for reading its log. An unknown run or job is a 404 (the
 * latter lists the run's jobs), so a log path is only ever made from names the store holds.
 */
export async function runJobState(
  store: Pick<Store, 'runs'>,
  runId: string,
  job: string,
): Promise<RunJobState> {
  const state = await store.runs.jobState(runId, job);
  if (state !== undefined) {
    return { status: state.status, final: isFinalJobStatus(state.status) || state.runStatus !== 'running' };
  }
  if ((await store.runs.getRun(runId)) === undefined) {
    throw new ApiError(404, 'TANDEM_RUN_NOT_FOUND', `no pipeline run "${runId}" (see GET /runs)`);
  }
  const names = (await store.runs.jobsOf(runId)).map((j) => j.name);
  const listed =
    names.length === 0
      ? 'it has none'
      : `its jobs: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`;
  throw new ApiError(404, 'TANDEM_JOB_NOT_FOUND', `run "${runId}" has no job "${job}" (${listed})`);
}
