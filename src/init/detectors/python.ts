import { isDirectory, presentFiles, readTextIfExists } from '../fs.js';
import type { Findings, ProposedJob } from '../types.js';

const MANIFESTS = ['pyproject.toml', 'requirements.txt', 'setup.py'] as const;
const DEV_REQUIREMENTS = ['requirements-dev.txt', 'dev-requirements.txt'] as const;
const OTHER_FILES = ['setup.cfg', 'tox.ini', 'pytest.ini', 'conftest.py', 'ruff.toml', '.ruff.toml'] as const;

/** A Python project: pyproject.toml, requirements.txt or setup.py. */
export async function detectPython(dir: string): Promise<Findings | undefined> {
  const manifests = await presentFiles(dir, MANIFESTS);
  if (manifests.length === 0) return undefined;
  const devRequirements = await presentFiles(dir, DEV_REQUIREMENTS);
  const others = await presentFiles(dir, OTHER_FILES);
  const texts = new Map<string, string>();
  for (const name of [...manifests, ...devRequirements, ...others]) {
    const text = await readTextIfExists(dir, name);
    if (text !== undefined) texts.set(name, text);
  }
  const pyproject = texts.get('pyproject.toml') ?? '';
  const has = (name: string) => texts.has(name);
  const notes: string[] = [];

  // Installable as a package: a setup.py, or a pyproject.toml that declares a project or a build.
  const installable = has('setup.py') || /^\[(project|build-system|tool\.poetry)\]/m.test(pyproject);
  const steps: string[] = [];
  if (has('requirements.txt')) steps.push('python3 -m pip install -r requirements.txt');
  for (const dev of devRequirements) steps.push(`python3 -m pip install -r ${dev}`);
  if (installable) steps.push('python3 -m pip install -e .');

  const jobs: ProposedJob[] = [];
  const needs: string[] = [];
  if (steps.length > 0) {
    jobs.push({
      name: 'install',
      kind: 'install',
      description: 'Install the Python dependencies.',
      run: steps.join(' && '),
      inputs: [...manifests, ...devRequirements, ...(has('setup.cfg') ? ['setup.cfg'] : [])],
      remarks: [
        'The packages go to the Python environment, not to an output: a cache hit assumes they',
        'are still installed. Where the system Python refuses pip (PEP 668), run Tandem in a venv.',
      ],
    });
    needs.push('install');
  } else {
    notes.push('pyproject.toml declares no [project] or [build-system]: no install job proposed.');
  }

  const ruff = /^\[tool\.ruff[\].]/m.test(pyproject) || has('ruff.toml') || has('.ruff.toml');
  if (ruff) {
    jobs.push({
      name: 'lint',
      kind: 'lint',
      description: 'Lint the code with ruff.',
      run: 'python3 -m ruff check .',
      ...(needs.length ? { needs: [...needs] } : {}),
    });
  }

  const mentionsPytest = [...texts.values()].some((text) => /\bpytest\b/.test(text));
  if (mentionsPytest || (await isDirectory(dir, 'tests'))) {
    jobs.push({
      name: 'test',
      kind: 'test',
      description: 'Run the tests with pytest.',
      run: 'python3 -m pytest',
      ...(needs.length ? { needs: [...needs] } : {}),
      timeout: '10m',
    });
  }

  const name =
    tomlSectionString(pyproject, 'project', 'name') ?? tomlSectionString(pyproject, 'tool.poetry', 'name');
  const setupName = /\bname\s*=\s*["']([^"']+)["']/.exec(texts.get('setup.py') ?? '')?.[1];
  const projectName = name ?? setupName;
  return {
    ecosystem: { id: 'python', label: `Python (${manifests.join(', ')})`, files: manifests },
    jobs,
    ...(projectName ? { projectName } : {}),
    notes,
  };
}

/** `key = "value"` inside `[section]` of a TOML text; enough for a project name. */
export function tomlSectionString(text: string, section: string, key: string): string | undefined {
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^[\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      inSection = (header[1] as string).trim() === section;
      continue;
    }
    if (line.startsWith('[')) {
      inSection = false;
      continue;
    }
    if (!inSection) continue;
    const match = /^([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(line);
    if (match && match[1] === key) return (match[2] ?? match[3] ?? '').trim() || undefined;
  }
  return undefined;
}
