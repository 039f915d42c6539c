import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executorContract } from '../contract.js';
import { createLocalExecutor, SPAWN_FAILURE_EXIT_CODE } from './local-executor.js';
import { isGroupAlive, isProcessAlive } from './process-group.js';

executorContract('local', () => createLocalExecutor());

describe('local executor', () => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  it('reports a missing working directory as a 127 outcome with the reason in the log', async () => {
    let output = '';
    const outcome = await createLocalExecutor().run(
      { name: 'x', script: 'true', cwd: '/nonexistent/tandem-cwd', env, timeoutMs: 5_000, killGraceMs: 100 },
      { write: (text) => (output += text) },
      new AbortController().signal,
    );
    expect(outcome.exitCode).toBe(SPAWN_FAILURE_EXIT_CODE);
    expect(output).toContain('/nonexistent/tandem-cwd');
  });

  it('runs the job as its own process group and leaves none of it alive after abort', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'tandem-local-')));
    try {
      const controller = new AbortController();
      let output = '';
      const outcome = await createLocalExecutor().run(
        {
          name: 'x',
          script: '(trap \'\' TERM; sleep 30) &\necho "pids $$ $!"\nsleep 30',
          cwd: dir,
          env,
          timeoutMs: 20_000,
          killGraceMs: 200,
        },
        {
          write: (text) => {
            output += text;
            if (output.includes('\n')) controller.abort();
          },
        },
        controller.signal,
      );
      expect(outcome.cancelled).toBe(true);
      const [, shell, child] = /pids (\d+) (\d+)/.exec(output) ?? [];
      expect(process.pid).not.toBe(Number(shell));
      expect(isGroupAlive(Number(shell))).toBe(false);
      expect(isProcessAlive(Number(child))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
