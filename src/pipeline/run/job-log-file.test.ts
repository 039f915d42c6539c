import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logFileName, openJobLogFile } from './job-log-file.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'tandem-job-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('job log files', () => {
  it('names files safely and uniquely', () => {
    expect(logFileName('build')).toBe('build.log');
    expect(logFileName('test (node=20)')).toMatch(/^test_node_20-[0-9a-f]{8}\.log$/);
    expect(logFileName('test (node=20)')).not.toBe(logFileName('test (node=22)'));
    expect(logFileName('../../etc/passwd')).not.toContain('/');
  });

  it('appends, closes once, and is private to the user', async () => {
    const log = openJobLogFile(root, 'r-1', 'build');
    log.append('one\n');
    log.append('');
    log.append('two\n');
    const relative = await log.close();
    expect(relative).toBe('.tandem/runs/r-1/build.log');
    expect(await log.close()).toBe(relative);
    log.append('after close is ignored\n');
    const file = path.join(root, relative as string);
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
    expect(statSync(file).mode & 0o077).toBe(0);
  });
});
