import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecOutcome, ExecSpec, Executor } from './types.js';

/**
 * The conformance suite every Executor must pass, so a pipeline behaves the same whatever
 * runs it. Call it from the executor's own test file:
 * `executorContract('local', () => createLocalExecutor())`.
 *
 * The suite only observes what any executor shares with the test: the output sink, the
 * outcome and files written into the job's working directory (a temp dir).
 */
export function executorContract(name: string, create: () => Executor): void {
  describe(`executor contract: ${name}`, () => {
    let dir: string;
    let executor: Executor;

    beforeEach(async () => {
      dir = await realpath(await mkdtemp(join(tmpdir(), 'tandem-exec-')));
      executor = create();
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const run = (script: string, opts: RunOptions = {}) => runJob(executor, dir, script, opts);

    it('reports the exit code', async () => {
      expect((await run('exit 0')).outcome).toMatchObject({
        exitCode: 0,
        signal: null,
        timedOut: false,
        cancelled: false,
      });
      expect((await run('echo hi; exit 3')).outcome.exitCode).toBe(3);
    });

    it('stops at the first failing command (errexit)', async () => {
      const { outcome, output } = await run('echo one\nfalse\necho two');
      expect(outcome.exitCode).toBe(1);
      expect(output).toBe('one\n');
    });

    it('fails a pipeline when any command in it fails (pipefail)', async () => {
      const { outcome, output } = await run('false | cat\necho after');
      expect(outcome.exitCode).toBe(1);
      expect(output).not.toContain('after');
    });

    it('gives the job exactly the environment it was given', async () => {
      process.env.TANDEM_CONTRACT_PARENT_ONLY = 'must-not-leak';
      try {
        const env = { PATH: testPath(), TANDEM_CONTRACT_VALUE: 'yes ✓ "quoted" $dollar' };
        const { outcome, output } = await run('env', { env });
        expect(outcome.exitCode).toBe(0);
        const names = output
          .split('\n')
          .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1])
          .filter((n): n is string => n !== undefined);
        const shellSet = new Set(['PWD', 'OLDPWD', 'SHLVL', '_']);
        expect(names.filter((n) => !(n in env) && !shellSet.has(n))).toEqual([]);
        expect(output).toContain('TANDEM_CONTRACT_VALUE=yes ✓ "quoted" $dollar\n');
      } finally {
        delete process.env.TANDEM_CONTRACT_PARENT_ONLY;
      }
    });

    it('runs in the given working directory', async () => {
      const { output } = await run('pwd -P; echo content > here.txt');
      expect(output).toBe(`${dir}\n`);
      expect(existsSync(join(dir, 'here.txt'))).toBe(true);
    });

    it('streams output in order, before the job ends', async () => {
      const { outcome, chunks, finishedAt } = await run(
        'echo first\nsleep 0.2\necho second >&2\nsleep 1\necho third',
      );
      expect(outcome.exitCode).toBe(0);
      expect(chunks.map((c) => c.text).join('')).toBe('first\nsecond\nthird\n');
      const first = chunks.find((c) => c.text.includes('first'));
      const second = chunks.find((c) => c.text.includes('second'));
      expect(first?.stream).toBe('stdout');
      expect(second?.stream).toBe('stderr');
      expect(first?.text).not.toContain('third');
      expect(finishedAt - (first?.at ?? finishedAt)).toBeGreaterThan(600);
    });

    it('keeps multibyte characters whole and loses no output', async () => {
      const { output } = await run(
        "printf '\\303'; sleep 0.2; printf '\\251\\n'\nfor i in $(seq 1 20000); do echo \"line $i é\"; done",
      );
      expect(output).not.toContain('\uFFFD');
      const lines = output.split('\n');
      expect(lines[0]).toBe('é');
      expect(lines[1]).toBe('line 1 é');
      expect(lines[20000]).toBe('line 20000 é');
      expect(lines).toHaveLength(20002);
    });

    it('times out a job with SIGTERM, without waiting out the grace period', async () => {
      const { outcome } = await run('echo started; sleep 30', { timeoutMs: 300, killGraceMs: 10_000 });
      expect(outcome.timedOut).toBe(true);
      expect(outcome.cancelled).toBe(false);
      expect(outcome.exitCode).not.toBe(0);
      expect(outcome.durationMs).toBeLessThan(5_000);
    });

    it('kills a job that ignores SIGTERM after the grace period, children included', async () => {
      const started = Date.now();
      const { outcome, output } = await run(
        [
          `(trap '' TERM; sleep ${CHILD_DELAY_S}; echo leaked > child-marker) &`,
          "trap '' TERM",
          'echo started',
          'while :; do sleep 0.05; done',
        ].join('\n'),
        { timeoutMs: 400, killGraceMs: 300 },
      );
      expect(outcome.timedOut).toBe(true);
      expect(outcome.exitCode).toBeNull();
      expect(outcome.durationMs).toBeGreaterThanOrEqual(650);
      expect(outcome.durationMs).toBeLessThan(CHILD_DELAY_S * 1000);
      expect(output).toContain('started');
      await expectNoMarker(dir, 'child-marker', started);
    });

    it('cancels on abort and leaves no process of the job alive', async () => {
      const started = Date.now();
      const controller = new AbortController();
      const { outcome, output } = await run(
        [
          `(sleep ${CHILD_DELAY_S}; echo leaked > bg-marker) &`,
          `(trap '' TERM; sleep ${CHILD_DELAY_S}; echo leaked > stubborn-marker) &`,
          'echo ready',
          'sleep 30',
        ].join('\n'),
        {
          signal: controller.signal,
          killGraceMs: 300,
          onChunk: (text) => {
            if (text.includes('ready')) controller.abort();
          },
        },
      );
      expect(output).toContain('ready');
      expect(outcome.cancelled).toBe(true);
      expect(outcome.timedOut).toBe(false);
      expect(outcome.exitCode).not.toBe(0);
      expect(outcome.durationMs).toBeLessThan(CHILD_DELAY_S * 1000);
      await expectNoMarker(dir, 'bg-marker', started);
      expect(existsSync(join(dir, 'stubborn-marker'))).toBe(false);
    });

    it('does not start a job whose signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const { outcome } = await run('echo ran > marker', { signal: controller.signal });
      expect(outcome.cancelled).toBe(true);
      expect(outcome.exitCode).not.toBe(0);
      await sleep(200);
      expect(existsSync(join(dir, 'marker'))).toBe(false);
    });

    it('kills background children when the job ends', async () => {
      const started = Date.now();
      const { outcome } = await run(
        `(sleep ${CHILD_DELAY_S}; echo leaked > bg-marker) &\necho done\nexit 4`,
        {
          killGraceMs: 300,
        },
      );
      expect(outcome.exitCode).toBe(4);
      expect(outcome.durationMs).toBeLessThan(CHILD_DELAY_S * 1000);
      await expectNoMarker(dir, 'bg-marker', started);
    });

    it('does not hang on a leftover child that ignores SIGTERM and holds the output open', async () => {
      const { outcome, output } = await run("(trap '' TERM; sleep 30) &\necho done", { killGraceMs: 200 });
      expect(outcome.exitCode).toBe(0);
      expect(output).toBe('done\n');
      expect(outcome.durationMs).toBeLessThan(5_000);
    });
  });
}

/** How long the test's background children wait before writing a marker file. */
const CHILD_DELAY_S = 2;

interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  onChunk?: (text: string) => void;
}

interface Chunk {
  text: string;
  stream: 'stdout' | 'stderr';
  at: number;
}

async function runJob(executor: Executor, cwd: string, script: string, opts: RunOptions) {
  const spec: ExecSpec = {
    name: 'contract',
    script,
    cwd,
    env: opts.env ?? { PATH: testPath() },
    timeoutMs: opts.timeoutMs ?? 20_000,
    killGraceMs: opts.killGraceMs ?? 1_000,
  };
  const chunks: Chunk[] = [];
  const outcome: ExecOutcome = await executor.run(
    spec,
    {
      write(text, stream) {
        chunks.push({ text, stream, at: performance.now() });
        opts.onChunk?.(text);
      },
    },
    opts.signal ?? new AbortController().signal,
  );
  const finishedAt = performance.now();
  return { outcome, chunks, finishedAt, output: chunks.map((c) => c.text).join('') };
}

function testPath(): string {
  return process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
}

/** Waits until a child started at `startedMs` would have written its marker, then checks it did not. */
async function expectNoMarker(dir: string, marker: string, startedMs: number): Promise<void> {
  const wait = startedMs + CHILD_DELAY_S * 1000 + 500 - Date.now();
  if (wait > 0) await sleep(wait);
  expect(existsSync(join(dir, marker))).toBe(false);
}
