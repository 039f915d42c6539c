import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTandemError } from '../errors.js';
import { initProject } from './init.js';
import { writeConfigFile } from './write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-init-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('writeConfigFile', () => {
  it('writes tandem.yaml and leaves no temporary file', async () => {
    const file = await writeConfigFile(dir, 'project: a\n');
    expect(file).toBe(path.join(dir, 'tandem.yaml'));
    expect(await readFile(file, 'utf8')).toBe('project: a\n');
    expect(await readdir(dir)).toEqual(['tandem.yaml']);
  });

  it.each(['tandem.yaml', 'tandem.yml'])('refuses to replace an existing %s without force', async (name) => {
    await writeFile(path.join(dir, name), 'mine\n');
    const err = await rejection(writeConfigFile(dir, 'project: a\n'));
    expect(isTandemError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'TANDEM_INIT_EXISTS', exitCode: 1 });
    expect((err as Error).message).toContain('--force');
    expect((err as Error).message).toContain(name);
    expect(await readFile(path.join(dir, name), 'utf8')).toBe('mine\n');
    expect(await readdir(dir)).toEqual([name]);
  });

  it('overwrites with force, keeping the existing file name', async () => {
    await writeFile(path.join(dir, 'tandem.yaml'), 'mine\n');
    expect(await writeConfigFile(dir, 'project: b\n', { force: true })).toBe(path.join(dir, 'tandem.yaml'));
    expect(await readFile(path.join(dir, 'tandem.yaml'), 'utf8')).toBe('project: b\n');

    await rm(path.join(dir, 'tandem.yaml'));
    await writeFile(path.join(dir, 'tandem.yml'), 'mine\n');
    expect(await writeConfigFile(dir, 'project: c\n', { force: true })).toBe(path.join(dir, 'tandem.yml'));
    expect(await readFile(path.join(dir, 'tandem.yml'), 'utf8')).toBe('project: c\n');
    expect(await readdir(dir)).toEqual(['tandem.yml']);
  });

  it('reports a directory it cannot write to as TANDEM_INIT_WRITE', async () => {
    const err = await rejection(writeConfigFile(path.join(dir, 'missing'), 'project: a\n'));
    expect(err).toMatchObject({ code: 'TANDEM_INIT_WRITE', exitCode: 1 });
  });
});

describe('initProject', () => {
  it('detects, writes, refuses a second time, and overwrites with force', async () => {
    await writeFile(path.join(dir, 'go.mod'), 'module example.com/svc\n');
    const first = await initProject({ dir });
    expect(first.file).toBe(path.join(dir, 'tandem.yaml'));
    expect(first.detection.project).toBe('svc');
    expect(await readFile(first.file, 'utf8')).toBe(first.text);

    await writeFile(first.file, 'edited\n');
    expect(await rejection(initProject({ dir }))).toMatchObject({ code: 'TANDEM_INIT_EXISTS' });
    expect(await readFile(first.file, 'utf8')).toBe('edited\n');

    const second = await initProject({ dir, force: true });
    expect(await readFile(second.file, 'utf8')).toBe(first.text);
  });

  it('rejects a --dir that is not a directory with exit code 2', async () => {
    const err = await rejection(initProject({ dir: path.join(dir, 'nope') }));
    expect(err).toMatchObject({ code: 'TANDEM_INIT_NO_DIR', exitCode: 2 });
  });
});
