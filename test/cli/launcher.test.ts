import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const cacheHome = mkdtempSync(path.join(os.tmpdir(), 'tandem-cache-home-'));
afterAll(() => rmSync(cacheHome, { recursive: true, force: true }));

describe('the launcher and its V8 code cache (real CLI)', () => {
  it('writes a private cache, uses it, and survives a corrupt one', async () => {
    const env = { XDG_CACHE_HOME: cacheHome };
    const first = await runCli(['--version'], { cwd: cacheHome, env });
    expect(first.code).toBe(0);
    const dir = path.join(cacheHome, 'tandem');
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(files).toHaveLength(1);
    const file = path.join(dir, files[0] as string);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(statSync(file).mode & 0o077).toBe(0);

    writeFileSync(file, 'not a code cache');
    const corrupt = await runCli(['--version'], { cwd: cacheHome, env });
    expect(corrupt.code).toBe(0);
    expect(corrupt.stdout.trim()).toBe(first.stdout.trim());
    expect(statSync(file).size).toBeGreaterThan(1000); // rejected by V8, then written again

    const off = await runCli(['--version'], {
      cwd: cacheHome,
      env: { ...env, TANDEM_NO_COMPILE_CACHE: '1' },
    });
    expect(off.code).toBe(0);
  });
});
