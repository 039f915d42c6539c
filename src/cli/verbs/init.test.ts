import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../config/schema.js';
import { registerInit } from './init.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-init-cli-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Runs `tandem ...args` with only the init verb; returns what it printed and the exit code. */
async function tandem(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command('tandem').option('--config <file>').option('--json').exitOverride();
  registerInit(program);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'tandem', ...args]);
  } finally {
    vi.mocked(process.stdout.write).mockRestore();
    vi.mocked(process.stderr.write).mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, code };
}

describe('tandem init', () => {
  it('--json prints file, project, jobs and detected', async () => {
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'web', scripts: { test: 'vitest' } }),
    );
    await writeFile(path.join(dir, 'package-lock.json'), '{}');
    const { stdout, code } = await tandem('--json', 'init', '--dir', dir);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      file: path.join(dir, 'tandem.yaml'),
      project: 'web',
      jobs: ['install', 'test'],
      detected: ['node'],
    });
    const config = configSchema.parse(parse(await readFile(out.file, 'utf8')));
    expect(config.pipeline.jobs.test?.run).toBe('npm run test');
  });

  it('writes into the working directory by default and prints what it found and the next steps', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    await writeFile(path.join(dir, 'go.mod'), 'module example.com/api\n');
    const { stdout, code } = await tandem('init');
    expect(code).toBe(0);
    expect(stdout).toContain('Detected: Go (module example.com/api)');
    expect(stdout).toContain('Wrote tandem.yaml: project "api", 3 job(s): vet, test, build');
    expect(stdout).toMatch(/Next steps:[\s\S]*tandem validate\n {2}tandem run\n$/);
    expect(await readFile(path.join(dir, 'tandem.yaml'), 'utf8')).toContain('go test ./...');
  });

  it('refuses to overwrite (exit 1, hint at --force) and overwrites with --force', async () => {
    const file = path.join(dir, 'tandem.yaml');
    await writeFile(file, 'project: mine\n');
    const refused = await tandem('init', '--dir', dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already exists; pass --force/);
    expect(await readFile(file, 'utf8')).toBe('project: mine\n');

    const json = await tandem('--json', 'init', '--dir', dir);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe('TANDEM_INIT_EXISTS');

    const forced = await tandem('init', '--dir', dir, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('no project files it knows');
    expect(await readFile(file, 'utf8')).toContain('hello:');
  });

  it('bad usage exits 2: a missing --dir, or --config', async () => {
    expect((await tandem('init', '--dir', path.join(dir, 'missing'))).code).toBe(2);
    const withConfig = await tandem('--config', 'x.yaml', 'init', '--dir', dir);
    expect(withConfig.code).toBe(2);
    expect(withConfig.stderr).toMatch(/--dir/);
  });
});
