import path from 'node:path';
import { detectGo } from './detectors/go.js';
import { detectMake } from './detectors/make.js';
import { detectNode } from './detectors/node.js';
import { detectPython } from './detectors/python.js';
import type { Detection, Findings, ProposedJob } from './types.js';

/** Proposed when nothing is found. */
export const EXAMPLE_JOB: ProposedJob = {
  name: 'hello',
  kind: 'other',
  description:
    'An example job: replace `run` with your build or test command, then add jobs (order them with `needs`).',
  run: 'echo "Hello from Tandem"',
};

/**
 * Reads `dir` (no writes, no commands run) and proposes a pipeline. Language ecosystems come
 * first (Node, Python, Go); a later one whose job name is taken gets a prefix (`go-test`). A
 * Makefile target whose name is taken is left out: the Makefile most often wraps that job.
 */
export async function detectProject(dir: string): Promise<Detection> {
  const abs = path.resolve(dir);
  const [node, python, go, make] = await Promise.all([
    detectNode(abs),
    detectPython(abs),
    detectGo(abs),
    detectMake(abs),
  ]);
  const languages = [node, python, go].filter((f): f is Findings => f !== undefined);
  const all = make ? [...languages, make] : languages;

  const jobs: ProposedJob[] = [];
  const notes = all.flatMap((f) => f.notes);
  const taken = new Set<string>();
  for (const findings of languages) {
    const renamed = new Map<string, string>();
    for (const job of findings.jobs) {
      const name = freeName(taken, job.name, findings.ecosystem.id);
      renamed.set(job.name, name);
      taken.add(name);
    }
    for (const job of findings.jobs) {
      const name = renamed.get(job.name) as string;
      if (name !== job.name)
        notes.push(`Job "${job.name}" of ${findings.ecosystem.label} is named "${name}".`);
      jobs.push({ ...job, name, ...(job.needs ? { needs: job.needs.map((n) => renamed.get(n) ?? n) } : {}) });
    }
  }
  if (make) {
    const installs = jobs.filter((j) => j.kind === 'install').map((j) => j.name);
    for (const job of make.jobs) {
      if (taken.has(job.name)) {
        notes.push(`\`make ${job.name}\` not proposed: the job "${job.name}" already exists.`);
        continue;
      }
      taken.add(job.name);
      // The Makefile probably relies on the dependencies being installed.
      jobs.push(installs.length ? { ...job, needs: installs } : job);
    }
  }
  if (jobs.length === 0) {
    jobs.push(EXAMPLE_JOB);
    if (all.length > 0) notes.push('No usual job found (lint, test, build…): wrote the example job "hello".');
  }

  const project =
    node?.projectName ?? go?.projectName ?? python?.projectName ?? (path.basename(abs) || 'project');
  return { dir: abs, project, detected: all.map((f) => f.ecosystem), jobs, notes };
}

function freeName(taken: ReadonlySet<string>, name: string, prefix: string): string {
  if (!taken.has(name)) return name;
  let candidate = `${prefix}-${name}`;
  for (let i = 2; taken.has(candidate); i++) candidate = `${prefix}-${name}-${i}`;
  return candidate;
}
