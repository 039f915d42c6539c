import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isGroupAlive, isProcessAlive, terminateGroup } from './process-group.js';

function startGroup(script: string, withStdout = false) {
  const child = spawn('/bin/sh', ['-c', script], {
    detached: true,
    stdio: ['ignore', withStdout ? 'pipe' : 'ignore', 'ignore'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('spawn failed');
  return { child, pid };
}

describe('process group', () => {
  it('sees a running group as alive and a finished one as gone', async () => {
    const { child, pid } = startGroup('sleep 30');
    try {
      expect(isGroupAlive(pid)).toBe(true);
      expect(isProcessAlive(pid)).toBe(true);
    } finally {
      await terminateGroup(pid, 1_000);
    }
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    expect(isGroupAlive(pid)).toBe(false);
  });

  it('kills a group that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const { child, pid } = startGroup("trap '' TERM; sleep 30 & echo ready; sleep 30", true);
    const exited = once(child, 'exit');
    await once(child.stdout as NodeJS.ReadableStream, 'data'); // the trap is in place
    const started = Date.now();
    await terminateGroup(pid, 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(isGroupAlive(pid)).toBe(false);
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
  });

  it('does nothing for a group that does not exist', async () => {
    const { child, pid } = startGroup('exit 0');
    await once(child, 'exit');
    await terminateGroup(pid, 100);
    expect(isGroupAlive(pid)).toBe(false);
  });
});
