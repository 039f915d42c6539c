import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from './hash.js';
import { hashFiles, listInputFiles, listOutputFiles } from './inputs.js';

let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'tandem-inputs-')));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function files(entries: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(entries)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

function git(...args: string[]): void {
  const env = { ...process.env };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[name];
  execFileSync('git', args, { cwd: root, env, stdio: 'ignore' });
}

async function initRepo(): Promise<void> {
  git('init', '-q');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  git('config', 'commit.gpgsign', 'false');
}

describe('listInputFiles with explicit globs', () => {
  beforeEach(async () => {
    await files({
      'src/a.ts': 'a',
      'src/b.ts': 'b',
      'src/.hidden': 'h',
      'src/a.test.ts': 't',
      'README.md': 'r',
      '.git/config': 'not a real repo',
      '.tandem/cache/x': 'x',
      'node_modules/m/index.js': 'm',
      'pkg/src/c.ts': 'c',
    });
  });

  it('lists the matched files, dot files included, relative to the root and sorted', async () => {
    expect(await listInputFiles(root, root, ['src/**', '!src/**/*.test.ts'], [])).toEqual([
      'src/.hidden',
      'src/a.ts',
      'src/b.ts',
    ]);
  });

  it('never lists .git or .tandem, and dedupes overlapping globs', async () => {
    const listed = await listInputFiles(root, root, ['**', 'src/a.ts'], []);
    expect(listed).toContain('node_modules/m/index.js');
    expect(listed.filter((f) => f === 'src/a.ts')).toHaveLength(1);
    expect(listed.some((f) => f.startsWith('.git/') || f.startsWith('.tandem/'))).toBe(false);
  });

  it('resolves globs against the job directory', async () => {
    expect(await listInputFiles(root, join(root, 'pkg'), ['src/*.ts'], [])).toEqual(['pkg/src/c.ts']);
  });

  it('lists nothing for an empty input list', async () => {
    expect(await listInputFiles(root, root, [], [])).toEqual([]);
  });
});

describe('listInputFiles by default', () => {
  it('lists tracked and untracked-not-ignored files, minus outputs, .tandem and deleted files', async () => {
    await initRepo();
    await files({
      '.gitignore': 'ignored.txt\nbuild/\n',
      'src/a.ts': 'a',
      'src/gone.ts': 'g',
      'app/main.ts': 'm',
    });
    git('add', '.');
    git('commit', '-q', '-m', 'init');
    await unlink(join(root, 'src/gone.ts'));
    await files({
      'src/new.ts': 'untracked',
      'ignored.txt': 'i',
      'build/x.js': 'b',
      'out/bundle.js': 'output, not ignored by git',
      '.tandem/cache/file-hashes.json': '{}',
    });
    expect(await listInputFiles(root, root, undefined, ['out'])).toEqual([
      '.gitignore',
      'app/main.ts',
      'src/a.ts',
      'src/new.ts',
    ]);
    expect(await listInputFiles(root, join(root, 'src'), undefined, ['new.ts'])).toEqual(['src/a.ts']);
  });

  it('lists every file except .git, .tandem and node_modules outside a git repository', async () => {
    await files({
      'a.txt': 'a',
      'dist/out.js': 'o',
      'node_modules/m/index.js': 'm',
      '.tandem/x': 'x',
      '.env.example': 'e',
    });
    expect(await listInputFiles(root, root, undefined, ['dist/**'])).toEqual(['.env.example', 'a.txt']);
  });
});

describe('listOutputFiles', () => {
  it('lists output files and keeps symlinks as links', async () => {
    await files({ 'dist/a.js': 'a', 'dist/sub/b.js': 'b', 'other.txt': 'o' });
    await symlink('a.js', join(root, 'dist/link.js'));
    await symlink('sub', join(root, 'dist/sublink'));
    expect(await listOutputFiles(root, root, ['dist/**'])).toEqual([
      'dist/a.js',
      'dist/link.js',
      'dist/sub/b.js',
      'dist/sublink',
    ]);
  });
});

describe('hashFiles', () => {
  const OLD = 1_600_000_000;

  it('hashes contents and reuses the stat cache for unchanged files', async () => {
    await files({ 'a.txt': 'alpha', 'b.txt': 'beta' });
    await utimes(join(root, 'a.txt'), OLD, OLD);
    const first = await hashFiles(root, ['a.txt', 'b.txt', 'missing.txt']);
    expect(first).toEqual(
      new Map([
        ['a.txt', sha256('alpha')],
        ['b.txt', sha256('beta')],
      ]),
    );
    const saved = JSON.parse(await readFile(join(root, '.tandem/cache/file-hashes.json'), 'utf8'));
    expect(Object.keys(saved.files)).toEqual(['a.txt']); // b.txt is too recent to trust its mtime

    // Same size, same mtime, same inode: the cached hash is used, the file is not re-read.
    await writeFile(join(root, 'a.txt'), 'ALPHA');
    await utimes(join(root, 'a.txt'), OLD, OLD);
    expect((await hashFiles(root, ['a.txt'])).get('a.txt')).toBe(sha256('alpha'));

    // A different mtime means the file is read again.
    await utimes(join(root, 'a.txt'), OLD + 10, OLD + 10);
    expect((await hashFiles(root, ['a.txt'])).get('a.txt')).toBe(sha256('ALPHA'));
  });

  it('survives an unreadable stat cache and writes it atomically', async () => {
    await files({ 'a.txt': 'alpha', '.tandem/cache/file-hashes.json': '{not json' });
    await utimes(join(root, 'a.txt'), OLD, OLD);
    expect((await hashFiles(root, ['a.txt'])).get('a.txt')).toBe(sha256('alpha'));
    const saved = JSON.parse(await readFile(join(root, '.tandem/cache/file-hashes.json'), 'utf8'));
    expect(saved.files['a.txt'].hash).toBe(sha256('alpha'));
    expect(existsSync(join(root, '.tandem/cache'))).toBe(true);
    const leftovers = execFileSync('ls', ['-a', join(root, '.tandem/cache')], { encoding: 'utf8' });
    expect(leftovers).not.toContain('.tmp');
  });
});
