/**
 * What the benchmarks that run `tandem up` share: process bookkeeping that never leaves a process
 * behind, running the CLI from a snapshot of dist/, the temporary git project, the load process's
 * parent side, and the generated block of docs/benchmarks.md.
 *
 * Processes: children are tracked as ChildProcess; daemons (control plane, agent, instances, PM2)
 * by pid + start time (field 22 of /proc/<pid>/stat), so a recycled pid is never killed. Nothing is
 * ever matched by name. installCleanup() kills what is left (and removes the temp dirs) on exit.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export { freePorts } from '../test/helpers/tandem-up.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT_MAIN = path.join(REPO, 'dist/cli/main.js');
const VERB_TIMEOUT_MS = 180_000;

// ---------------------------------------------------------------------------------------------
// Failures and arguments

/** A failure the benchmark reports as one line (no stack). */
export class BenchError extends Error {}
export function fail(message: string): never {
  throw new BenchError(message);
}

export function argValue(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

/** `--name N`: a whole number from `min` to `max`, `fallback` when absent; anything else fails. */
export function intArg(name: string, fallback: number, min: number, max: number): number {
  const raw = argValue(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    fail(`${name} must be a whole number from ${min} to ${max}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();
const daemons = new Map<number, string>();
const tempDirs: string[] = [];

function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (PID 1 here does not reap orphans). */
function isAlive(pid: number): boolean {
  const fields = procStat(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** Remembers a daemon's pid with its start time, to kill it at the end if still there. */
export function remember(pid: number | null | undefined): void {
  if (pid === null || pid === undefined || !Number.isInteger(pid) || pid <= 0 || daemons.has(pid)) return;
  const start = procStat(pid)?.[19];
  if (start !== undefined) daemons.set(pid, start);
}

/** Remembered daemons still alive as the same process. */
function aliveDaemons(): number[] {
  return [...daemons.entries()]
    .filter(([pid, start]) => procStat(pid)?.[19] === start && isAlive(pid))
    .map(([pid]) => pid);
}

function killSync(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const pid of aliveDaemons()) {
    try {
      // An instance leads its own process group (bash -c <run>): take the group with it.
      if (procStat(pid)?.[2] === String(pid)) process.kill(-pid, 'SIGKILL');
      else process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A temporary directory removed on exit (unless kept). */
export function addTempDir(dir: string): void {
  tempDirs.push(dir);
}

/** On exit (and SIGINT/SIGTERM): kill what is left, remove the temp dirs unless `keep`. */
export function installCleanup(keep: boolean): void {
  process.on('exit', () => {
    killSync();
    if (!keep) for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping everything this benchmark started`);
      process.exit(130);
    });
  }
}

/** Exits with `message` after `ms`, whatever hangs. */
export function hardDeadline(ms: number, message: string): void {
  const deadline = setTimeout(() => {
    console.error(message);
    process.exit(1);
  }, ms);
  deadline.unref();
}

/** Waits (bounded) until the remembered daemons are gone; SIGKILLs what is left; returns it. */
export async function reapDaemons(timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (aliveDaemons().length > 0 && Date.now() < deadline) await sleep(100);
  const left = aliveDaemons();
  killSync();
  return left;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (SIGKILL after timeoutMs), output collected. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? VERB_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal !== null ? 128 : null), stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

export function verbFailure(what: string, r: Run): string {
  const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-12).join('\n');
  return `${what} exited ${r.code} after ${(r.ms / 1000).toFixed(1)} s:\n${out}`;
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Polls `check` every 200 ms until it gives a value; fails after timeoutMs with the last error. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      fail(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// The load process (parent side; the child side is bench/lib-load.ts)

export interface LoadProcess<T> {
  /** Date.now() once the load said `ready`. */
  startedAt: number;
  stop(): Promise<T>;
}

/** Starts `node --import tsx <script> ...args`, waits for its `ready`; stop() returns its JSON result. */
export async function startLoadProcess<T>(
  script: string,
  args: Array<string | number>,
  requestTimeoutMs: number,
): Promise<LoadProcess<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args.map(String)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const lines = createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new BenchError(`the load generator exited (${code})`)));
    });
  const ready = await Promise.race([next(), sleep(30_000).then(() => 'timeout')]);
  if (ready !== 'ready') fail(`the load generator did not start: ${ready}`);
  const startedAt = Date.now();
  return {
    startedAt,
    async stop() {
      const result = next();
      child.stdin!.write('stop\n');
      const line = await Promise.race([result, sleep(requestTimeoutMs + 20_000).then(() => 'timeout')]);
      if (line === 'timeout') fail('the load generator did not stop');
      children.delete(child);
      return JSON.parse(line) as T;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Tandem: the CLI and the project

/**
 * Copies dist/ (with package.json and a node_modules link for the native addon) into `work`, as
 * others may rebuild dist/ during the run; returns the copy's main.js and a description of the build.
 */
export function snapshotCli(work: string): { main: string; description: string } {
  if (!existsSync(BUILT_MAIN)) fail('no dist/cli/main.js: run `npm run build` first');
  const copy = path.join(work, 'cli');
  mkdirSync(copy);
  cpSync(path.join(REPO, 'dist'), path.join(copy, 'dist'), { recursive: true });
  cpSync(path.join(REPO, 'package.json'), path.join(copy, 'package.json'));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const bundle = path.join(REPO, 'dist/cli/tandem.cjs');
  const sha = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 12);
  const built = statSync(bundle)
    .mtime.toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return {
    main: path.join(copy, 'dist/cli/main.js'),
    description: `dist/cli (sha256 of tandem.cjs ${sha}…, built ${built})`,
  };
}

/** The CLI's environment: no TANDEM_* of ours; the per-user registry and code cache inside `work`. */
export function tandemEnv(work: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TANDEM_')) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    XDG_STATE_HOME: path.join(work, 'state'),
    XDG_CACHE_HOME: path.join(work, 'cache'),
  });
  return env;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

/** A git repository in `dir` (which must exist) with `files` and a .gitignore of .tandem/, committed. */
export function initGitProject(dir: string, files: Record<string, string>, message: string): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  writeFileSync(path.join(dir, '.gitignore'), '.tandem/\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'bench@example.com');
  git(dir, 'config', 'user.name', 'Bench');
  commitAll(dir, message);
}

export function commitAll(dir: string, message: string): void {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

/** Remembers the control plane and the agent from their pid files. */
export function rememberTandemFiles(dir: string): void {
  remember((readJson(path.join(dir, '.tandem/server.json')) as { pid?: number } | undefined)?.pid);
  remember((readJson(path.join(dir, '.tandem/run/agent.json')) as { pid?: number } | undefined)?.pid);
}

interface StatusWithPids {
  environments: Array<{ services: Array<{ instances: Array<{ pid: number | null }> }> }>;
}

/** GET /v1/status; remembers every instance's pid. */
export async function fetchStatus<T extends StatusWithPids>(apiPort: number): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/v1/status`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) fail(`GET /v1/status: HTTP ${res.status}`);
  const s = (await res.json()) as T;
  for (const e of s.environments)
    for (const svc of e.services) for (const i of svc.instances) remember(i.pid);
  return s;
}

/** With --keep: the control plane's and the instances' logs, for an investigation. */
export function copyTandemLogs(dir: string, work: string): void {
  const logs = path.join(dir, '.tandem/logs');
  if (existsSync(logs)) cpSync(logs, path.join(work, 'tandem-logs'), { recursive: true });
}

// ---------------------------------------------------------------------------------------------
// Report

/** The report's first lines: date and machine, Node and the CLI (+ `peers`), load average. */
export function machineLines(
  machine: { cli: string; loadBefore: number[]; loadAfter: number[] },
  peers = '',
): string[] {
  const la = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  return [
    `- Date: ${new Date().toISOString().slice(0, 10)}; machine: \`nproc\` = ${os.cpus().length} (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    `- Node ${process.version}; Tandem ${machine.cli}${peers}`,
    `- Load average (1/5/15 min) before: ${la(machine.loadBefore)}, after: ${la(machine.loadAfter)} (other work shares this machine)`,
  ];
}

/**
 * Replaces only the block between `start` and `end` in `file` (read-modify-write in one go: others
 * edit the rest of the file); without one, appends `section` with @BLOCK@ replaced by the block.
 */
export function writeDocsBlock(
  file: string,
  markers: { start: string; end: string },
  section: string,
  block: string,
): void {
  const { start, end } = markers;
  const generated = `${start}\n\n${block}\n\n${end}`;
  const doc = readFileSync(file, 'utf8');
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  const next =
    a >= 0 && b > a
      ? doc.slice(0, a) + generated + doc.slice(b + end.length)
      : `${doc.replace(/\s*$/, '\n')}\n${section.replace('@BLOCK@', generated)}`;
  writeFileSync(file, next);
}
