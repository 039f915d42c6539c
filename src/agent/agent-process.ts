/** Whether a pid from agent.json is still that agent (and not a zombie or a recycled pid). */
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // PID 1 in containers does not always reap orphans: a zombie is not alive.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Alive and running `__agent` for this state directory. Without /proc (not Linux) the command line
 * cannot be read, and liveness alone has to do.
 */
export function isAgentProcess(pid: number, stateDir: string): boolean {
  // stateDir: absolute.
  if (!isAlive(pid)) return false;
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return process.platform !== 'linux';
  }
  const i = cmdline.indexOf('--state-dir');
  const arg = i === -1 ? undefined : cmdline[i + 1];
  if (!cmdline.includes('__agent') || arg === undefined) return false;
  if (path.isAbsolute(arg)) return arg === stateDir;
  try {
    return path.resolve(readlinkSync(`/proc/${pid}/cwd`), arg) === stateDir;
  } catch {
    return false;
  }
}
