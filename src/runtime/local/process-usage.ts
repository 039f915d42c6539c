/**
 * CPU and resident memory of each instance, read from /proc (Linux). An instance is a process
 * group (the supervisor spawns `bash -c` detached, so pgid = the instance's pid), and everything
 * it forks stays in that group: its usage is the sum over the group's processes.
 *
 * One scan of /proc/[0-9]* per call serves every instance. Reads are asynchronous because the
 * agent process also hosts the data planes, whose event loop must not stall on a scan.
 *
 * CPU counts utime+stime+cutime+cstime of each process: a child that exited and was reaped by
 * another member moved its time into that member's cutime/cstime, so the group's total stays
 * cumulative while short-lived children come and go. Zombies still count their CPU (their time
 * is not in a parent's cutime yet; dropping it until the reap would make the counter dip) but
 * not as processes nor memory.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { logger } from '../../log/logger.js';

export interface ProcessUsage {
  /** CPU time (user + system) of the group's processes, and of its reaped children, since the group started. */
  cpuSeconds: number;
  /** Sum of the resident set sizes of the group's live processes. */
  rssBytes: number;
  /** Live (non-zombie) processes in the group. */
  processes: number;
}

export interface ProcReadOptions {
  /** Default `/proc`; tests point it at a fake tree. */
  procDir?: string;
  /** Default `process.platform`; anything but linux answers null for every instance. */
  platform?: NodeJS.Platform;
  /** Clock ticks per second and page size; default from `getconf` (read once), else 100 and 4096. */
  clockTicks?: number;
  pageSize?: number;
}

interface ProcStat {
  state: string;
  pgrp: number;
  ticks: number;
  rssPages: number;
}

/**
 * Usage per instance id: null when the instance has no process now (not started yet, between
 * restarts), when its group has no live process left, or off Linux.
 */
export async function readInstanceUsage(
  instances: ReadonlyArray<{ id: string; pid: number | null }>,
  opts: ProcReadOptions = {},
): Promise<Record<string, ProcessUsage | null>> {
  const pgids = instances.flatMap((i) => (i.pid === null ? [] : [i.pid]));
  const groups = await readGroupUsage(pgids, opts);
  const out: Record<string, ProcessUsage | null> = {};
  for (const i of instances) out[i.id] = i.pid === null ? null : (groups.get(i.pid) ?? null);
  return out;
}

/** Usage of each process group in `pgids` that still has a live process (others are absent). */
export async function readGroupUsage(
  pgids: Iterable<number>,
  opts: ProcReadOptions = {},
): Promise<Map<number, ProcessUsage>> {
  const wanted = new Set(pgids);
  const out = new Map<number, ProcessUsage>();
  if ((opts.platform ?? process.platform) !== 'linux' || wanted.size === 0) return out;
  const procDir = opts.procDir ?? '/proc';
  const { clockTicks, pageSize } =
    opts.clockTicks !== undefined && opts.pageSize !== undefined
      ? { clockTicks: opts.clockTicks, pageSize: opts.pageSize }
      : { ...(await systemConstants()), ...definedOnly(opts) };

  let entries: string[];
  try {
    entries = await readdir(procDir);
  } catch (err) {
    logger().warn({ err, procDir }, 'process usage: cannot list /proc');
    return out;
  }
  const stats = await Promise.all(
    entries.filter((name) => /^[0-9]+$/.test(name)).map((pid) => readStat(`${procDir}/${pid}/stat`)),
  );

  const ticks = new Map<number, number>();
  for (const s of stats) {
    if (s === undefined || !wanted.has(s.pgrp)) continue;
    ticks.set(s.pgrp, (ticks.get(s.pgrp) ?? 0) + s.ticks);
    if (s.state === 'Z' || s.state === 'X') continue;
    const u = out.get(s.pgrp) ?? { cpuSeconds: 0, rssBytes: 0, processes: 0 };
    u.rssBytes += s.rssPages * pageSize;
    u.processes++;
    out.set(s.pgrp, u);
  }
  // A group of zombies only has no live process: it is gone, whatever CPU it left behind.
  for (const [pgrp, u] of out) u.cpuSeconds = (ticks.get(pgrp) ?? 0) / clockTicks;
  return out;
}

/** undefined when the process vanished meanwhile or the line is not what Linux writes. */
async function readStat(file: string): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // exited between readdir and now
  }
  return parseStat(text);
}

/**
 * `pid (comm) state ppid pgrp ... utime stime cutime cstime ... rss ...` (proc(5)). comm may hold
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // f[0] is field 3 (state); field n is f[n - 3].
  const pgrp = Number(f[2]);
  const times = [f[11], f[12], f[13], f[14]].map(Number);
  const rssPages = Number(f[21]);
  if (f[0] === undefined || !Number.isInteger(pgrp) || !Number.isFinite(rssPages)) return undefined;
  if (times.some((t) => !Number.isFinite(t))) return undefined;
  return {
    state: f[0],
    pgrp,
    ticks: times.reduce((a, b) => a + b, 0),
    // A negative rss never happens for a live process; clamp rather than subtract memory.
    rssPages: Math.max(0, rssPages),
  };
}

let constants: Promise<{ clockTicks: number; pageSize: number }> | undefined;

/** `getconf CLK_TCK` and `PAGESIZE`, once per process; 100 and 4096 (x86-64 Linux) when unavailable. */
function systemConstants(): Promise<{ clockTicks: number; pageSize: number }> {
  constants ??= Promise.all([getconf('CLK_TCK', 100), getconf('PAGESIZE', 4096)]).then(
    ([clockTicks, pageSize]) => ({ clockTicks, pageSize }),
  );
  return constants;
}

function getconf(name: string, fallback: number): Promise<number> {
  return new Promise((resolve) => {
    execFile('getconf', [name], { timeout: 2_000 }, (err, stdout) => {
      const n = Number(String(stdout).trim());
      resolve(err === null && Number.isInteger(n) && n > 0 ? n : fallback);
    });
  });
}

function definedOnly(opts: ProcReadOptions): Partial<{ clockTicks: number; pageSize: number }> {
  const out: Partial<{ clockTicks: number; pageSize: number }> = {};
  if (opts.clockTicks !== undefined) out.clockTicks = opts.clockTicks;
  if (opts.pageSize !== undefined) out.pageSize = opts.pageSize;
  return out;
}
