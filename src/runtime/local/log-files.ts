/**
 * An instance's log files: `<id>.log`, which the process writes to with O_APPEND, and the rotated
 * `<id>.log.1` (newest) ... `<id>.log.N`. Rotation is copy-then-truncate: the process keeps its
 * file descriptor, and because it appends, its next write lands at the start of the truncated file
 * (lines written between the copy and the truncation are lost: the price of not restarting it).
 */
import { appendFileSync } from 'node:fs';
import { copyFile, open, rename, stat, truncate } from 'node:fs/promises';

export function rotatedName(logFile: string, n: number): string {
  return `${logFile}.${n}`;
}

/** Appends one supervisor line (`[tandem] ...`) to the instance's log. */
export function appendLine(logFile: string, text: string): void {
  appendFileSync(logFile, `[tandem] ${text}\n`);
}

/** Rotates when the file is larger than `maxBytes`; true when it did. */
export async function rotateIfLarger(logFile: string, maxBytes: number, keep: number): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(logFile)).size;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  if (size <= maxBytes) return false;
  await rotate(logFile, keep);
  return true;
}

/** Shifts `.log.k` to `.log.k+1` (the oldest kept is overwritten), copies `.log` to `.log.1`, truncates `.log`. */
export async function rotate(logFile: string, keep: number): Promise<void> {
  if (keep > 0) {
    for (let n = keep - 1; n >= 1; n--) {
      await rename(rotatedName(logFile, n), rotatedName(logFile, n + 1)).catch(ignoreMissing);
    }
    await copyFile(logFile, rotatedName(logFile, 1));
  }
  await truncate(logFile, 0);
}

/**
 * The last `lines` lines of the current log, completed from `.log.1` when the current one has fewer
 * (it was just rotated). Reads only the ends of the files.
 */
export async function tailLines(logFile: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  const current = await readLastLines(logFile, lines);
  if (current.length >= lines) return current;
  const previous = await readLastLines(rotatedName(logFile, 1), lines - current.length);
  return [...previous, ...current];
}

const CHUNK = 64 * 1024;
/** Bound on what one tail reads from one file, whatever `lines` asks for. */
const MAX_TAIL_BYTES = 8 * 1024 * 1024;

/** The last `lines` lines of a file ([] when it does not exist), read backwards in chunks. */
export async function readLastLines(file: string, lines: number, chunkSize = CHUNK): Promise<string[]> {
  if (lines <= 0) return [];
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  try {
    const size = (await handle.stat()).size;
    const floor = Math.max(0, size - MAX_TAIL_BYTES);
    const chunks: Buffer[] = [];
    let position = size;
    let newlines = 0;
    // lines + 1 newlines guarantee `lines` complete lines (the last one may end with a newline).
    while (position > floor && newlines <= lines) {
      const length = Math.min(chunkSize, position - floor);
      position -= length;
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      const data = chunk.subarray(0, bytesRead);
      for (const byte of data) if (byte === 0x0a) newlines++;
      chunks.unshift(data);
    }
    // Decode once, after joining, so a multi-byte character split across chunks stays whole.
    const all = Buffer.concat(chunks).toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    // Started mid-file: the first piece is the end of a line whose start was not read.
    if (position > 0 && all.length > lines) all.shift();
    return all.slice(-lines);
  } finally {
    await handle.close();
  }
}

function ignoreMissing(err: unknown): void {
  if (errnoCode(err) !== 'ENOENT') throw err;
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
