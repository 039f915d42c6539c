import { describe, expect, it } from 'vitest';
import type { ExecOutcome, ExecSpec, Executor, OutputSink } from '../executors/types.js';
import type { JobResult, PlannedJob, RunRecorder } from '../types.js';
import type { JobCache } from './ports.js';
import { type SchedulerOptions, schedule } from './scheduler.js';

function job(name: string, extra: Partial<PlannedJob> = {}): PlannedJob {
  return {
    name,
    baseName: name,
    matrix: {},
    run: name,
    needs: [],
    if: undefined,
    env: {},
    workingDirectory: '.',
    cwd: '/fake',
    timeoutMs: 60_000,
    retries: 0,
    inputs: undefined,
    outputs: [],
    cache: true,
    ...extra,
  };
}

/** A fake executor: each script name maps to a list of exit codes, one per attempt. */
class FakeExecutor implements Executor {
  readonly id = 'fake';
  readonly started: string[] = [];
  running = 0;
  maxRunning = 0;
  constructor(
    private readonly exits: Record<string, Array<number | 'timeout'>>,
    private readonly output: Record<string, string[]> = {},
  ) {}
  async run(spec: ExecSpec, sink: OutputSink, signal: AbortSignal): Promise<ExecOutcome> {
    this.started.push(spec.name);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    for (const chunk of this.output[spec.name] ?? []) sink.write(chunk, 'stdout');
    await new Promise((r) => setTimeout(r, 5));
    this.running--;
    if (signal.aborted)
      return { exitCode: null, signal: 'SIGTERM', timedOut: false, cancelled: true, durationMs: 5 };
    const queue = this.exits[spec.name] ?? [];
    const next = queue.length > 1 ? queue.shift() : queue[0];
    if (next === 'timeout')
      return { exitCode: null, signal: 'SIGKILL', timedOut: true, cancelled: false, durationMs: 5 };
    return { exitCode: next ?? 0, signal: null, timedOut: false, cancelled: false, durationMs: 5 };
  }
}

/** A fake cache: a map of key → log; the key is the job name plus its needed keys. */
class FakeCache implements JobCache {
  readonly entries = new Map<string, string>();
  async lookup(j: PlannedJob, needed: Record<string, string>, opts: { read: boolean; explain: boolean }) {
    const key = `${j.name}<${Object.values(needed).join(',')}>`;
    const log = opts.read ? this.entries.get(key) : undefined;
    return {
      key,
      hit: log === undefined ? undefined : { log, restore: async () => {} },
      missReasons: opts.explain && log === undefined ? ['no earlier cache entry for this job'] : undefined,
    };
  }
  async save(_job: PlannedJob, key: string, log: string) {
    this.entries.set(key, log);
  }
}

function fakeRecorder(events: string[]): RunRecorder {
  return {
    runStarted: async () => {},
    attemptStarted: async (_r, j, a) => void events.push(`start ${j}#${a}`),
    attemptFinished: async (_r, j, a, o) => void events.push(`end ${j}#${a} ${o.status}`),
    jobFinished: async (_r, result) => void events.push(`job ${result.name} ${result.status}`),
    runFinished: async () => {},
  };
}

function options(
  jobs: PlannedJob[],
  executor: Executor,
  extra: Partial<SchedulerOptions> = {},
): SchedulerOptions {
  let clock = 0;
  return {
    runId: 'r-test',
    plan: { root: '/fake', jobs },
    executor,
    cache: new FakeCache(),
    recorder: fakeRecorder([]),
    observer: {},
    openLog: () => ({ append: () => {}, close: async () => null }),
    createMasker: () => ({ write: (c) => c.replaceAll('hunter2', '***'), flush: () => '' }),
    baseEnv: {},
    conditionEnv: {},
    branch: 'main',
    concurrency: 4,
    readCache: true,
    explain: false,
    killGraceMs: 10,
    signal: new AbortController().signal,
    now: () => (clock += 1),
    ...extra,
  };
}

const statuses = (results: JobResult[]) => Object.fromEntries(results.map((r) => [r.name, r.status]));

describe('schedule (fake executor, fake cache, fake clock)', () => {
  it('runs a DAG in dependency order and passes', async () => {
    const exec = new FakeExecutor({});
    const jobs = [
      job('a'),
      job('b', { needs: ['a'] }),
      job('c', { needs: ['a'] }),
      job('d', { needs: ['b', 'c'] }),
    ];
    const out = await schedule(options(jobs, exec));
    expect(out.status).toBe('passed');
    expect(exec.started[0]).toBe('a');
    expect(exec.started[3]).toBe('d');
  });

  it('skips the dependents of a failed job, with the reason, and lets unrelated branches go on', async () => {
    const exec = new FakeExecutor({ a: [1] });
    const jobs = [job('a'), job('b', { needs: ['a'] }), job('c', { needs: ['b'] }), job('x')];
    const out = await schedule(options(jobs, exec));
    expect(out.status).toBe('failed');
    expect(statuses(out.results)).toEqual({ a: 'failed', b: 'skipped', c: 'skipped', x: 'passed' });
    expect(out.results.find((r) => r.name === 'b')?.reason).toBe('needed job "a" failed');
    expect(out.results.find((r) => r.name === 'c')?.reason).toBe('needed job "b" was skipped');
    expect(out.results.find((r) => r.name === 'a')?.reason).toBe('exit code 1');
  });

  it('runs an always() job after a failure, and a failure() job only then', async () => {
    const exec = new FakeExecutor({ a: [1] });
    const jobs = [
      job('a'),
      job('cleanup', { needs: ['a'], if: 'always()' }),
      job('notify', { needs: ['a'], if: 'failure()' }),
      job('deploy', { needs: ['a'], if: "branch == 'main'" }),
    ];
    const out = await schedule(options(jobs, exec));
    expect(statuses(out.results)).toEqual({
      a: 'failed',
      cleanup: 'passed',
      notify: 'passed',
      deploy: 'skipped',
    });
  });

  it('retries a failing job and records every attempt', async () => {
    const events: string[] = [];
    const exec = new FakeExecutor({ flaky: [1, 1, 0] });
    const out = await schedule(
      options([job('flaky', { retries: 2 })], exec, { recorder: fakeRecorder(events) }),
    );
    expect(out.results[0]).toMatchObject({ status: 'passed', attempts: 3 });
    expect(events).toEqual([
      'start flaky#1',
      'end flaky#1 failed',
      'start flaky#2',
      'end flaky#2 failed',
      'start flaky#3',
      'end flaky#3 passed',
      'job flaky passed',
    ]);
  });

  it('reports a timeout as the failure reason after the last attempt', async () => {
    const exec = new FakeExecutor({ slow: ['timeout'] });
    const out = await schedule(options([job('slow', { timeoutMs: 2000, retries: 1 })], exec));
    expect(out.results[0]).toMatchObject({
      status: 'failed',
      attempts: 2,
      reason: 'timed out after 2.00s (after 2 attempts)',
    });
  });

  it('serves a second run from the cache and never caches a failure or a cache: false job', async () => {
    const cache = new FakeCache();
    const jobs = [job('a'), job('b', { needs: ['a'] }), job('live', { cache: false })];
    await schedule(options(jobs, new FakeExecutor({}), { cache }));
    const exec = new FakeExecutor({});
    const second = await schedule(options(jobs, exec, { cache }));
    expect(statuses(second.results)).toEqual({ a: 'cached', b: 'cached', live: 'passed' });
    expect(exec.started).toEqual(['live']);

    const failing = new FakeCache();
    await schedule(options([job('f')], new FakeExecutor({ f: [2] }), { cache: failing }));
    expect(failing.entries.size).toBe(0);
  });

  it('--no-cache runs everything but still stores results', async () => {
    const cache = new FakeCache();
    await schedule(options([job('a')], new FakeExecutor({}), { cache }));
    const exec = new FakeExecutor({});
    const out = await schedule(options([job('a')], exec, { cache, readCache: false }));
    expect(out.results[0]?.status).toBe('passed');
    expect(exec.started).toEqual(['a']);
  });

  it('never runs more jobs at once than the concurrency', async () => {
    const exec = new FakeExecutor({});
    const jobs = Array.from({ length: 8 }, (_, i) => job(`j${i}`));
    await schedule(options(jobs, exec, { concurrency: 3 }));
    expect(exec.maxRunning).toBe(3);
  });

  it('masks what the job prints before the log and the cache see it', async () => {
    const cache = new FakeCache();
    const seen: string[] = [];
    const exec = new FakeExecutor({}, { a: ['token=hunter2\n'] });
    await schedule(
      options([job('a')], exec, { cache, observer: { jobOutput: (_j, text) => seen.push(text) } }),
    );
    expect(seen.join('')).toBe('token=***\n');
    expect([...cache.entries.values()][0]).toBe('token=***\n');
  });

  it('cancels: running jobs end cancelled, the rest never start', async () => {
    const controller = new AbortController();
    const exec = new FakeExecutor({});
    const jobs = [job('a'), job('b', { needs: ['a'] })];
    setTimeout(() => controller.abort(), 1);
    const out = await schedule(options(jobs, exec, { signal: controller.signal }));
    expect(out.status).toBe('cancelled');
    expect(statuses(out.results)).toEqual({ a: 'cancelled', b: 'cancelled' });
    expect(exec.started).toEqual(['a']);
  });

  it('explains cache misses when asked', async () => {
    const reasons: string[] = [];
    const exec = new FakeExecutor({});
    await schedule(
      options([job('a')], exec, {
        explain: true,
        observer: { cacheMissExplained: (_j, r) => reasons.push(...r) },
      }),
    );
    expect(reasons).toEqual(['no earlier cache entry for this job']);
  });
});

describe('schedule and the cache (fake cache)', () => {
  it('tells the cache the tree may change around every command, never for a replay', async () => {
    const cache = new FakeCache();
    const calls: string[] = [];
    const tracking: JobCache = {
      lookup: (j, n, o) => cache.lookup(j, n, o),
      save: (j, k, l) => cache.save(j, k, l),
      treeMayChange: () => void calls.push('change'),
    };
    const jobs = [job('a'), job('b', { needs: ['a'] })];
    await schedule(options(jobs, new FakeExecutor({}), { cache: tracking }));
    expect(calls).toEqual(['change', 'change', 'change', 'change']);
    calls.length = 0;
    await schedule(options(jobs, new FakeExecutor({}), { cache: tracking }));
    expect(calls).toEqual([]);
  });
});
