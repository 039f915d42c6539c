import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, removeProject, runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeProject(dir);
});

describe('tandem init through the real CLI', () => {
  it('writes a commented, valid tandem.yaml for a Node project and refuses to overwrite it', async () => {
    const dir = makeProject({
      'package.json': JSON.stringify({ name: '@acme/shop', scripts: { lint: 'x', test: 'y', build: 'z' } }),
      'package-lock.json': '{}',
    });
    dirs.push(dir);
    const init = await runCli(['init'], { cwd: dir });
    expect(init.code).toBe(0);
    const text = readFileSync(path.join(dir, 'tandem.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    expect(text).toContain('npm ci');
    expect(text).toContain('npm run build');

    const validate = await runCli(['validate', '--json'], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout).jobs).toEqual(
      expect.arrayContaining(['install', 'lint', 'test', 'build']),
    );

    const again = await runCli(['init'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--force/);
    expect((await runCli(['init', '--force'], { cwd: dir })).code).toBe(0);
  });

  it('every verb has --help with examples', async () => {
    const dir = makeProject({});
    dirs.push(dir);
    for (const verb of [['init'], ['validate'], ['run'], ['secret', 'set']]) {
      const help = await runCli([...verb, '--help'], { cwd: dir });
      expect(help.code, verb.join(' ')).toBe(0);
      expect(help.stdout, verb.join(' ')).toMatch(/Examples:/);
    }
  });
});
