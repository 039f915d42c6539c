import { isFile, readTextIfExists } from '../fs.js';
import type { Findings, JobKind, ProposedJob } from '../types.js';

interface Lockfile {
  file: string;
  manager: 'npm' | 'pnpm' | 'yarn';
  install: string;
}

/** In order of preference when a repository has several. */
const LOCKFILES: readonly Lockfile[] = [
  { file: 'package-lock.json', manager: 'npm', install: 'npm ci' },
  { file: 'npm-shrinkwrap.json', manager: 'npm', install: 'npm ci' },
  { file: 'pnpm-lock.yaml', manager: 'pnpm', install: 'pnpm install --frozen-lockfile' },
  { file: 'yarn.lock', manager: 'yarn', install: 'yarn install --frozen-lockfile' },
];

/** The scripts proposed as jobs, in pipeline order. */
const SCRIPTS: readonly { script: string; kind: JobKind; description: string }[] = [
  { script: 'lint', kind: 'lint', description: 'Lint the code' },
  { script: 'typecheck', kind: 'lint', description: 'Type-check the code' },
  { script: 'test', kind: 'test', description: 'Run the tests' },
  { script: 'build', kind: 'build', description: 'Build the project' },
];

/** `npm init`'s placeholder, which always fails. */
const NPM_PLACEHOLDER_TEST = /no test specified/;

/** A Node.js project: package.json, its lockfile and its scripts. */
export async function detectNode(dir: string): Promise<Findings | undefined> {
  const text = await readTextIfExists(dir, 'package.json');
  if (text === undefined) return undefined;
  const notes: string[] = [];

  let manifest: { name?: unknown; scripts?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) manifest = parsed;
  } catch {
    notes.push('package.json is not valid JSON: proposed only the install job.');
  }

  const present: Lockfile[] = [];
  for (const lock of LOCKFILES) if (await isFile(dir, lock.file)) present.push(lock);
  const lock = present[0];
  if (present.length > 1) {
    notes.push(`Several lockfiles (${present.map((l) => l.file).join(', ')}): used ${lock?.file}.`);
  }
  const manager = lock?.manager ?? 'npm';
  let install = lock?.install ?? 'npm install';
  // Yarn 2+ (a .yarnrc.yml) renamed --frozen-lockfile to --immutable.
  if (manager === 'yarn' && (await isFile(dir, '.yarnrc.yml'))) install = 'yarn install --immutable';

  const jobs: ProposedJob[] = [
    {
      name: 'install',
      kind: 'install',
      description: lock
        ? `Install the dependencies exactly as ${lock.file} pins them.`
        : 'Install the dependencies (no lockfile found: commit one to make installs reproducible).',
      run: install,
      inputs: lock ? ['package.json', lock.file] : ['package.json'],
      remarks: [
        'node_modules is deliberately not an output (it is large): a cache hit assumes it is',
        'still there. Use `tandem run --no-cache`, or add `cache: false`, to reinstall.',
      ],
    },
  ];

  const scripts = isRecord(manifest.scripts) ? manifest.scripts : {};
  for (const { script, kind, description } of SCRIPTS) {
    const body = scripts[script];
    if (typeof body !== 'string' || body.trim() === '') continue;
    if (script === 'test' && NPM_PLACEHOLDER_TEST.test(body)) {
      notes.push('The "test" script is npm\'s placeholder ("no test specified"): no test job proposed.');
      continue;
    }
    const job: ProposedJob = {
      name: script,
      kind,
      description: `${description} (the "${script}" script).`,
      run: `${manager} run ${script}`,
      needs: ['install'],
    };
    if (kind === 'test') job.timeout = '10m';
    if (kind === 'build') {
      job.outputs = ['dist/**'];
      job.outputsComment = 'cached and restored; change it if the build writes elsewhere';
    }
    jobs.push(job);
  }

  const files = ['package.json', ...(lock ? [lock.file] : [])];
  const name = typeof manifest.name === 'string' ? stripScope(manifest.name.trim()) : '';
  return {
    ecosystem: { id: 'node', label: `Node.js (${manager}, ${lock ? lock.file : 'no lockfile'})`, files },
    jobs,
    ...(name ? { projectName: name } : {}),
    notes,
  };
}

/** "@acme/web" → "web". */
export function stripScope(name: string): string {
  const match = /^@[^/]+\/(.+)$/.exec(name);
  return match ? (match[1] as string) : name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
