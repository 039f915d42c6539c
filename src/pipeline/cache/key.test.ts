import { describe, expect, it } from 'vitest';
import type { PlannedJob } from '../types.js';
import { computeCacheKey, shortKey } from './key.js';

const job: PlannedJob = {
  name: 'test (node=20)',
  baseName: 'test',
  matrix: { node: 20 },
  run: 'npm test',
  needs: ['build'],
  if: undefined,
  env: { CI: 'true' },
  workingDirectory: '.',
  cwd: '/repo',
  timeoutMs: 60_000,
  retries: 0,
  inputs: undefined,
  outputs: ['coverage/**'],
  cache: true,
};

const base = {
  job,
  neededKeys: { build: 'b'.repeat(64) },
  files: new Map([
    ['src/a.ts', 'a'.repeat(64)],
    ['src/b.ts', 'c'.repeat(64)],
  ]),
  envForKey: { CI: 'true', TOKEN: 'hunter2-secret' },
};

describe('computeCacheKey', () => {
  it('is stable for the same inputs, whatever their order', () => {
    const first = computeCacheKey(base);
    const again = computeCacheKey({
      ...base,
      files: new Map([...base.files].reverse()),
      envForKey: { TOKEN: 'hunter2-secret', CI: 'true' },
    });
    expect(again.key).toBe(first.key);
    expect(again.manifest).toEqual(first.manifest);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect(first.manifest.key).toBe(first.key);
    expect(shortKey(first.key)).toBe(first.key.slice(0, 16));
  });

  it('changes when a file, env value, command, matrix, output glob or needed key changes', () => {
    const key = computeCacheKey(base).key;
    const variants = [
      { ...base, files: new Map([...base.files, ['src/a.ts', 'd'.repeat(64)]]) },
      { ...base, files: new Map([...base.files, ['src/c.ts', 'd'.repeat(64)]]) },
      { ...base, envForKey: { ...base.envForKey, CI: 'false' } },
      { ...base, envForKey: { CI: 'true' } },
      { ...base, job: { ...job, run: 'npm test -- --ci' } },
      { ...base, job: { ...job, matrix: { node: 22 } } },
      { ...base, job: { ...job, outputs: ['dist/**'] } },
      { ...base, job: { ...job, inputs: ['src/**'] } },
      { ...base, job: { ...job, if: 'always()' } },
      { ...base, neededKeys: { build: 'e'.repeat(64) } },
    ];
    const keys = variants.map((v) => computeCacheKey(v).key);
    for (const other of keys) expect(other).not.toBe(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('ignores what does not change the result (timeout, retries)', () => {
    const other = { ...job, timeoutMs: 1, retries: 3 };
    expect(computeCacheKey({ ...base, job: other }).key).toBe(computeCacheKey(base).key);
  });

  it('never shares a key between two jobs with the same command', () => {
    const other = { ...job, name: 'renamed' };
    expect(computeCacheKey({ ...base, job: other }).key).not.toBe(computeCacheKey(base).key);
  });

  it('keeps raw env values and the script out of the manifest', () => {
    const text = JSON.stringify(computeCacheKey(base).manifest);
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('npm test');
    expect(Object.keys(computeCacheKey(base).manifest.env)).toEqual(['CI', 'TOKEN']);
  });
});
