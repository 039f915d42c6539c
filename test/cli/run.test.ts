import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collect,
  isAlive,
  makeProject,
  parseRunJson,
  removeProject,
  runCli,
  startCli,
  statusesOf,
} from '../helpers/cli.js';

const dirs: string[] = [];
/** Reads the run's rows straight from the store's SQLite file. */
function recorded(dir: string) {
  const db = new Database(path.join(dir, '.tandem/tandem.db'), { readonly: true });
  try {
    return {
      runs: db.prepare('select status from pipeline_runs').all() as Array<{ status: string }>,
      jobs: db
        .prepare('select name, status, attempts, reason from pipeline_jobs order by position')
        .all() as Array<Record<string, unknown>>,
      attempts: db.prepare('select job, attempt, status from job_attempts order by job, attempt').all(),
      events: (db.prepare('select type from events order by id').all() as Array<{ type: string }>).map(
        (e) => e.type,
      ),
    };
  } finally {
    db.close();
  }
}

function project(files: Record<string, string>, opts: { git?: boolean } = {}): string {
  const dir = makeProject(files, opts);
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeProject(dir);
});

describe('tandem run (real CLI, real processes)', () => {
  it('a failing job fails the run and skips its dependents with the reason; unrelated jobs go on', async () => {
    const dir = project({
      'tandem.yaml': `project: t
pipeline:
  jobs:
    build: { run: "echo building; exit 3" }
    test: { needs: [build], run: echo test }
    deploy: { needs: [test], run: echo deploy }
    lint: { run: echo lint }
`,
    });
    const text = await runCli(['run', '--concurrency', '1'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/build\s+│ ✗ failed: exit code 3/);
    expect(text.stdout).toMatch(/test\s+│ ○ skipped: needed job "build" failed/);
    expect(text.stdout).toMatch(/deploy\s+│ ○ skipped: needed job "test" was skipped/);
    expect(text.stdout).toMatch(/lint\s+│ ✓ passed/);
    expect(text.stdout).not.toContain('\u001b['); // not a TTY: no colour

    const json = parseRunJson(await runCli(['run', '--json', '--no-cache'], { cwd: dir }));
    expect(json.status).toBe('failed');
    expect(statusesOf(json)).toEqual({ build: 'failed', test: 'skipped', deploy: 'skipped', lint: 'passed' });
    for (const job of json.jobs) {
      expect(Object.keys(job).sort()).toEqual(['attempts', 'cacheKey', 'durationMs', 'name', 'status']);
    }
    expect(recorded(dir).jobs.find((j) => j.name === 'test')?.reason).toBe('needed job "build" failed');
  });

  it('kills a job that runs past its timeout, children included', async () => {
    const dir = project({
      'tandem.yaml': `project: t
pipeline:
  jobs:
    slow:
      run: |
        sleep 120 &
        echo $! > child.pid
        sleep 120
      timeout: 1s
`,
    });
    const started = Date.now();
    const result = await runCli(['run', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const json = parseRunJson(result);
    expect(json.jobs[0]).toMatchObject({ name: 'slow', status: 'failed', attempts: 1 });
    expect(result.stderr).toMatch(/timed out after 1\.00s/);
    const pid = Number(readFileSync(path.join(dir, 'child.pid'), 'utf8'));
    expect(isAlive(pid)).toBe(false);
  });

  it('retries a failing job and passes on the second attempt', async () => {
    const dir = project({ 'tandem.yaml': '' });
    const counter = path.join(dir, '..', `${path.basename(dir)}.count`);
    writeFileSync(
      path.join(dir, 'tandem.yaml'),
      `project: t
pipeline:
  jobs:
    flaky:
      run: |
        n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}
        echo "attempt $n"
        [ "$n" -ge 2 ]
      retries: 2
`,
    );
    try {
      const result = await runCli(['run', '--json'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(parseRunJson(result).jobs[0]).toMatchObject({ status: 'passed', attempts: 2 });
      expect(result.stderr).toMatch(/attempt 1 failed \(exit code 1\); retrying/);
      const store = recorded(dir);
      expect(store.runs).toEqual([{ status: 'passed' }]);
      expect(store.attempts).toEqual([
        { job: 'flaky', attempt: 1, status: 'failed' },
        { job: 'flaky', attempt: 2, status: 'passed' },
      ]);
      expect(store.events).toEqual([
        'pipeline.run.started',
        'pipeline.job.attempt.started',
        'pipeline.job.attempt.finished',
        'pipeline.job.attempt.started',
        'pipeline.job.attempt.finished',
        'pipeline.job.finished',
        'pipeline.run.finished',
      ]);
    } finally {
      removeProject(counter);
    }
  });

  it('SIGINT cancels the run, kills every job process group and records the run as cancelled', async () => {
    const dir = project({
      'tandem.yaml': `project: t
pipeline:
  jobs:
    a:
      run: |
        sleep 300 &
        echo $! > a.child
        echo $$ > a.pid
        sleep 300
    b:
      run: |
        echo $$ > b.pid
        sleep 300
    after: { needs: [a], run: echo never }
`,
    });
    const child = startCli(['run', '--json'], { cwd: dir });
    const done = collect(child);
    const pidFiles = ['a.child', 'a.pid', 'b.pid'].map((f) => path.join(dir, f));
    for (let i = 0; i < 200 && !pidFiles.every((f) => existsSync(f) && readFileSync(f, 'utf8').trim()); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(1);
    const json = parseRunJson(result);
    expect(json.status).toBe('cancelled');
    expect(statusesOf(json)).toEqual({ a: 'cancelled', b: 'cancelled', after: 'cancelled' });
    for (const file of pidFiles) {
      expect(isAlive(Number(readFileSync(file, 'utf8')))).toBe(false);
    }
    const store = recorded(dir);
    expect(store.runs).toEqual([{ status: 'cancelled' }]);
    expect(store.jobs.map((j) => j.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('serves a second run from the cache, then misses after an input edit and --explain names the file', async () => {
    const dir = project(
      {
        'tandem.yaml': `project: t
pipeline:
  jobs:
    build:
      run: mkdir -p dist && cat src/*.txt > dist/out.txt && echo built
      inputs: ["src/**"]
      outputs: ["dist/**"]
    test: { needs: [build], run: "grep -q hello dist/out.txt && echo tested" }
`,
        'src/a.txt': 'hello\n',
        'src/b.txt': 'world\n',
      },
      { git: true },
    );
    const first = parseRunJson(await runCli(['run', '--json'], { cwd: dir }));
    expect(statusesOf(first)).toEqual({ build: 'passed', test: 'passed' });

    removeProject(path.join(dir, 'dist'));
    const second = await runCli(['run'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/build\s+│ built/); // the log is replayed
    expect(second.stdout).toMatch(/build\s+│ ✓ cached/);
    expect(readFileSync(path.join(dir, 'dist/out.txt'), 'utf8')).toBe('hello\nworld\n'); // outputs restored

    writeFileSync(path.join(dir, 'src/b.txt'), 'there\n');
    const third = await runCli(['run', '--explain'], { cwd: dir });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/build\s+│ cache miss: input changed: src\/b\.txt/);
    expect(third.stdout).toMatch(/test\s+│ cache miss: needed job "build" changed/);
    expect(third.stdout).toMatch(/build\s+│ ✓ passed/);
  });

  it('treats a corrupt cache entry as a miss, never as a failure', async () => {
    const dir = project({
      'tandem.yaml': `project: t
pipeline:
  jobs:
    build: { run: "mkdir -p out && echo data > out/x && echo ran", outputs: ["out/**"] }
`,
    });
    expect((await runCli(['run'], { cwd: dir })).code).toBe(0);
    const entries = path.join(dir, '.tandem/cache/entries');
    const [entry] = readdirSync(entries);
    expect(entry).toBeDefined();
    writeFileSync(path.join(entries, entry as string, 'meta.json'), '{"truncated');
    const result = await runCli(['run', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(parseRunJson(result).jobs[0]?.status).toBe('passed');
    const again = await runCli(['run', '--json'], { cwd: dir });
    expect(parseRunJson(again).jobs[0]?.status).toBe('cached');
  });

  it('expands a matrix into named copies and runs a selected job with what it needs', async () => {
    const dir = project({
      'tandem.yaml': `project: t
pipeline:
  jobs:
    setup: { run: echo setup }
    test:
      needs: setup
      matrix: { node: [18, 20] }
      run: echo "node \${{ matrix.node }}"
    other: { run: echo other }
`,
    });
    const json = parseRunJson(await runCli(['run', 'test', '--json'], { cwd: dir }));
    expect(json.jobs.map((j) => j.name)).toEqual(['setup', 'test (node=18)', 'test (node=20)']);
    const unknown = await runCli(['run', 'tset'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/test/);
  });

  it('rejects bad usage with exit 2', async () => {
    const dir = project({ 'tandem.yaml': 'project: t\npipeline:\n  jobs:\n    a: { run: "true" }\n' });
    expect((await runCli(['run', '--concurrency', 'zero'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['run', '--bogus'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['frobnicate'], { cwd: dir })).code).toBe(2);
  });
});
