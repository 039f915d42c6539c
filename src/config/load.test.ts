import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TandemError } from '../errors.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { loadConfig } from './load.js';
import { loadConfigFromString } from './parse.js';
import { EXAMPLE_CONFIG } from './reference-doc.js';

const VALID = `project: shop
pipeline:
  jobs:
    build:
      run: npm run build
      timeout: 10m
    test:
      needs: build
      run: npm test
      retries: 2
`;

function issuesOf(text: string): ConfigIssue[] {
  try {
    loadConfigFromString(text, 'tandem.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function onlyIssue(text: string): ConfigIssue {
  const issues = issuesOf(text);
  expect(issues).toHaveLength(1);
  return issues[0] as ConfigIssue;
}

describe('loadConfigFromString', () => {
  it('returns the validated config with positions', () => {
    const loaded = loadConfigFromString(VALID, 'some/dir/tandem.yaml');
    expect(loaded.file).toBe(join(process.cwd(), 'some/dir/tandem.yaml'));
    expect(loaded.dir).toBe(join(process.cwd(), 'some/dir'));
    expect(loaded.config.pipeline.jobs.build?.timeout).toBe(600_000);
    expect(loaded.config.pipeline.jobs.test?.needs).toEqual(['build']);
    expect(loaded.positionOf(['pipeline', 'jobs', 'test', 'needs'])).toEqual({ line: 8, col: 14 });
    // A path into a value that does not exist in the source: the nearest existing parent.
    expect(loaded.positionOf(['pipeline', 'jobs', 'test', 'needs', 0])).toEqual({ line: 8, col: 14 });
    expect(loaded.positionOf(['pipeline', 'jobs', 'test', 'if'])).toEqual({ line: 8, col: 7 });
    expect(
      loaded.issueAt(['pipeline', 'jobs', 'test', 'needs'], 'unknown job "biuld"', { suggestion: 'build' }),
    ).toEqual({
      file: 'some/dir/tandem.yaml',
      line: 8,
      col: 14,
      path: ['pipeline', 'jobs', 'test', 'needs'],
      message: 'unknown job "biuld"',
      suggestion: 'build',
    });
  });

  it('accepts the example of the reference docs', () => {
    const loaded = loadConfigFromString(EXAMPLE_CONFIG, 'tandem.yaml');
    expect(Object.keys(loaded.config.pipeline.jobs)).toEqual(['install', 'lint', 'test', 'build', 'publish']);
  });

  it('reports an unknown job key at the key, with a did-you-mean', () => {
    const issue = onlyIssue(VALID.replace('      timeout: 10m', '      timout: 10m'));
    expect(issue).toMatchObject({
      file: 'tandem.yaml',
      line: 6,
      col: 7,
      path: ['pipeline', 'jobs', 'build', 'timout'],
      message: 'unknown key "timout"',
      suggestion: 'timeout',
    });
  });

  it('reports a top-level typo and the key it leaves missing', () => {
    const issues = issuesOf(VALID.replace('pipeline:', 'pipline:'));
    expect(issues[0]).toMatchObject({
      line: 1,
      col: 1,
      path: ['pipeline'],
      message: 'missing required key "pipeline"',
    });
    expect(issues[1]).toMatchObject({
      line: 2,
      col: 1,
      path: ['pipline'],
      message: 'unknown key "pipline"',
      suggestion: 'pipeline',
    });
  });

  it('lists the allowed keys when nothing is close', () => {
    const issue = onlyIssue(VALID.replace('      retries: 2', '      zzzzzz: 2'));
    expect(issue.suggestion).toBeUndefined();
    expect(issue.expected).toContain('run, needs, if');
  });

  it('reports a wrong type in words', () => {
    const issue = onlyIssue(VALID.replace('retries: 2', 'retries: "two"'));
    expect(issue).toMatchObject({
      line: 10,
      col: 16,
      path: ['pipeline', 'jobs', 'test', 'retries'],
      message: 'expected an integer from 0 to 10, got a string "two"',
      expected: 'an integer from 0 to 10',
    });
  });

  it('reports a bad duration', () => {
    const issue = onlyIssue(VALID.replace('timeout: 10m', 'timeout: 10 minutes'));
    expect(issue).toMatchObject({
      line: 6,
      col: 16,
      path: ['pipeline', 'jobs', 'build', 'timeout'],
      expected: 'a duration such as "30s", "10m" or "1h30m"',
      message: 'expected a duration such as "30s", "10m" or "1h30m", got a string "10 minutes"',
    });
    expect(onlyIssue(VALID.replace('timeout: 10m', 'timeout: -5')).message).toBe(
      'expected a duration such as "30s", "10m" or "1h30m", got the number -5',
    );
  });

  it('points into lists', () => {
    const issue = onlyIssue(VALID.replace('needs: build', 'needs: [build, 3]'));
    expect(issue).toMatchObject({
      line: 8,
      col: 22,
      path: ['pipeline', 'jobs', 'test', 'needs', 1],
      message: 'expected a string, got the number 3',
    });
  });

  it('reports a missing required key at the mapping that lacks it', () => {
    const issue = onlyIssue(VALID.replace('      run: npm test\n', ''));
    expect(issue).toMatchObject({
      line: 7,
      col: 5,
      path: ['pipeline', 'jobs', 'test', 'run'],
      message: 'missing required key "run"',
      expected: 'a non-empty string',
    });
  });

  it('reports an empty value at its key', () => {
    const issue = onlyIssue(VALID.replace('run: npm test', 'run:'));
    expect(issue).toMatchObject({
      line: 9,
      col: 7,
      message: 'expected a non-empty string, got an empty value',
    });
  });

  it('reports a job name with spaces, and still checks the job', () => {
    const issues = issuesOf(
      VALID.replace('    test:', '    unit test:').replace('retries: 2', 'retries: 20'),
    );
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({
      line: 7,
      col: 5,
      path: ['pipeline', 'jobs', 'unit test'],
      message: 'invalid key "unit test"',
      expected: 'a job name of letters, digits, ".", "_" and "-"',
    });
    expect(issues[1]).toMatchObject({
      line: 10,
      col: 16,
      path: ['pipeline', 'jobs', 'unit test', 'retries'],
    });
  });

  it('reports a YAML syntax error with its position', () => {
    const issue = onlyIssue('project: shop\npipeline:\n  jobs: [a, b\n  env: {}\n');
    expect(issue.line).toBe(4);
    expect(issue.col).toBe(3);
    expect(issue.message).toMatch(/^invalid YAML: /);
    expect(issue.message).not.toMatch(/line \d+/);
  });

  it('reports tabs used as indentation', () => {
    const issue = onlyIssue('project: shop\npipeline:\n\tjobs: {}\n');
    expect(issue).toMatchObject({ line: 3, col: 1 });
  });

  it('reports duplicate keys, together with schema problems', () => {
    const issues = issuesOf(`${VALID}    build:\n      run: again\n      retries: x\n`);
    expect(issues.map((i) => [i.line, i.col, i.message])).toEqual([
      [11, 5, 'duplicate key "build"'],
      [13, 16, 'expected an integer from 0 to 10, got a string "x"'],
    ]);
  });

  it('reports an empty file and a non-mapping document at 1:1', () => {
    expect(onlyIssue('')).toMatchObject({ line: 1, col: 1, message: 'the file is empty' });
    expect(onlyIssue('# nothing\n')).toMatchObject({ line: 1, col: 1, message: 'the file is empty' });
    expect(onlyIssue('- a\n- b\n')).toMatchObject({
      line: 1,
      col: 1,
      message: 'expected a mapping at the top level, got a list',
    });
    expect(onlyIssue('just text')).toMatchObject({ line: 1, col: 1 });
  });

  it('reports an alias without anchor', () => {
    expect(onlyIssue('project: *name\n')).toMatchObject({
      line: 1,
      col: 10,
      message: expect.stringContaining('*name'),
    });
  });

  it('reports every issue at once, sorted by position', () => {
    const issues = issuesOf(`project: 3
owners: { tem: x }
pipeline:
  env: { "1A": x, B: [1] }
  jobs:
    a: { run: x, cache: "no", matrix: { node: [] } }
    b: ~
`);
    expect(issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '1:10 expected a non-empty string, got the number 3',
      '2:11 unknown key "tem"',
      '4:10 invalid key "1A"',
      '4:22 expected a string, a number or a boolean, got a list',
      '6:25 expected true or false, got a string "no"',
      '6:47 expected a non-empty list of strings, numbers or booleans, got an empty list',
      '7:8 expected a mapping, got an empty value',
    ]);
    expect(issues[1]?.suggestion).toBe('team');
  });

  it('rejects a pipeline without jobs', () => {
    expect(onlyIssue('project: x\npipeline:\n  jobs: {}\n')).toMatchObject({
      line: 3,
      col: 9,
      message: 'expected at least one job, got an empty mapping',
    });
  });

  it('formats issues as file:line:col', () => {
    try {
      loadConfigFromString(VALID.replace('timeout: 10m', 'timout: 10m'), 'ci/tandem.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as ConfigError).message).toContain(
        'ci/tandem.yaml:6:7: pipeline.jobs.build.timout: unknown key "timout"; did you mean "timeout"?',
      );
    }
  });
});

describe('loadConfig', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-config-'));
    await mkdir(join(root, 'project', 'src', 'deep'), { recursive: true });
    await writeFile(join(root, 'project', 'tandem.yaml'), VALID);
    await mkdir(join(root, 'other', 'nested'), { recursive: true });
    await writeFile(join(root, 'other', 'tandem.yml'), VALID);
    await mkdir(join(root, 'empty'), { recursive: true });
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds tandem.yaml walking up from a nested directory', async () => {
    const loaded = await loadConfig({ cwd: join(root, 'project', 'src', 'deep') });
    expect(loaded.file).toBe(join(root, 'project', 'tandem.yaml'));
    expect(loaded.dir).toBe(join(root, 'project'));
    expect(loaded.config.project).toBe('shop');
  });

  it('accepts tandem.yml', async () => {
    const loaded = await loadConfig({ cwd: join(root, 'other', 'nested') });
    expect(loaded.file).toBe(join(root, 'other', 'tandem.yml'));
  });

  it('loads --config relative to cwd, and reports issues with the path as given', async () => {
    await writeFile(
      join(root, 'project', 'bad.yaml'),
      'project: shop\npipeline:\n  jobs: {a: {run: x, retries: -1}}\n',
    );
    const loaded = await loadConfig({ cwd: root, config: 'project/tandem.yaml' });
    expect(loaded.file).toBe(join(root, 'project', 'tandem.yaml'));
    const err = await loadConfig({ cwd: root, config: 'project/bad.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ file: 'project/bad.yaml', line: 3, col: 31 });
  });

  it('accepts a directory as --config', async () => {
    const loaded = await loadConfig({ cwd: root, config: 'project' });
    expect(loaded.file).toBe(join(root, 'project', 'tandem.yaml'));
  });

  it('says where it looked when there is no tandem.yaml', async () => {
    const err = await loadConfig({ cwd: join(root, 'empty') }).catch((e: unknown) => e);
    // Unless some parent of the temp dir has a tandem.yaml: then that one is found.
    if (err instanceof TandemError) {
      expect(err.code).toBe('TANDEM_CONFIG_NOT_FOUND');
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(join(root, 'empty'));
      expect(err.message).toContain('tandem init');
      expect(err.message).toContain('--config');
    } else {
      expect(err).toHaveProperty('file');
    }
  });

  it('rejects a --config that does not exist', async () => {
    const err = await loadConfig({ cwd: root, config: 'nope/tandem.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({ code: 'TANDEM_CONFIG_NOT_FOUND', exitCode: 2 });
    expect((err as TandemError).message).toContain('nope/tandem.yaml does not exist');
    expect((err as TandemError).message).toContain(join(root, 'nope', 'tandem.yaml'));
  });
});
