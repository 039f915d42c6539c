import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitInfo } from './git-info.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'tandem-git-info-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

function repo(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 't@example.com');
  git(dir, 'config', 'user.name', 'T');
  return dir;
}

function commit(dir: string, file = 'a.txt'): string {
  writeFileSync(path.join(dir, file), String(Math.random()));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'c');
  return git(dir, 'rev-parse', 'HEAD');
}

describe('gitInfo (read from .git, checked against real git)', () => {
  it('outside a repository: nulls', async () => {
    const dir = path.join(root, 'plain');
    mkdirSync(dir);
    expect(await gitInfo(dir, {})).toEqual({ branch: null, commit: null });
  });

  it('a new repository has a branch but no commit', async () => {
    expect(await gitInfo(repo('empty'), {})).toEqual({ branch: 'main', commit: null });
  });

  it('loose refs, a nested directory, packed refs, a detached HEAD and TANDEM_BRANCH', async () => {
    const dir = repo('full');
    const first = commit(dir);
    mkdirSync(path.join(dir, 'sub/deeper'), { recursive: true });
    expect(await gitInfo(path.join(dir, 'sub/deeper'), {})).toEqual({ branch: 'main', commit: first });

    git(dir, 'checkout', '-q', '-b', 'feature/x');
    const second = commit(dir);
    git(dir, 'pack-refs', '--all');
    expect(await gitInfo(dir, {})).toEqual({ branch: 'feature/x', commit: second });

    git(dir, 'checkout', '-q', '--detach', first);
    expect(await gitInfo(dir, {})).toEqual({ branch: null, commit: first });
    expect(await gitInfo(dir, { TANDEM_BRANCH: 'release' })).toEqual({ branch: 'release', commit: first });
  });

  it('a linked worktree', async () => {
    const dir = repo('main-tree');
    commit(dir);
    const tree = path.join(root, 'linked');
    git(dir, 'worktree', 'add', '-q', '-b', 'side', tree);
    const head = commit(tree, 'b.txt');
    expect(await gitInfo(tree, {})).toEqual({ branch: 'side', commit: head });
  });
});
