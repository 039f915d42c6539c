import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLastLines, rotate, rotateIfLarger, tailLines } from './log-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tandem-logs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const numbered = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

describe('log files', () => {
  it('reads the last lines backwards across chunk boundaries, multi-byte characters intact', async () => {
    const file = path.join(dir, 'a.log');
    writeFileSync(file, `${numbered(1, 50)}héllo wörld ✓\nno newline at the end`);
    for (const chunk of [1, 3, 7, 64 * 1024]) {
      expect(await readLastLines(file, 3, chunk)).toEqual([
        'line 50',
        'héllo wörld ✓',
        'no newline at the end',
      ]);
    }
    expect(await readLastLines(file, 1000, 5)).toHaveLength(52);
    expect(await readLastLines(path.join(dir, 'missing.log'), 3)).toEqual([]);
    expect(await readLastLines(file, 0)).toEqual([]);
  });

  it('keeps empty lines and drops only the final newline', async () => {
    const file = path.join(dir, 'b.log');
    writeFileSync(file, 'a\n\nb\n');
    expect(await readLastLines(file, 5, 2)).toEqual(['a', '', 'b']);
  });

  it('rotates by copy-then-truncate, shifting older files and keeping `keep` of them', async () => {
    const file = path.join(dir, 'c.log');
    for (const batch of ['one\n', 'two\n', 'three\n', 'four\n']) {
      writeFileSync(file, batch, { flag: 'a' });
      await rotate(file, 2);
    }
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('four\n');
    expect(readFileSync(`${file}.2`, 'utf8')).toBe('three\n');
    expect(existsSync(`${file}.3`)).toBe(false);
  });

  it('rotates only past the size limit', async () => {
    const file = path.join(dir, 'd.log');
    expect(await rotateIfLarger(file, 10, 3)).toBe(false); // no file yet
    writeFileSync(file, '0123456789');
    expect(await rotateIfLarger(file, 10, 3)).toBe(false);
    writeFileSync(file, 'x', { flag: 'a' });
    expect(await rotateIfLarger(file, 10, 3)).toBe(true);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('0123456789x');
  });

  it('tails across the current file and the last rotated one', async () => {
    const file = path.join(dir, 'e.log');
    writeFileSync(`${file}.2`, numbered(1, 10));
    writeFileSync(`${file}.1`, numbered(11, 20));
    writeFileSync(file, numbered(21, 22));
    expect(await tailLines(file, 4)).toEqual(['line 19', 'line 20', 'line 21', 'line 22']);
    expect(await tailLines(file, 2)).toEqual(['line 21', 'line 22']);
    expect(await tailLines(file, 100)).toHaveLength(12); // never further back than .log.1
  });
});
