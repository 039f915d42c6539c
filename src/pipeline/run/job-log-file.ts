import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { JobLog } from './ports.js';

/** A file name for a job name such as `test (node=20)`; unique even when sanitising collides. */
export function logFileName(jobName: string): string {
  const safe = jobName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  if (safe === jobName) return `${safe}.log`;
  const hash = createHash('sha256').update(jobName).digest('hex').slice(0, 8);
  return `${safe}-${hash}.log`;
}

/** Keeps each job's masked log at `.tandem/runs/<runId>/<job>.log`. */
export function openJobLogFile(root: string, runId: string, jobName: string): JobLog {
  const relative = path.posix.join('.tandem', 'runs', runId, logFileName(jobName));
  const absolute = path.join(root, relative);
  mkdirSync(path.dirname(absolute), { recursive: true });
  const stream = createWriteStream(absolute, { flags: 'a', mode: 0o600 });
  return {
    append(text) {
      if (text.length > 0) stream.write(text);
    },
    close() {
      return new Promise((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve(relative));
      });
    },
  };
}
