import { existsSync } from 'node:fs';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlannedJob } from '../types.js';
import { computeCacheKey } from './key.js';
import { CacheStore } from './store.js';
import type { CacheEntry } from './types.js';

let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'tandem-store-')));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const job: PlannedJob = {
  name: 'build',
  baseName: 'build',
  matrix: {},
  run: 'make',
  needs: [],
  if: undefined,
  env: {},
  workingDirectory: '.',
  cwd: '/repo',
  timeoutMs: 1000,
  retries: 0,
  inputs: undefined,
  outputs: ['dist/**'],
  cache: true,
};

function manifestFor(seed: string) {
  return computeCacheKey({
    job,
    neededKeys: {},
    files: new Map([['src/a', seed.padEnd(64, '0')]]),
    envForKey: {},
  });
}

async function write(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
  await chmod(join(root, path), mode);
}

const entryDir = (key: string) => join(root, '.tandem/cache/entries', key);

async function storeOne(store: CacheStore, seed: string, outputs: Record<string, string> = {}) {
  const { key, manifest } = manifestFor(seed);
  for (const [path, content] of Object.entries(outputs)) await write(path, content);
  await store.put(key, {
    jobName: 'build',
    manifest,
    log: `log of ${seed}\n`,
    outputs: Object.keys(outputs),
  });
  return key;
}

describe('CacheStore', () => {
  it('round-trips log, outputs, file modes and symlinks', async () => {
    const store = new CacheStore(root);
    const { key, manifest } = manifestFor('a');
    await write('dist/app.js', 'console.log(1)\n', 0o644);
    await write('dist/bin/run.sh', '#!/bin/sh\necho hi ✓\n', 0o755);
    await symlink('bin/run.sh', join(root, 'dist/run'));
    const outputs = ['dist/app.js', 'dist/bin/run.sh', 'dist/run', 'dist/missing.js'];
    await store.put(key, { jobName: 'build', manifest, log: 'built ✓\n', outputs, cwdRoot: root });

    await rm(join(root, 'dist'), { recursive: true });
    const entry = await store.get(key);
    expect(entry).toMatchObject({ key, jobName: 'build', log: 'built ✓\n', manifest });
    expect(entry?.outputs.map((o) => o.path)).toEqual(['dist/app.js', 'dist/bin/run.sh', 'dist/run']);
    await store.restore(entry as CacheEntry);

    expect(await readFile(join(root, 'dist/app.js'), 'utf8')).toBe('console.log(1)\n');
    expect(await readFile(join(root, 'dist/bin/run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi ✓\n');
    expect((await stat(join(root, 'dist/bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(root, 'dist/app.js'))).mode & 0o777).toBe(0o644);
    expect(await readlink(join(root, 'dist/run'))).toBe('bin/run.sh');
    expect(await store.lastManifest('build')).toEqual(manifest);
    expect(await readdir(join(root, 'dist'))).toEqual(['app.js', 'bin', 'run']); // no temp files left
  });

  it('misses an unknown or malformed key without creating anything', async () => {
    const store = new CacheStore(root);
    expect(await store.get('f'.repeat(64))).toBeUndefined();
    expect(await store.get('../../etc')).toBeUndefined();
    expect(existsSync(join(root, '.tandem'))).toBe(false);
  });

  it('keeps the first entry when the same key is stored twice, and leaves nothing in tmp', async () => {
    const store = new CacheStore(root);
    const { key, manifest } = manifestFor('a');
    await write('dist/a.js', 'a');
    await Promise.all([
      store.put(key, { jobName: 'build', manifest, log: 'one', outputs: ['dist/a.js'] }),
      store.put(key, { jobName: 'build', manifest, log: 'two', outputs: ['dist/a.js'] }),
    ]);
    expect(['one', 'two']).toContain((await store.get(key))?.log);
    expect(await readdir(join(root, '.tandem/cache/tmp'))).toEqual([]);
  });

  it('never shows a partly written entry', async () => {
    const store = new CacheStore(root);
    const outputs: Record<string, string> = {};
    for (let i = 0; i < 200; i++) outputs[`dist/f${i}.txt`] = `content ${i}\n`.repeat(200);
    let done = false;
    let sawBuilding = false;
    const seen: string[][] = [];
    const watcher = (async () => {
      while (!done) {
        const building = await readdir(join(root, '.tandem/cache/tmp')).catch(() => []);
        if (building.length > 0) sawBuilding = true;
        const names = await readdir(join(root, '.tandem/cache/entries')).catch(() => []);
        for (const name of names) seen.push(await readdir(entryDir(name)));
        await sleep(1);
      }
    })();
    const key = await storeOne(store, 'a', outputs);
    done = true;
    await watcher;
    expect(sawBuilding).toBe(true);
    for (const listing of seen)
      expect(listing.sort()).toEqual(['log.txt', 'meta.json', 'outputs', 'usage.json']);
    expect((await store.get(key))?.outputs).toHaveLength(200);
  });

  describe('a corrupt entry is a miss and is removed', () => {
    const corruptions: Array<[string, (dir: string) => Promise<void>]> = [
      ['unparseable meta', (dir) => writeFile(join(dir, 'meta.json'), '{"format": 1, ')],
      ['missing meta', (dir) => unlink(join(dir, 'meta.json'))],
      ['meta of another shape', (dir) => writeFile(join(dir, 'meta.json'), '{"format": 1}')],
      ['missing log', (dir) => unlink(join(dir, 'log.txt'))],
      ['changed log', (dir) => writeFile(join(dir, 'log.txt'), 'log of b\n')],
      ['truncated output', (dir) => writeFile(join(dir, 'outputs/dist/a.js'), 'a')],
      ['same-size changed output', (dir) => writeFile(join(dir, 'outputs/dist/a.js'), 'AAAA')],
      ['missing output', (dir) => unlink(join(dir, 'outputs/dist/a.js'))],
      [
        'output replaced by a symlink',
        async (dir) => {
          await unlink(join(dir, 'outputs/dist/a.js'));
          await symlink('/etc/hostname', join(dir, 'outputs/dist/a.js'));
        },
      ],
    ];
    for (const [name, corrupt] of corruptions) {
      it(name, async () => {
        const store = new CacheStore(root);
        const key = await storeOne(store, 'a', { 'dist/a.js': 'aaaa' });
        await corrupt(entryDir(key));
        expect(await store.get(key)).toBeUndefined();
        expect(existsSync(entryDir(key))).toBe(false);
      });
    }
  });

  describe('a tampered path is a miss and nothing is written outside the root', () => {
    const tamperings: Array<[string, string]> = [
      ['parent traversal', '../escaped.txt'],
      ['deep traversal', 'dist/../../escaped.txt'],
      ['absolute path', `${tmpdir()}/tandem-escaped.txt`],
    ];
    for (const [name, evil] of tamperings) {
      it(name, async () => {
        const store = new CacheStore(root);
        const key = await storeOne(store, 'a', { 'dist/a.js': 'aaaa' });
        const metaPath = join(entryDir(key), 'meta.json');
        const meta = JSON.parse(await readFile(metaPath, 'utf8'));
        meta.outputs[0].path = evil;
        await writeFile(metaPath, JSON.stringify(meta));
        expect(await store.get(key)).toBeUndefined();
        expect(existsSync(entryDir(key))).toBe(false);
      });
    }

    it('a symlink pointing outside the root', async () => {
      const store = new CacheStore(root);
      const key = await storeOne(store, 'a', { 'dist/a.js': 'aaaa' });
      const metaPath = join(entryDir(key), 'meta.json');
      const meta = JSON.parse(await readFile(metaPath, 'utf8'));
      meta.outputs.push({ type: 'symlink', path: 'dist/evil', target: '../../etc' });
      await writeFile(metaPath, JSON.stringify(meta));
      expect(await store.get(key)).toBeUndefined();
    });

    it('restore refuses an entry with an unsafe path', async () => {
      const store = new CacheStore(root);
      const key = await storeOne(store, 'a', { 'dist/a.js': 'aaaa' });
      const entry = (await store.get(key)) as CacheEntry;
      const evil: CacheEntry = {
        ...entry,
        outputs: [{ type: 'file', path: '../escaped.txt', mode: 0o644, size: 4, sha256: 'a'.repeat(64) }],
      };
      await expect(store.restore(evil)).rejects.toMatchObject({ code: 'TANDEM_CACHE_UNSAFE_PATH' });
      expect(existsSync(join(dirname(root), 'escaped.txt'))).toBe(false);
    });

    it('restore refuses to write through a symlinked directory that leaves the root', async () => {
      const store = new CacheStore(root);
      const key = await storeOne(store, 'a', { 'dist/a.js': 'aaaa' });
      const entry = (await store.get(key)) as CacheEntry;
      const outside = await mkdtemp(join(tmpdir(), 'tandem-outside-'));
      try {
        await rm(join(root, 'dist'), { recursive: true });
        await symlink(outside, join(root, 'dist'));
        await expect(store.restore(entry)).rejects.toMatchObject({ code: 'TANDEM_CACHE_UNSAFE_PATH' });
        expect(await readdir(outside)).toEqual([]);
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });
  });

  it('does not cache outputs outside the root or the job directory', async () => {
    const store = new CacheStore(root);
    const { key, manifest } = manifestFor('a');
    await write('pkg/dist/a.js', 'a');
    await write('other/b.js', 'b');
    await store.put(key, {
      jobName: 'build',
      manifest,
      log: '',
      outputs: ['pkg/dist/a.js', 'other/b.js', '../x', '/etc/hostname'],
      cwdRoot: join(root, 'pkg'),
    });
    expect((await store.get(key))?.outputs.map((o) => o.path)).toEqual(['pkg/dist/a.js']);
  });

  it('evicts the least recently used entries beyond maxBytes', async () => {
    // Each entry: a 9-byte log + a 100-byte output = 109 bytes.
    const store = new CacheStore(root, { maxBytes: 350 });
    const body = 'x'.repeat(100);
    const a = await storeOne(store, 'a', { 'dist/a.txt': body });
    await sleep(20);
    const b = await storeOne(store, 'b', { 'dist/b.txt': body });
    await sleep(20);
    const c = await storeOne(store, 'c', { 'dist/c.txt': body });
    await sleep(20);
    expect(await store.get(a)).toBeDefined(); // a is now the most recently used
    await sleep(20);
    const d = await storeOne(store, 'd', { 'dist/d.txt': body });
    expect(existsSync(entryDir(b))).toBe(false);
    for (const kept of [a, c, d]) expect(existsSync(entryDir(kept))).toBe(true);
    await sleep(20);
    const e = await storeOne(store, 'e', { 'dist/e.txt': body });
    expect(existsSync(entryDir(c))).toBe(false);
    for (const kept of [a, d, e]) expect(existsSync(entryDir(kept))).toBe(true);
  });

  it('remembers the last manifest per job', async () => {
    const store = new CacheStore(root);
    expect(await store.lastManifest('build')).toBeUndefined();
    const { manifest } = manifestFor('z');
    await store.recordManifest('test (node=20)', manifest);
    expect(await store.lastManifest('test (node=20)')).toEqual(manifest);
    expect(await store.lastManifest('test (node=22)')).toBeUndefined();
  });
});
