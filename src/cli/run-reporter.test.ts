import { describe, expect, it } from 'vitest';
import type { PlannedJob } from '../pipeline/types.js';
import { colors } from './output.js';
import { RunReporter } from './run-reporter.js';

const job = (name: string, outputs: string[] = []) => ({ name, outputs }) as unknown as PlannedJob;

function reporter(color: boolean, jobs = [job('build'), job('test (node=20)')]) {
  const out: string[] = [];
  return { out, r: new RunReporter(jobs, (t) => out.push(t), colors(color)) };
}

describe('RunReporter', () => {
  it('prefixes every line with its job, holding a partial line until it ends', () => {
    const { out, r } = reporter(false);
    const [build, test] = [job('build'), job('test (node=20)')];
    r.jobOutput(build, 'one\ntw', false);
    r.jobOutput(test, 'x\n', false);
    r.jobOutput(build, 'o\n', false);
    expect(out.join('')).toBe('build          │ one\ntest (node=20) │ x\nbuild          │ two\n');
  });

  it('says why a job was skipped or failed, and marks a replay as cached', () => {
    const { out, r } = reporter(false);
    r.jobFinished(job('build'), {
      name: 'build',
      status: 'failed',
      durationMs: 1200,
      attempts: 2,
      cacheKey: 'abc',
      reason: 'exit code 3',
    });
    r.jobFinished(job('test (node=20)'), {
      name: 'test (node=20)',
      status: 'skipped',
      durationMs: 0,
      attempts: 0,
      cacheKey: '',
      reason: 'needed job "build" failed',
    });
    r.jobFinished(job('build', ['dist/**']), {
      name: 'build',
      status: 'cached',
      durationMs: 3,
      attempts: 0,
      cacheKey: 'abcdef0123456789',
    });
    const text = out.join('');
    expect(text).toContain('✗ failed: exit code 3 in 1.20s');
    expect(text).toContain('○ skipped: needed job "build" failed');
    expect(text).toContain('✓ cached (log replayed, outputs restored) [abcdef012345]');
  });

  it('colours only when asked, and dims a replayed log', () => {
    const plain = reporter(false);
    plain.r.jobOutput(job('build'), 'hi\n', true);
    expect(plain.out.join('')).not.toContain('\u001b[');

    const tty = reporter(true);
    tty.r.jobOutput(job('build'), 'hi', true);
    expect(tty.out.join('')).toContain('\u001b[2mhi\u001b[0m');
  });
});
