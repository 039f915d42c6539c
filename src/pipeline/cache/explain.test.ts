import { describe, expect, it } from 'vitest';
import type { PlannedJob } from '../types.js';
import { explainMiss } from './explain.js';
import { computeCacheKey } from './key.js';

const job: PlannedJob = {
  name: 'test',
  baseName: 'test',
  matrix: {},
  run: 'npm test',
  needs: ['build'],
  if: undefined,
  env: {},
  workingDirectory: '.',
  cwd: '/repo',
  timeoutMs: 60_000,
  retries: 0,
  inputs: undefined,
  outputs: [],
  cache: true,
};
const files = new Map([
  ['src/a.ts', 'a'.repeat(64)],
  ['src/b.ts', 'b'.repeat(64)],
]);
const base = { job, neededKeys: { build: '1'.repeat(64) }, files, envForKey: { FOO: 'x' } };
const manifest = (over: Partial<typeof base> = {}) => computeCacheKey({ ...base, ...over }).manifest;

describe('explainMiss', () => {
  it('says when there is no earlier entry', () => {
    expect(explainMiss(undefined, manifest())).toEqual(['no earlier cache entry for this job']);
  });

  it('names changed, added and removed inputs', () => {
    const current = manifest({
      files: new Map([
        ['src/a.ts', 'c'.repeat(64)],
        ['x.ts', 'd'.repeat(64)],
      ]),
    });
    expect(explainMiss(manifest(), current)).toEqual([
      'input changed: src/a.ts',
      'input added: x.ts',
      'input removed: src/b.ts',
    ]);
  });

  it('names the command, env and needed job changes', () => {
    const current = manifest({
      job: { ...job, run: 'npm run test' },
      envForKey: { FOO: 'y' },
      neededKeys: { build: '2'.repeat(64) },
    });
    expect(explainMiss(manifest(), current)).toEqual([
      'command changed',
      'env changed: FOO',
      'needed job "build" changed',
    ]);
  });

  it('limits long lists', () => {
    const many = new Map(
      Array.from({ length: 22 }, (_, i) => [`f${String(i).padStart(2, '0')}`, 'e'.repeat(64)]),
    );
    const reasons = explainMiss(manifest({ files: new Map() }), manifest({ files: many }));
    expect(reasons).toHaveLength(11);
    expect(reasons[0]).toBe('input added: f00');
    expect(reasons[10]).toBe('…and 12 more');
  });

  it('explains an evicted entry', () => {
    expect(explainMiss(manifest(), manifest())[0]).toContain('no longer in the cache');
  });
});
