import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneReleases } from './prune.js';

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tandem-prune-'));
  outside = mkdtempSync(path.join(os.tmpdir(), 'tandem-prune-outside-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const releases = () => path.join(root, '.tandem', 'releases');
function makeRelease(name: string): void {
  mkdirSync(path.join(releases(), name, 'src'), { recursive: true });
  writeFileSync(path.join(releases(), name, 'src', 'app.txt'), name);
}
const left = () => readdirSync(releases()).sort();

describe('pruneReleases', () => {
  it('keeps the newest max releases (by sequence number, not name) and the kept ones', async () => {
    for (let seq = 1; seq <= 12; seq++) makeRelease(`r${seq}-abcdef${seq % 10}`);
    const removed = await pruneReleases(root, ['r2-abcdef2', 'r4-abcdef4'], 5);
    // Newest five: r12..r8; kept: r2, r4.
    expect(removed).toEqual(['r7-abcdef7', 'r6-abcdef6', 'r5-abcdef5', 'r3-abcdef3', 'r1-abcdef1']);
    expect(left()).toEqual(
      [
        'r10-abcdef0',
        'r11-abcdef1',
        'r12-abcdef2',
        'r2-abcdef2',
        'r4-abcdef4',
        'r8-abcdef8',
        'r9-abcdef9',
      ].sort(),
    );
    expect(await pruneReleases(root, ['r2-abcdef2', 'r4-abcdef4'], 5)).toEqual([]);
  });

  it('keeps ten by default and does nothing without a releases directory', async () => {
    expect(await pruneReleases(root, [])).toEqual([]);
    for (let seq = 1; seq <= 11; seq++) makeRelease(`r${seq}-0000000`);
    expect(await pruneReleases(root, [])).toEqual(['r1-0000000']);
    expect(left()).toHaveLength(10);
  });

  it('never touches anything that is not a release directory, nor what a link points to', async () => {
    makeRelease('r1-1111111');
    makeRelease('r2-2222222');
    mkdirSync(path.join(releases(), 'tmp-build'));
    writeFileSync(path.join(outside, 'precious'), 'keep me');
    symlinkSync(outside, path.join(releases(), 'r0-0000000'));
    symlinkSync(outside, path.join(releases(), 'r3-3333333'), 'dir');
    const removed = await pruneReleases(root, ['../../..', '/'], 0);
    expect(removed).toEqual(['r2-2222222', 'r1-1111111']);
    expect(left()).toEqual(['r0-0000000', 'r3-3333333', 'tmp-build']);
    expect(existsSync(path.join(outside, 'precious'))).toBe(true);
    expect(existsSync(root)).toBe(true);
  });
});
