import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../config/schema.js';
import { detectProject } from './detect.js';
import { renderTemplate, SCHEMA_MODELINE, yamlString } from './template.js';
import type { Detection } from './types.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

/** A fresh directory named `name` under os.tmpdir() holding `files` (a trailing '/' makes a directory). */
async function fixture(name: string, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tandem-init-'));
  roots.push(root);
  const dir = path.join(root, name);
  await mkdir(dir);
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(dir, file);
    if (file.endsWith('/')) {
      await mkdir(full, { recursive: true });
    } else {
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, text);
    }
  }
  return dir;
}

const byName = (d: Detection) => Object.fromEntries(d.jobs.map((j) => [j.name, j]));

/** The generated text, commented and with its examples active, must parse and satisfy the schema. */
function expectValid(detection: Detection): void {
  for (const examples of ['commented', 'active'] as const) {
    const text = renderTemplate(detection, { examples });
    const config = configSchema.parse(parse(text));
    expect(Object.keys(config.pipeline.jobs)).toEqual(detection.jobs.map((j) => j.name));
    expect(config.project).toBe(detection.project);
    if (examples === 'active') {
      expect(config.owners?.team).toBe('my-team');
      expect(Object.values(config.pipeline.jobs).some((j) => j.retries === 1 && j.matrix && j.if)).toBe(true);
    }
  }
  const text = renderTemplate(detection);
  const lines = text.split('\n');
  expect(lines[0]).toBe(SCHEMA_MODELINE);
  expect(text).toContain('tandem validate');
  expect(text).toContain('tandem run');
  expect(text).toMatch(/^ {6}# retries: 1/m);
  expect(text).toMatch(/^ {6}# matrix:/m);
  expect(text).toMatch(/^ {6}# if: /m);
  // Every job has a comment right above its key (after its description and remarks).
  for (const job of detection.jobs) {
    const at = lines.indexOf(`    ${job.name}:`);
    expect(at, job.name).toBeGreaterThan(0);
    expect(lines[at - 1]).toMatch(/^ {4}# \S/);
  }
  // needs only name jobs that exist; no duplicate names.
  const names = new Set(detection.jobs.map((j) => j.name));
  expect(names.size).toBe(detection.jobs.length);
  for (const job of detection.jobs) for (const need of job.needs ?? []) expect(names.has(need)).toBe(true);
}

describe('detectProject', () => {
  it('Node: name without scope, npm ci from the lockfile, scripts in pipeline order, dist/** for build', async () => {
    const dir = await fixture('web', {
      'package.json': JSON.stringify({
        name: '@acme/shop',
        scripts: {
          build: 'tsc',
          test: 'vitest run',
          lint: 'biome check .',
          typecheck: 'tsc --noEmit',
          dev: 'vite',
        },
      }),
      'package-lock.json': '{}',
    });
    const d = await detectProject(dir);
    expect(d.project).toBe('shop');
    expect(d.detected.map((e) => e.id)).toEqual(['node']);
    expect(d.jobs.map((j) => j.name)).toEqual(['install', 'lint', 'typecheck', 'test', 'build']);
    const jobs = byName(d);
    expect(jobs.install).toMatchObject({ run: 'npm ci', inputs: ['package.json', 'package-lock.json'] });
    expect(jobs.install?.outputs).toBeUndefined();
    expect(jobs.test).toMatchObject({ run: 'npm run test', needs: ['install'], timeout: '10m' });
    expect(jobs.build).toMatchObject({ run: 'npm run build', needs: ['install'], outputs: ['dist/**'] });
    expectValid(d);
    expect(renderTemplate(d)).toContain('outputs: [dist/**]');
  });

  it.each([
    ['pnpm-lock.yaml', {}, 'pnpm install --frozen-lockfile', 'pnpm run test'],
    ['yarn.lock', {}, 'yarn install --frozen-lockfile', 'yarn run test'],
    [
      'yarn.lock',
      { '.yarnrc.yml': 'nodeLinker: node-modules\n' },
      'yarn install --immutable',
      'yarn run test',
    ],
    [undefined, {}, 'npm install', 'npm run test'],
  ])('Node with %s installs with the right manager', async (lockfile, extra, install, test) => {
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'app', scripts: { test: 'node --test' } }),
      ...extra,
    };
    if (lockfile) files[lockfile] = '';
    const d = await detectProject(await fixture('app', files));
    expect(byName(d).install?.run).toBe(install);
    expect(byName(d).install?.inputs).toEqual(lockfile ? ['package.json', lockfile] : ['package.json']);
    expect(byName(d).test?.run).toBe(test);
    expectValid(d);
  });

  it("Node: skips npm's placeholder test script and survives a broken package.json", async () => {
    const placeholder = await detectProject(
      await fixture('p', {
        'package.json': JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }),
      }),
    );
    expect(placeholder.jobs.map((j) => j.name)).toEqual(['install']);
    expect(placeholder.project).toBe('p');
    expect(placeholder.notes.join(' ')).toMatch(/placeholder/);
    expectValid(placeholder);

    const broken = await detectProject(await fixture('b', { 'package.json': '{ nope' }));
    expect(broken.jobs.map((j) => j.name)).toEqual(['install']);
    expect(broken.notes.join(' ')).toMatch(/not valid JSON/);
    expectValid(broken);
  });

  it('Makefile only: the usual targets, in pipeline order, without needs', async () => {
    const d = await detectProject(
      await fixture('tool', {
        Makefile: [
          'VERSION := 1.0',
          '.PHONY: all test lint',
          'all: build',
          'build:',
          '\tcc -o tool main.c',
          'test: build',
          '\t./tool --self-test',
          'lint:',
          '\tclang-tidy main.c',
          '%.o: %.c',
          '\tcc -c $<',
        ].join('\n'),
      }),
    );
    expect(d.project).toBe('tool');
    expect(d.detected.map((e) => e.id)).toEqual(['make']);
    // `all` only stands in for a missing `build`.
    expect(d.jobs.map((j) => [j.name, j.run])).toEqual([
      ['lint', 'make lint'],
      ['test', 'make test'],
      ['build', 'make build'],
    ]);
    expect(d.jobs.every((j) => j.needs === undefined)).toBe(true);
    expect(byName(d).test?.timeout).toBe('10m');
    expectValid(d);
  });

  it('Makefile with `all` and no `build` proposes `all`; with no usual target, the example job', async () => {
    const withAll = await detectProject(await fixture('c', { makefile: 'all: prog\ncheck:\n\t./prog -t\n' }));
    expect(withAll.jobs.map((j) => j.name)).toEqual(['check', 'all']);
    expectValid(withAll);

    const none = await detectProject(await fixture('d', { Makefile: 'deploy:\n\t./deploy.sh\n' }));
    expect(none.jobs.map((j) => j.name)).toEqual(['hello']);
    expect(none.notes.join(' ')).toMatch(/example job/);
    expectValid(none);
  });

  it('Python with requirements.txt, tests/ and ruff', async () => {
    const d = await detectProject(
      await fixture('svc', {
        'requirements.txt': 'flask==3.0\n',
        'pyproject.toml': '[tool.ruff]\nline-length = 100\n',
        'tests/': '',
      }),
    );
    expect(d.detected.map((e) => e.id)).toEqual(['python']);
    expect(d.project).toBe('svc');
    expect(d.jobs.map((j) => [j.name, j.run])).toEqual([
      ['install', 'python3 -m pip install -r requirements.txt'],
      ['lint', 'python3 -m ruff check .'],
      ['test', 'python3 -m pytest'],
    ]);
    expect(byName(d).install?.inputs).toEqual(['pyproject.toml', 'requirements.txt']);
    expect(byName(d).test).toMatchObject({ needs: ['install'], timeout: '10m' });
    expectValid(d);
  });

  it('Python package from pyproject.toml: pip install -e ., name, pytest mentioned, no ruff', async () => {
    const d = await detectProject(
      await fixture('x', {
        'pyproject.toml': [
          '[build-system]',
          'requires = ["hatchling"]',
          '',
          '[project]',
          'name = "acme-billing"',
          'dependencies = ["requests"]',
          '',
          '[project.optional-dependencies]',
          'dev = ["pytest>=8"]',
        ].join('\n'),
      }),
    );
    expect(d.project).toBe('acme-billing');
    expect(d.jobs.map((j) => [j.name, j.run])).toEqual([
      ['install', 'python3 -m pip install -e .'],
      ['test', 'python3 -m pytest'],
    ]);
    expectValid(d);
  });

  it('Python from setup.py without tests: install only, name from setup()', async () => {
    const d = await detectProject(
      await fixture('y', { 'setup.py': 'from setuptools import setup\nsetup(name="legacy", version="1")\n' }),
    );
    expect(d.project).toBe('legacy');
    expect(d.jobs.map((j) => j.name)).toEqual(['install']);
    expectValid(d);
  });

  it('Go: vet, test, build; name from the module path without its major version', async () => {
    const d = await detectProject(
      await fixture('repo', { 'go.mod': 'module github.com/acme/payments/v2 // main module\n\ngo 1.22\n' }),
    );
    expect(d.project).toBe('payments');
    expect(d.detected).toEqual([
      { id: 'go', label: 'Go (module github.com/acme/payments/v2)', files: ['go.mod'] },
    ]);
    expect(d.jobs.map((j) => [j.name, j.run])).toEqual([
      ['vet', 'go vet ./...'],
      ['test', 'go test ./...'],
      ['build', 'go build ./...'],
    ]);
    expect(byName(d).test?.timeout).toBe('10m');
    expectValid(d);
  });

  it('mixed Node + Go + Python + Makefile: no duplicate names, needs renamed, Node names the project', async () => {
    const d = await detectProject(
      await fixture('mono', {
        'package.json': JSON.stringify({
          name: 'frontend',
          scripts: { test: 'vitest', build: 'vite build' },
        }),
        'pnpm-lock.yaml': '',
        'go.mod': 'module example.com/backend\n',
        'requirements.txt': 'pytest\n',
        Makefile: '.PHONY: test lint\ntest:\n\tgo test ./...\nlint:\n\tgolangci-lint run\ncheck: lint test\n',
      }),
    );
    expect(d.project).toBe('frontend');
    expect(d.detected.map((e) => e.id)).toEqual(['node', 'python', 'go', 'make']);
    expect(d.jobs.map((j) => j.name)).toEqual([
      'install',
      'test',
      'build',
      'python-install',
      'python-test',
      'vet',
      'go-test',
      'go-build',
      'lint',
      'check',
    ]);
    const jobs = byName(d);
    expect(jobs['python-test']?.needs).toEqual(['python-install']);
    expect(jobs.lint).toMatchObject({ run: 'make lint', needs: ['install', 'python-install'] });
    expect(d.notes.join('\n')).toMatch(/`make test` not proposed/);
    expectValid(d);
  });

  it('empty directory: the example job hello, named after the directory', async () => {
    const d = await detectProject(await fixture('my-empty-project', {}));
    expect(d.detected).toEqual([]);
    expect(d.project).toBe('my-empty-project');
    expect(d.jobs.map((j) => j.name)).toEqual(['hello']);
    expect(d.notes).toEqual([]);
    expectValid(d);
    const text = renderTemplate(d);
    expect(text).toContain('found no project files');
    expect(text).toMatch(/# An example job: replace `run`/);
  });
});

describe('yamlString', () => {
  it.each([
    'npm ci',
    'echo "Hello from Tandem"',
    'dist/**',
    '**/*.py',
    '@acme/web',
    'true',
    '123',
    'a: b',
    'x # y',
    '- item',
    'a, b',
    '[x]',
    ' padded ',
    'line\nbreak',
    '',
  ])('%j reads back as the same string, in a mapping and in a flow list', (value) => {
    expect(parse(`k: ${yamlString(value)}`)).toEqual({ k: value });
    expect(parse(`[${yamlString(value, true)}]`)).toEqual([value]);
  });

  it('leaves plain strings plain', () => {
    expect(yamlString('npm run build')).toBe('npm run build');
    expect(yamlString('dist/**', true)).toBe('dist/**');
    expect(yamlString('**/*.py', true)).toBe('"**/*.py"');
  });

  it('a project name that needs quoting stays valid', async () => {
    const d = await detectProject(await fixture('q', { 'package.json': JSON.stringify({ name: 'true' }) }));
    expect(d.project).toBe('true');
    expectValid(d);
  });
});
