import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFileName } from '../pipeline/run/job-log-file.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { jobLogFile, readJobLog, runJobState } from './job-log.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tandem-joblog-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function writeLog(job: string, content: string | Buffer, runId = 'run-1'): string {
  const dir = path.join(root, '.tandem', 'runs', runId);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, logFileName(job));
  writeFileSync(file, content);
  return file;
}

const read = (job: string, opts: Parameters<typeof readJobLog>[3]) => readJobLog(root, 'run-1', job, opts);

describe('readJobLog', () => {
  it('answers the tail from a line boundary, saying earlier bytes were left out', async () => {
    writeLog('build', 'one\ntwo\nthree\nfour\n'); // 19 bytes
    expect(await read('build', { final: false })).toEqual({
      lines: ['one', 'two', 'three', 'four'],
      start: 0,
      offset: 19,
      truncated: false,
      complete: false,
    });
    // The last 9 bytes start inside "three": the tail starts at "four".
    expect(await read('build', { final: false, limit: 9 })).toEqual({
      lines: ['four'],
      start: 14,
      offset: 19,
      truncated: true,
      complete: false,
    });
    // A window starting exactly on a line keeps that line.
    expect(await read('build', { final: true, limit: 11 })).toMatchObject({
      lines: ['three', 'four'],
      start: 8,
      truncated: true,
      complete: true,
    });
  });

  it('holds back an unterminated last line until the job is final', async () => {
    const file = writeLog('test (node=20)', 'ok 1\nok 2\nrunni');
    const running = await read('test (node=20)', { final: false });
    expect(running).toMatchObject({ lines: ['ok 1', 'ok 2'], start: 0, offset: 10, complete: false });
    // Nothing new until the line ends.
    expect(await read('test (node=20)', { offset: 10, final: false })).toEqual({
      lines: [],
      start: 10,
      offset: 10,
      truncated: false,
      complete: false,
    });
    appendFileSync(file, 'ng\nexit');
    expect(await read('test (node=20)', { offset: 10, final: false })).toMatchObject({
      lines: ['running'],
      offset: 18,
    });
    expect(await read('test (node=20)', { offset: 18, final: true })).toEqual({
      lines: ['exit'],
      start: 18,
      offset: 22,
      truncated: false,
      complete: true,
    });
    expect(await read('test (node=20)', { offset: 22, final: true })).toMatchObject({
      lines: [],
      offset: 22,
      complete: true,
    });
  });

  it('pages by offset with whole lines, never cutting a multibyte character', async () => {
    // "é" is 2 bytes, "€" 3, "😀" 4: a limit falls inside them.
    const content = 'café\n€uro\n😀😀\nend\n';
    writeLog('build', content);
    const lines: string[] = [];
    let offset = 0;
    for (let i = 0; i < 20; i++) {
      const page = await read('build', { offset, limit: 7, final: true });
      expect(page.start).toBe(offset);
      lines.push(...page.lines);
      offset = page.offset;
      if (page.complete) break;
    }
    // Lines longer than the limit come in pieces split at character boundaries.
    expect(lines.join('')).toBe(content.replaceAll('\n', ''));
    expect(lines.join('')).not.toContain('\uFFFD');
    expect(offset).toBe(Buffer.byteLength(content));

    // A tail window starting inside a character of a single huge line starts at the next one.
    writeLog('one-line', '😀😀😀');
    const tail = await read('one-line', { limit: 6, final: true });
    expect(tail).toMatchObject({ lines: ['😀'], start: 8, offset: 12, truncated: true, complete: true });
  });

  it('treats a missing file as an empty log, and refuses an offset beyond the end', async () => {
    expect(await read('deploy', { final: false })).toEqual({
      lines: [],
      start: 0,
      offset: 0,
      truncated: false,
      complete: false,
    });
    expect(await read('deploy', { final: true })).toMatchObject({ lines: [], offset: 0, complete: true });
    writeLog('build', 'a\n');
    expect(await read('build', { offset: 2, final: false })).toMatchObject({ lines: [], offset: 2 });
    await expect(read('build', { offset: 3, final: false })).rejects.toMatchObject({
      status: 400,
      code: 'TANDEM_BAD_QUERY',
      message: expect.stringContaining('2 bytes'),
    });
  });

  it('reads only a bounded range of a large log', async () => {
    writeLog('big', `${'x'.repeat(100)}\n`.repeat(50_000)); // ~5 MB
    const tail = await read('big', { final: false });
    expect(tail.truncated).toBe(true);
    expect(tail.offset - tail.start).toBeLessThanOrEqual(256 * 1024);
    expect(tail.lines.every((l) => l.length === 100)).toBe(true);
    const huge = await read('big', { offset: 0, limit: 50 * 1024 * 1024, final: false });
    expect(huge.offset).toBeLessThanOrEqual(1024 * 1024);
  });

  it('keeps log paths inside their run directory', () => {
    expect(jobLogFile(root, 'run-1', '../../etc/passwd')).toBe(
      path.join(root, '.tandem', 'runs', 'run-1', logFileName('../../etc/passwd')),
    );
    for (const bad of ['..', '.', '', '../x', 'a/b']) {
      expect(() => jobLogFile(root, bad, 'build'), bad).toThrow(/cannot name a log directory/);
    }
  });
});

describe('runJobState', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStoreAt(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  it('says whether the job is final, and 404s an unknown run or job with the run’s jobs', async () => {
    const at = new Date();
    await store.runs.runStarted({
      id: 'run-1',
      project: 'p',
      branch: null,
      commit: null,
      jobs: ['build', 'test'],
      startedAt: at,
    });
    expect(await runJobState(store, 'run-1', 'build')).toEqual({ status: 'pending', final: false });
    await store.runs.jobFinished(
      'run-1',
      { name: 'build', status: 'failed', durationMs: 1, attempts: 1, cacheKey: 'k' },
      null,
      at,
    );
    expect(await runJobState(store, 'run-1', 'build')).toEqual({ status: 'failed', final: true });
    await expect(runJobState(store, 'nope', 'build')).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_RUN_NOT_FOUND',
    });
    await expect(runJobState(store, 'run-1', 'lint')).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_JOB_NOT_FOUND',
      message: expect.stringContaining('build, test'),
    });
    // A run that ended without finishing a job: that job writes no more.
    await store.runs.runFinished('run-1', { status: 'cancelled', durationMs: 1, jobs: [] }, at);
    expect(await runJobState(store, 'run-1', 'test')).toEqual({ status: 'pending', final: true });
  });
});
