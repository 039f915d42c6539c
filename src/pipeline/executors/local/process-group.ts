import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Signals and liveness checks for a whole process group (a job runs as the leader of its
 * own group, spawned with `detached: true`, so its pgid is its pid).
 *
 * Liveness ignores zombies: when the job's shell exits, its leftover children are
 * re-parented to PID 1, and in a container PID 1 often never reaps them, so
 * `kill(-pgid, 0)` alone would report a group of dead processes as alive forever.
 */

const POLL_MS = 25;

/** Sends `signal` to every process of the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return false;
    // EPERM: a member we may not signal (it changed uid); nothing more we can do.
    return false;
  }
}

/** Whether any process of the group is still running (zombies do not count). */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
  const members = procGroupMembers(pgid);
  return members === undefined ? true : members.length > 0;
}

/** Whether one process is running (a zombie counts as dead). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
  const stat = readProcStat(pid);
  if (stat === undefined) return !existsSync('/proc/self/stat');
  return stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * SIGTERM to the group, then SIGKILL after `graceMs` if anything in it is still alive, then a
 * short bounded wait for the group to be gone. Never throws.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!isGroupAlive(pgid)) return;
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitForGroupExit(pgid, graceMs)) return;
  if (!signalGroup(pgid, 'SIGKILL')) return;
  await waitForGroupExit(pgid, 1_000);
}

/** Polls until the group has no live member; true if it is gone within `timeoutMs`. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  while (isGroupAlive(pgid)) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(POLL_MS, left));
  }
  return true;
}

interface ProcStat {
  state: string;
  pgrp: number;
}

/** Live (non-zombie) pids of the group from /proc; undefined where /proc is unavailable. */
function procGroupMembers(pgid: number): number[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(name));
  }
  return members;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  if (state === undefined || !Number.isInteger(pgrp)) return undefined;
  return { state, pgrp };
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
