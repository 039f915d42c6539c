import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { JobLog } from './ports.js';

/** A file name for a job name such as `test (node=20)`; unique even when sanitising collides. */
export function logFileName(jobName: string): string {
  const safe = jobName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  if (safe === jobName) return `${safe}.log`;
  const hash = createHash('sha256').update(jobName).digest('hex').slice(0, 8);
  return `${safe}-${hash}.log`;
}

/**
 * Keeps each job's masked log at `.tandem/runs/<runId>/<job>.log`. Written synchronously through
 * one descriptor: appends are small and local, and a stream's thread-pool round trips made
 * closing a replayed log cost milliseconds on the critical path of a cached run.
 */
export function openJobLogFile(root: string, runId: string, jobName: string): JobLog {
  const relative = path.posix.join('.tandem', 'runs', runId, logFileName(jobName));
  const absolute = path.join(root, relative);
  mkdirSync(path.dirname(absolute), { recursive: true });
  let fd: number | undefined = openSync(absolute, 'a', 0o600);
  return {
    append(text) {
      if (fd !== undefined && text.length > 0) writeSync(fd, text);
    },
    async close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      return relative;
    },
  };
}
