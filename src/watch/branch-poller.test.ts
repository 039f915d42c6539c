import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { makeProject, removeProject } from '../../test/helpers/cli.js';
import { BranchPoller, gitHeadReader } from './branch-poller.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) removeProject(dir);
  dir = undefined;
});

const commit = (cwd: string, file: string) => {
  execFileSync(
    'sh',
    ['-c', `echo x >> ${file} && git add -A && git -c user.email=t@t -c user.name=t commit -qm ${file}`],
    { cwd },
  );
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
};

describe('branch poller (real git)', () => {
  it('reports each new head of a tracked branch once, not the heads it found at start', async () => {
    dir = makeProject({ 'a.txt': 'a\n' }, { git: true });
    const pushes: string[] = [];
    const poller = new BranchPoller({
      branches: ['main', 'release'],
      read: gitHeadReader(dir, process.env),
      onPush: (h) => pushes.push(`${h.branch}@${h.commit.slice(0, 7)}`),
    });
    expect(await poller.poll()).toEqual([]);
    const c1 = commit(dir, 'b.txt');
    expect(await poller.poll()).toEqual([{ branch: 'main', commit: c1 }]);
    expect(await poller.poll()).toEqual([]);
    execFileSync('git', ['branch', 'release'], { cwd: dir });
    expect(await poller.poll()).toEqual([{ branch: 'release', commit: c1 }]);
    execFileSync('git', ['checkout', '-q', '-b', 'topic'], { cwd: dir });
    commit(dir, 'c.txt');
    expect(await poller.poll()).toEqual([]);
    expect(pushes).toEqual([`main@${c1.slice(0, 7)}`, `release@${c1.slice(0, 7)}`]);
  });

  it('a push reported by a webhook first is not reported again by polling', async () => {
    dir = makeProject({ 'a.txt': 'a\n' }, { git: true });
    const poller = new BranchPoller({
      branches: ['main'],
      read: gitHeadReader(dir, process.env),
      onPush: () => {},
    });
    await poller.poll();
    const c1 = commit(dir, 'b.txt');
    expect(poller.seen({ branch: 'main', commit: c1 })).toBe(true);
    expect(poller.seen({ branch: 'main', commit: c1 })).toBe(false);
    expect(await poller.poll()).toEqual([]);
  });
});
