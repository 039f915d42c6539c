import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, removeProject, runCli } from '../helpers/cli.js';
import { mulberry32, mutate } from '../helpers/yaml-mutations.js';

const VALID = `project: shop
pipeline:
  env:
    MODE: ci
  jobs:
    install:
      run: echo install
      inputs: [package.json]
    test:
      needs: [install]
      run: echo test
      timeout: 5m
      retries: 1
    build:
      needs: install
      run: echo build
      outputs: ["dist/**"]
`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

async function validate(yaml: string) {
  const dir = makeProject({ 'tandem.yaml': yaml });
  dirs.push(dir);
  const result = await runCli(['validate'], { cwd: dir });
  // A broken config must never reach `run`: nothing is recorded, no job starts.
  const run = await runCli(['run'], { cwd: dir });
  return { ...result, runCode: run.code, runStdout: run.stdout };
}

describe('config errors through the real CLI', () => {
  it('accepts the valid config', async () => {
    const result = await validate(VALID);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/valid: 3 job/);
  });

  it('an unknown key: exit 2, file:line:col, key path and a did-you-mean; nothing runs', async () => {
    const result = await validate(VALID.replace('      timeout: 5m', '      timout: 5m'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /tandem\.yaml:12:7: pipeline\.jobs\.test(\.timout)?: unknown key "timout".*did you mean "timeout"/,
    );
    expect(result.runCode).toBe(2);
    expect(result.runStdout).toBe('');
  });

  it('a cycle: exit 2 naming the cycle at the need that closes it', async () => {
    const result = await validate(
      VALID.replace('      needs: [install]\n', '      needs: [install, build]\n').replace(
        '      needs: install\n',
        '      needs: test\n',
      ),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /tandem\.yaml:(10|15):\d+: .*cycle.*(test -> build -> test|build -> test -> build)/,
    );
    expect(result.runCode).toBe(2);
  });

  it('an unknown need: exit 2 with its line and a did-you-mean', async () => {
    const result = await validate(VALID.replace('      needs: install\n', '      needs: instal\n'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /tandem\.yaml:15:\d+: pipeline\.jobs\.build\.needs.*"instal".*did you mean "install"/,
    );
  });

  it('a wrong type: exit 2 with its line and what was expected', async () => {
    const result = await validate(VALID.replace('retries: 1', 'retries: two'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /tandem\.yaml:13:\d+: pipeline\.jobs\.test\.retries: expected an integer.*got a string "two"/,
    );
  });

  it('run reuses the validated config of an unchanged file, positions included, and rereads a changed one', async () => {
    const dir = makeProject({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: tandem.yaml's ${{ }} syntax, not a JS template
      'tandem.yaml': 'project: t\npipeline:\n  jobs:\n    greet:\n      run: echo "${{ env.WHO }}"\n',
    });
    dirs.push(dir);
    expect((await runCli(['run'], { cwd: dir, env: { WHO: 'a' } })).code).toBe(0);
    expect(existsSync(path.join(dir, '.tandem/config-snapshot.json'))).toBe(true);
    // Same bytes, so the snapshot is used; the missing variable is still reported at its line.
    const missing = await runCli(['run'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /tandem\.yaml:5:12: pipeline\.jobs\.greet\.run: environment variable "WHO" is not set/,
    );
    writeFileSync(
      path.join(dir, 'tandem.yaml'),
      'project: t\npipeline:\n  jobs:\n    greet:\n      rn: echo hi\n',
    );
    const changed = await runCli(['run'], { cwd: dir });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/tandem\.yaml:5:7: .*unknown key "rn".*did you mean "run"/);
  });

  it('--json reports the issues as data', async () => {
    const dir = makeProject({ 'tandem.yaml': VALID.replace('retries: 1', 'retries: -1') });
    dirs.push(dir);
    const result = await runCli(['validate', '--json'], { cwd: dir });
    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout) as {
      error: { code: string; issues: Array<{ line: number; path: unknown[] }> };
    };
    expect(body.error.code).toBe('TANDEM_CONFIG_INVALID');
    expect(body.error.issues[0]).toMatchObject({ line: 13, path: ['pipeline', 'jobs', 'test', 'retries'] });
  });

  it('no tandem.yaml: exit 2 with a hint', async () => {
    const dir = makeProject({ 'README.md': 'x' });
    dirs.push(dir);
    const result = await runCli(['run'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tandem init/);
  });

  it('random mutations of a valid tandem.yaml never produce a stack trace', async () => {
    const random = mulberry32(20261127);
    const dir = makeProject({ 'tandem.yaml': VALID });
    dirs.push(dir);
    const file = path.join(dir, 'tandem.yaml');
    for (let i = 0; i < 25; i++) {
      let text = VALID;
      for (let m = 0; m < 1 + Math.floor(random() * 3); m++) text = mutate(text, random);
      writeFileSync(file, text);
      const result = await runCli(['validate'], { cwd: dir });
      expect([0, 2], `${text}\n${result.stderr}`).toContain(result.code);
      expect(result.stderr).not.toMatch(/internal error|\n\s+at .*\(.*:\d+:\d+\)/);
      if (result.code === 2) expect(result.stderr).toMatch(/tandem\.yaml:\d+:\d+/);
    }
    expect(readFileSync(file, 'utf8')).not.toBe('');
  });
});
