import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../../test/helpers/cli.js';
import { parseStat, readGroupUsage, readInstanceUsage } from './process-usage.js';

const linux = process.platform === 'linux';

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await read();
    if (ok(v)) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A `stat` line as Linux writes it: pid (comm) state ppid pgrp ... utime(14) .. cstime(17) .. rss(24). */
function statLine(pid: number, comm: string, state: string, pgrp: number, ticks: number[], rss: number) {
  const fields = [state, '1', String(pgrp), String(pgrp), '0', '-1', '4194304', '0', '0', '0', '0'];
  fields.push(...ticks.map(String), '20', '0', '1', '0', '3008107', '3133440', String(rss), '0');
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

describe('parseStat', () => {
  it('reads state, pgrp, the four CPU times and rss after a comm with spaces and parentheses', () => {
    const s = parseStat(statLine(42, 'my ) (weird) name', 'S', 40, [10, 5, 3, 2], 123));
    expect(s).toEqual({ state: 'S', pgrp: 40, ticks: 20, rssPages: 123 });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('42 (x) S 1')).toBeUndefined();
  });
});

describe('readGroupUsage on a fake /proc', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function fakeProc(files: Record<string, string>): string {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-proc-'));
    for (const [pid, content] of Object.entries(files)) {
      mkdirSync(path.join(dir, pid));
      if (content !== '') writeFileSync(path.join(dir, pid, 'stat'), content);
    }
    mkdirSync(path.join(dir, 'self')); // not a pid: ignored
    return dir;
  }

  it('sums the group, counts zombies for CPU only, skips vanished processes and other groups', async () => {
    const procDir = fakeProc({
      '100': statLine(100, 'bash', 'S', 100, [100, 50, 20, 30], 10),
      '101': statLine(101, 'node', 'R', 100, [300, 100, 0, 0], 1000),
      '102': statLine(102, 'sh', 'Z', 100, [40, 10, 0, 0], 0),
      '103': '', // vanished between readdir and read: a directory without stat
      '200': statLine(200, 'other', 'S', 200, [1000, 0, 0, 0], 77),
      '300': statLine(300, 'dead', 'Z', 300, [5, 0, 0, 0], 0),
    });
    const usage = await readGroupUsage([100, 300, 999], { procDir, clockTicks: 100, pageSize: 4096 });
    expect(usage.get(100)).toEqual({ cpuSeconds: 6.5, rssBytes: 1010 * 4096, processes: 2 });
    expect(usage.has(200)).toBe(false); // not asked for
    expect(usage.has(300)).toBe(false); // only a zombie left: gone
    expect(usage.has(999)).toBe(false);
  });

  it('answers null per instance without a process, and null everywhere off Linux', async () => {
    const procDir = fakeProc({ '100': statLine(100, 'bash', 'S', 100, [100, 0, 0, 0], 1) });
    const opts = { procDir, clockTicks: 100, pageSize: 4096 };
    const instances = [
      { id: 'a', pid: 100 },
      { id: 'b', pid: null },
      { id: 'c', pid: 555 },
    ];
    expect(await readInstanceUsage(instances, opts)).toEqual({
      a: { cpuSeconds: 1, rssBytes: 4096, processes: 1 },
      b: null,
      c: null,
    });
    expect(await readInstanceUsage(instances, { ...opts, platform: 'darwin' })).toEqual({
      a: null,
      b: null,
      c: null,
    });
  });

  it('answers nothing rather than throwing when the proc directory is missing', async () => {
    const usage = await readGroupUsage([1], {
      procDir: '/nonexistent-proc',
      clockTicks: 100,
      pageSize: 4096,
    });
    expect(usage.size).toBe(0);
  });
});

describe.runIf(linux)('readGroupUsage on real processes', () => {
  const started: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of started.splice(0)) {
      const pid = child.pid!;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await until(
        async () => isAlive(pid),
        (alive) => !alive,
        `pid ${pid} to exit`,
      );
    }
  });

  /** `bash -c script` as the supervisor starts it: detached, so in a process group of its own. */
  function group(script: string): number {
    const child = spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' });
    started.push(child);
    return child.pid!;
  }

  it('sees a busy group use CPU and memory, over all its processes, and nothing of another group', async () => {
    const busy = group('sleep 60 & while :; do :; done');
    const idle = group('sleep 60 & sleep 60');
    const first = await until(
      () => readGroupUsage([busy, idle]),
      // bash, the background sleep, and for the idle one the foreground sleep (bash does not exec it).
      (u) => u.get(busy)?.processes === 2 && u.get(idle)?.processes === 3,
      'both groups to have all their processes',
    );
    const before = first.get(busy)!.cpuSeconds;
    const later = await until(
      () => readGroupUsage([busy, idle]),
      (u) => (u.get(busy)?.cpuSeconds ?? 0) >= before + 0.2,
      'the busy group to use 0.2 s more CPU',
    );
    const b = later.get(busy)!;
    expect(b.rssBytes).toBeGreaterThan(100_000);
    expect(b.processes).toBe(2);
    // The idle group sleeps: none of the busy loop's CPU leaks into it.
    expect(later.get(idle)!.cpuSeconds).toBeLessThan(b.cpuSeconds);
    expect(later.get(idle)!.rssBytes).toBeGreaterThan(0);
  });

  it('forgets a group once its processes are gone', async () => {
    const pid = group('sleep 60');
    await until(
      () => readGroupUsage([pid]),
      (u) => u.has(pid),
      'the group to show',
    );
    process.kill(-pid, 'SIGKILL');
    await until(
      () => readGroupUsage([pid]),
      (u) => !u.has(pid),
      'the group to be gone',
    );
  });
});
