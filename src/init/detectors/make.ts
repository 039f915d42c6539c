import { readTextIfExists } from '../fs.js';
import type { Findings, JobKind, ProposedJob } from '../types.js';

/** The names GNU make looks for, in its order. */
const MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'] as const;

/** The targets proposed as jobs, in pipeline order. `all` only stands in for a missing `build`. */
const PROPOSED: readonly { target: string; kind: JobKind; description: string }[] = [
  { target: 'lint', kind: 'lint', description: 'Lint the code' },
  { target: 'check', kind: 'test', description: 'Run the checks' },
  { target: 'test', kind: 'test', description: 'Run the tests' },
  { target: 'build', kind: 'build', description: 'Build the project' },
  { target: 'all', kind: 'build', description: 'Build everything' },
];

/** A Makefile with some of the usual targets. */
export async function detectMake(dir: string): Promise<Findings | undefined> {
  for (const file of MAKEFILES) {
    const text = await readTextIfExists(dir, file);
    if (text === undefined) continue;
    const targets = new Set(parseMakeTargets(text));
    const jobs: ProposedJob[] = [];
    for (const { target, kind, description } of PROPOSED) {
      if (!targets.has(target)) continue;
      if (target === 'all' && targets.has('build')) continue;
      const job: ProposedJob = {
        name: target,
        kind,
        description: `${description} (\`make ${target}\`).`,
        run: `make ${target}`,
      };
      if (kind === 'test') job.timeout = '10m';
      jobs.push(job);
    }
    const shown = [...targets].slice(0, 8).join(', ') + (targets.size > 8 ? ', …' : '');
    return {
      ecosystem: { id: 'make', label: `${file} (targets: ${shown || 'none'})`, files: [file] },
      jobs,
      notes: [],
    };
  }
  return undefined;
}

/**
 * The explicit target names of a Makefile, in order of first appearance. Recipe lines (tab
 * first), comments, variable assignments (`=`, `:=`, `::=`, `?=`, `+=`, `!=`), special targets
 * (`.PHONY`), pattern rules (`%.o:`), computed names (`$(X):`) and define…endef bodies are
 * skipped; `a b: deps` gives both a and b.
 */
export function parseMakeTargets(text: string): string[] {
  const targets: string[] = [];
  const seen = new Set<string>();
  let inDefine = false;
  for (const line of logicalLines(text)) {
    if (line.startsWith('\t')) continue;
    const trimmed = line.trim();
    if (inDefine) {
      if (/^endef\b/.test(trimmed)) inDefine = false;
      continue;
    }
    if (/^(override\s+|export\s+)*define\b/.test(trimmed)) {
      inDefine = true;
      continue;
    }
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    // Names up to the first colon, with no '=' before it; the colon(s) not starting ':=' or '::='.
    const match = /^([^:=#]+?)\s*::?(?![:=])/.exec(trimmed);
    if (!match) continue;
    for (const name of (match[1] as string).split(/\s+/)) {
      if (name === '' || name.startsWith('.') || /[%$()]/.test(name)) continue;
      if (!seen.has(name)) {
        seen.add(name);
        targets.push(name);
      }
    }
  }
  return targets;
}

/** Lines with backslash continuations joined and CRs dropped. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  if (pending) lines.push(pending);
  return lines;
}
