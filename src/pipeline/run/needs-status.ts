import type { JobResult, JobStatus, PlannedJob } from '../types.js';

const OK: ReadonlySet<JobStatus> = new Set(['passed', 'cached']);

/** Every job `name` depends on, directly or not. */
export function ancestorsOf(jobs: ReadonlyMap<string, PlannedJob>, name: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(jobs.get(name)?.needs ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(jobs.get(next)?.needs ?? []));
  }
  return seen;
}

/** success()/failure() over a job's ancestors, as GitHub Actions defines them for `needs`. */
export function statusOverAncestors(ancestors: Iterable<string>, results: ReadonlyMap<string, JobResult>) {
  let success = true;
  let failure = false;
  for (const name of ancestors) {
    const status = results.get(name)?.status;
    if (status === undefined || !OK.has(status)) success = false;
    if (status === 'failed') failure = true;
  }
  return { success, failure };
}

/**
 * `needs.X.result` for the condition context, by full name and by base name; a matrix job
 * seen by its base name is failed if any copy failed, skipped if any was skipped, and so on.
 */
export function needsContext(
  job: PlannedJob,
  jobs: ReadonlyMap<string, PlannedJob>,
  results: ReadonlyMap<string, JobResult>,
): Record<string, { result: JobStatus }> {
  const byBase = new Map<string, JobStatus[]>();
  const context: Record<string, { result: JobStatus }> = {};
  for (const need of job.needs) {
    const status = results.get(need)?.status ?? 'skipped';
    context[need] = { result: status };
    const base = jobs.get(need)?.baseName ?? need;
    byBase.set(base, [...(byBase.get(base) ?? []), status]);
  }
  const precedence: JobStatus[] = ['failed', 'cancelled', 'skipped', 'passed', 'cached'];
  for (const [base, statuses] of byBase) {
    const worst = precedence.find(
      (s) => statuses.includes(s) && (s !== 'cached' || statuses.every((x) => x === s)),
    );
    context[base] = { result: worst ?? 'passed' };
  }
  return context;
}

/** Why a job whose default condition is false did not run: the first needed job that did not pass. */
export function blockedReason(job: PlannedJob, results: ReadonlyMap<string, JobResult>): string {
  for (const need of job.needs) {
    const status = results.get(need)?.status;
    if (status === 'failed') return `needed job "${need}" failed`;
    if (status === 'cancelled') return `needed job "${need}" was cancelled`;
    if (status === 'skipped') return `needed job "${need}" was skipped`;
  }
  return 'a needed job did not pass';
}
