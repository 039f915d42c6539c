import { UsageError } from '../../errors.js';
import { didYouMean } from '../../util/did-you-mean.js';
import type { PlannedJob } from '../types.js';

/**
 * The jobs named in `select` (base names or full copy names) and everything they need,
 * transitively, in the order of `jobs`. An empty selection keeps every job. An unknown name is
 * a UsageError listing the available jobs, with a did-you-mean.
 */
export function selectJobs(jobs: readonly PlannedJob[], select: readonly string[]): PlannedJob[] {
  if (select.length === 0) return [...jobs];
  const available = [...new Set(jobs.flatMap((job) => [job.baseName, job.name]))];
  const unknown = select.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    const problems = unknown.map((name) => {
      const suggestion = didYouMean(name, available);
      return `unknown job "${name}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`;
    });
    throw new UsageError(`${problems.join('; ')}; available jobs: ${available.join(', ')}`);
  }
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const wanted = new Set<string>();
  const stack = jobs
    .filter((job) => select.includes(job.name) || select.includes(job.baseName))
    .map((j) => j.name);
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (wanted.has(name)) continue;
    wanted.add(name);
    for (const need of byName.get(name)?.needs ?? []) stack.push(need);
  }
  return jobs.filter((job) => wanted.has(job.name));
}
