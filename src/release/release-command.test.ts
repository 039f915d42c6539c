import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../test/helpers/cli.js';
import { runReleaseCommand } from './release-command.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-release-cmd-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH, GREETING: 'hello', TOKEN: 's3cr3t-token-value' };
const run = (command: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  runReleaseCommand({
    cwd: dir,
    command,
    env,
    logFile: path.join(dir, 'logs', 'release.log'),
    signal: extra.signal ?? new AbortController().signal,
    timeoutMs: extra.timeoutMs ?? 20_000,
    killGraceMs: 200,
    secretValues: [env.TOKEN],
  });
const log = () => readFileSync(path.join(dir, 'logs', 'release.log'), 'utf8');

describe('runReleaseCommand', () => {
  it('runs the command once in cwd with env, masking secrets, and appends to the log', async () => {
    const first = await run('echo "$GREETING from $(pwd)"; echo "token=$TOKEN"; echo once >> count');
    expect(first).toEqual({
      ok: true,
      exitCode: 0,
      timedOut: false,
      cancelled: false,
      lastLines: [`hello from ${dir}`, 'token=***'],
    });
    await run('echo second');
    expect(readFileSync(path.join(dir, 'count'), 'utf8')).toBe('once\n');
    const text = log();
    expect(text).toContain(`hello from ${dir}\ntoken=***\n# release command exited with code 0\n`);
    expect(text).toContain('second\n');
    expect(text.indexOf('hello')).toBeLessThan(text.indexOf('second'));
    expect(text).not.toContain(env.TOKEN);
  });

  it('fails with the exit code and the last lines of output, stopping at the first failing command', async () => {
    const outcome = await run('echo migrating; echo "table users exists" >&2; false; echo not reached');
    expect(outcome).toMatchObject({ ok: false, exitCode: 1, timedOut: false });
    expect(outcome.lastLines).toEqual(['migrating', 'table users exists']);
    const exit4 = await run('exit 4');
    expect(exit4).toMatchObject({ ok: false, exitCode: 4, lastLines: [] });
    expect(log()).toContain('# release command exited with code 4');
  });

  it('keeps only the last 20 lines', async () => {
    const outcome = await run('for i in $(seq 1 100); do echo "line $i"; done; exit 2');
    expect(outcome.lastLines).toHaveLength(20);
    expect(outcome.lastLines.at(-1)).toBe('line 100');
    expect(outcome.lastLines[0]).toBe('line 81');
  });

  it('kills the whole process group on timeout', async () => {
    const outcome = await run('sleep 60 & echo "child $!"; wait', { timeoutMs: 2000 });
    expect(outcome).toMatchObject({ ok: false, exitCode: null, timedOut: true, cancelled: false });
    const pid = Number(/child (\d+)/.exec(outcome.lastLines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
    expect(log()).toContain('# release command timed out after 2000 ms');
  });

  it('kills the whole process group when aborted', async () => {
    const controller = new AbortController();
    const running = run('sleep 60 & echo "child $!"; wait', { signal: controller.signal });
    // Abort once the command is known to have started its child.
    for (let i = 0; i < 200 && !/child \d+/.test(safeLog()); i++) await new Promise((r) => setTimeout(r, 25));
    controller.abort();
    const outcome = await running;
    expect(outcome).toMatchObject({ ok: false, exitCode: null, cancelled: true, timedOut: false });
    const pid = Number(/child (\d+)/.exec(outcome.lastLines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });
});

function safeLog(): string {
  try {
    return log();
  } catch {
    return '';
  }
}
