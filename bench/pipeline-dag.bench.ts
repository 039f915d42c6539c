/**
 * Tandem against Turborepo on the same DAG, on the same machine, in the same run.
 *
 * The DAG: a binary tree of 20 jobs, job k (1..20) needs job floor(k/2), each doing `sleep 0.2`.
 * Both tools run it cold (cache removed before each run) and as a fully cached replay, at equal
 * concurrency and at each tool's default, alternating the tools run by run. Every run is checked
 * (exit code, and for Tandem the --json result); a failed run aborts the benchmark.
 *
 *   npx tsx bench/pipeline-dag.bench.ts [--runs N] [--write-docs]
 *
 * Needs `npm run build` (dist/cli/main.js) and turbo in node_modules/.bin. Raw numbers go to
 * bench/results/pipeline-dag.json; --write-docs also rewrites the generated block of the
 * "Pipeline: 20-job binary-tree DAG" section of docs/benchmarks.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** TANDEM_BENCH_CLI benchmarks another build of the CLI (a path to its main.js). */
const BUILT_MAIN = process.env.TANDEM_BENCH_CLI ?? path.join(REPO, 'dist/cli/main.js');
/** The CLI actually run: a snapshot of the build (see snapshotCli), so a rebuild mid-benchmark mixes nothing. */
let TANDEM_MAIN = BUILT_MAIN;
const TURBO_BIN = path.join(REPO, 'node_modules/.bin/turbo');
const RESULTS_FILE = path.join(REPO, 'bench/results/pipeline-dag.json');
const DOCS_FILE = path.join(REPO, 'docs/benchmarks.md');

const JOBS = 20;
const SLEEP_S = 0.2;
const NAMES = Array.from({ length: JOBS }, (_, i) => `j${i + 1}`);
const parentOf = (k: number): number | undefined => (k === 1 ? undefined : Math.floor(k / 2));
/** One command may not take longer than this; the whole benchmark is bounded too. */
const COMMAND_TIMEOUT_MS = 60_000;
const TOTAL_BUDGET_MS = 10 * 60_000;
const TARGET_CACHED_S = 0.3;

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
const runsArg = argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(argv[runsArg + 1]) : 5;
const WRITE_DOCS = argv.includes('--write-docs');
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) fail(`--runs must be a whole number from 1 to 50`);

// ---------------------------------------------------------------------------------------------
// Small helpers

class BenchError extends Error {}

function fail(message: string): never {
  throw new BenchError(message);
}

const started = performance.now();
function checkBudget(): void {
  if (performance.now() - started > TOTAL_BUDGET_MS) {
    fail(`the benchmark ran past its budget of ${TOTAL_BUDGET_MS / 60_000} minutes`);
  }
}

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed in ${cwd}: ${r.stderr || r.error}`);
  return r.stdout.trim();
}

/** The process group of the command running now (each command is started as its own group). */
let running: number | undefined;

function killRunning(): void {
  if (running === undefined) return;
  try {
    process.kill(-running, 'SIGKILL');
  } catch {
    // already gone
  }
}

interface Timed {
  wallMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Wall time of one command from spawn to exit. The child gets its own process group so that a
 * command past its timeout is killed with everything it started (and nothing else).
 */
function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const t0 = performance.now();
    let wallMs = 0;
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child.pid;
    const timer = setTimeout(killRunning, COMMAND_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', () => {
      wallMs = performance.now() - t0;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      resolve({
        wallMs,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
const sec = (ms: number): string => (ms / 1000).toFixed(2);
const ms1 = (ms: number): string => ms.toFixed(1);

/**
 * The least possible wall time of the tree with `concurrency` slots when every job takes exactly
 * `jobS` seconds and the tool costs nothing: breadth-first search over the sets of finished jobs
 * (the tree's order ideals, a few thousand), one time step per round of at most `concurrency` jobs.
 */
function idealSteps(concurrency: number): number {
  const full = (1 << JOBS) - 1;
  const bit = (k: number) => 1 << (k - 1);
  const ready = (done: number): number[] => {
    const r: number[] = [];
    for (let k = 1; k <= JOBS; k++) {
      const p = parentOf(k);
      if (!(done & bit(k)) && (p === undefined || done & bit(p))) r.push(k);
    }
    return r;
  };
  const choose = (items: number[], n: number): number[][] => {
    if (n === 0) return [[]];
    if (items.length < n) return [];
    const [first, ...rest] = items;
    return [...choose(rest, n - 1).map((c) => [first!, ...c]), ...choose(rest, n)];
  };
  let frontier = new Set<number>([0]);
  const seen = new Set<number>([0]);
  for (let step = 1; ; step++) {
    const next = new Set<number>();
    for (const done of frontier) {
      const r = ready(done);
      // Running fewer jobs than there are free slots never helps.
      const picks = r.length <= concurrency ? [r] : choose(r, concurrency);
      for (const pick of picks) {
        const d = pick.reduce((acc, k) => acc | bit(k), done);
        if (d === full) return step;
        if (!seen.has(d)) {
          seen.add(d);
          next.add(d);
        }
      }
    }
    frontier = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Workspaces

interface Workspaces {
  root: string;
  tandem: string;
  turboSleep: string;
  turboOrder: string;
  stamps: string;
}

function gitInit(dir: string): void {
  sh('git', ['init', '-q'], dir);
  sh('git', ['config', 'user.email', 'bench@example.invalid'], dir);
  sh('git', ['config', 'user.name', 'bench'], dir);
  sh('git', ['config', 'commit.gpgsign', 'false'], dir);
  sh('git', ['add', '-A'], dir);
  sh('git', ['commit', '-q', '-m', 'bench workspace'], dir);
}

function tandemYaml(run: (k: number) => string): string {
  const lines = ['project: bench', 'pipeline:', '  jobs:'];
  for (let k = 1; k <= JOBS; k++) {
    lines.push(`    j${k}:`, `      run: ${JSON.stringify(run(k))}`);
    const p = parentOf(k);
    if (p !== undefined) lines.push(`      needs: [j${p}]`);
  }
  return `${lines.join('\n')}\n`;
}

function turboWorkspace(dir: string, script: (k: number) => string, npmVersion: string): void {
  mkdirSync(dir, { recursive: true });
  const scripts = Object.fromEntries(NAMES.map((n, i) => [n, script(i + 1)]));
  const pkg = {
    name: 'bench',
    version: '0.0.0',
    private: true,
    packageManager: `npm@${npmVersion}`,
    scripts,
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  // The lockfile npm itself writes for a package with no dependencies.
  const lock = {
    name: 'bench',
    version: '0.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'bench', version: '0.0.0' } },
  };
  writeFileSync(path.join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  // Single-package repo: a dependency without `^` is a task of the same package.
  const tasks: Record<string, { dependsOn?: string[]; outputs: string[] }> = {};
  for (let k = 1; k <= JOBS; k++) {
    const p = parentOf(k);
    tasks[`j${k}`] = p === undefined ? { outputs: [] } : { dependsOn: [`j${p}`], outputs: [] };
  }
  writeFileSync(path.join(dir, 'turbo.json'), `${JSON.stringify({ tasks }, null, 2)}\n`);
  writeFileSync(path.join(dir, '.gitignore'), '.turbo/\nnode_modules/\n');
  gitInit(dir);
}

function makeWorkspaces(npmVersion: string): Workspaces {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-'));
  const ws: Workspaces = {
    root,
    tandem: path.join(root, 'tandem'),
    turboSleep: path.join(root, 'turbo-sleep'),
    turboOrder: path.join(root, 'turbo-order'),
    stamps: path.join(root, 'stamps'),
  };
  mkdirSync(ws.tandem);
  mkdirSync(ws.stamps);
  writeFileSync(
    path.join(ws.tandem, 'tandem.yaml'),
    tandemYaml(() => `sleep ${SLEEP_S}`),
  );
  writeFileSync(
    path.join(ws.tandem, 'tandem-true.yaml'),
    tandemYaml(() => 'true'),
  );
  // Only for the order check: each job stamps its start and end outside the workspace.
  const stamped = (k: number) => {
    const s = path.join(ws.stamps, `j${k}`);
    return `date +%s%N > ${s}.start; sleep ${SLEEP_S}; date +%s%N > ${s}.end`;
  };
  writeFileSync(path.join(ws.tandem, 'tandem-order.yaml'), tandemYaml(stamped));
  writeFileSync(path.join(ws.tandem, '.gitignore'), '.tandem/\n');
  gitInit(ws.tandem);
  turboWorkspace(ws.turboSleep, () => `sleep ${SLEEP_S}`, npmVersion);
  turboWorkspace(ws.turboOrder, stamped, npmVersion);
  return ws;
}

// ---------------------------------------------------------------------------------------------
// The two tools

type Tool = 'tandem' | 'turbo';
type Mode = 'cold' | 'cached';

const baseEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
delete baseEnv.TANDEM_LOG;
const turboEnv: NodeJS.ProcessEnv = {
  ...baseEnv,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
};
/**
 * These machines set NODE_EXTRA_CA_CERTS, which makes every Node process parse ~140 extra CA
 * certificates before it runs a line of code (~90 ms here). Turborepo is a native binary and
 * never pays it; nothing in this benchmark uses TLS. The `-noca` scenarios run both tools
 * without it, so Tandem's own cost can be told apart from the machine's.
 */
const EXTRA_CA = 'NODE_EXTRA_CA_CERTS';
const withoutExtraCa = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const copy = { ...env };
  delete copy[EXTRA_CA];
  return copy;
};
const MACHINE_HAS_EXTRA_CA = Boolean(process.env[EXTRA_CA]);
// No remote cache: no token or team (the run says "Remote caching disabled"), and --cache=local:rw.
for (const name of ['TURBO_TOKEN', 'TURBO_TEAM', 'TURBO_TEAMID', 'TURBO_API', 'TURBO_REMOTE_ONLY'])
  delete turboEnv[name];

function tandemArgs(config: string, concurrency: number | undefined): string[] {
  const args = [TANDEM_MAIN, 'run', '--json', '--config', config];
  if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
  return args;
}

function turboArgs(concurrency: number | undefined, extra: string[] = []): string[] {
  const args = ['run', ...NAMES, '--cache=local:rw', '--ui=stream', ...extra];
  if (concurrency !== undefined) args.push(`--concurrency=${concurrency}`);
  return args;
}

function describe(tool: Tool, t: Timed): string {
  const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n');
  return `${tool}: exit ${t.code}${t.signal ? ` (signal ${t.signal})` : ''}\n--- stdout ---\n${tail(t.stdout)}\n--- stderr ---\n${tail(t.stderr)}`;
}

interface TandemJson {
  status: string;
  durationMs: number;
  jobs: Array<{ name: string; status: string; durationMs: number }>;
}

function checkTandem(t: Timed, mode: Mode, what: string): TandemJson {
  if (t.code !== 0) fail(`Tandem ${what} failed\n${describe('tandem', t)}`);
  let result: TandemJson;
  try {
    result = JSON.parse(t.stdout) as TandemJson;
  } catch {
    fail(`Tandem ${what}: stdout is not the --json result\n${describe('tandem', t)}`);
  }
  if (result.status !== 'passed') fail(`Tandem ${what}: status ${result.status}\n${describe('tandem', t)}`);
  if (result.jobs.length !== JOBS) fail(`Tandem ${what}: ${result.jobs.length} jobs, expected ${JOBS}`);
  const want = mode === 'cold' ? 'passed' : 'cached';
  const wrong = result.jobs.filter((j) => j.status !== want);
  if (wrong.length > 0) {
    fail(
      `Tandem ${what}: expected every job ${want}, got ${wrong.map((j) => `${j.name}=${j.status}`).join(', ')}`,
    );
  }
  return result;
}

function checkTurbo(t: Timed, mode: Mode, what: string): void {
  if (t.code !== 0) fail(`Turborepo ${what} failed\n${describe('turbo', t)}`);
  if (!new RegExp(`Tasks:\\s+${JOBS} successful, ${JOBS} total`).test(t.stdout)) {
    fail(`Turborepo ${what}: not every task succeeded\n${describe('turbo', t)}`);
  }
  const cached = mode === 'cold' ? 0 : JOBS;
  if (!new RegExp(`Cached:\\s+${cached} cached, ${JOBS} total`).test(t.stdout)) {
    fail(`Turborepo ${what}: expected ${cached} of ${JOBS} tasks cached\n${describe('turbo', t)}`);
  }
}

/** Cold for Tandem: `.tandem/cache` goes, `.tandem/tandem.db` (run history) stays. */
function clearTandemCache(ws: string): void {
  rmSync(path.join(ws, '.tandem/cache'), { recursive: true, force: true });
}

/** Cold for turbo: its local cache goes (both places turbo 2 may keep it); run summaries stay. */
function clearTurboCache(ws: string): void {
  rmSync(path.join(ws, '.turbo/cache'), { recursive: true, force: true });
  rmSync(path.join(ws, 'node_modules/.cache/turbo'), { recursive: true, force: true });
}

async function runTandem(
  ws: Workspaces,
  config: string,
  mode: Mode,
  c: number | undefined,
  noCa = false,
): Promise<Timed> {
  checkBudget();
  if (mode === 'cold') clearTandemCache(ws.tandem);
  const env = noCa ? withoutExtraCa(baseEnv) : baseEnv;
  const t = await timed(process.execPath, tandemArgs(path.join(ws.tandem, config), c), ws.tandem, env);
  checkTandem(t, mode, `${mode} run of ${config} (concurrency ${c ?? 'default'})`);
  return t;
}

async function runTurbo(dir: string, mode: Mode, c: number | undefined, noCa = false): Promise<Timed> {
  checkBudget();
  if (mode === 'cold') clearTurboCache(dir);
  const t = await timed(TURBO_BIN, turboArgs(c), dir, noCa ? withoutExtraCa(turboEnv) : turboEnv);
  checkTurbo(t, mode, `${mode} run in ${path.basename(dir)} (concurrency ${c ?? 'default'})`);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Order checks: both tools must really run the tree in order and within the concurrency.

interface Span {
  name: string;
  start: number;
  end: number;
}

function checkSpans(tool: string, spans: Span[], concurrency: number): void {
  const by = new Map(spans.map((s) => [s.name, s]));
  if (by.size !== JOBS) fail(`${tool} order check: ${by.size} jobs ran, expected ${JOBS}`);
  for (let k = 2; k <= JOBS; k++) {
    const job = by.get(`j${k}`)!;
    const parent = by.get(`j${parentOf(k)}`)!;
    if (job.start < parent.end) fail(`${tool} order check: j${k} started before j${parentOf(k)} ended`);
  }
  const events = spans.flatMap((s) => [
    { t: s.start, d: 1 },
    { t: s.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let running = 0;
  let peak = 0;
  for (const e of events) {
    running += e.d;
    peak = Math.max(peak, running);
  }
  if (peak > concurrency)
    fail(`${tool} order check: ${peak} jobs ran at once, concurrency was ${concurrency}`);
  console.log(`  ${tool}: order respected, at most ${peak} at once (concurrency ${concurrency})`);
}

async function orderChecks(ws: Workspaces): Promise<void> {
  console.log('Order checks');
  /** The job's own start and end, as stamped by its script: process spans, not the tool's bookkeeping. */
  const span = (name: string): Span => {
    const read = (f: string) => Number(readFileSync(path.join(ws.stamps, f), 'utf8').trim()) / 1e6;
    return { name, start: read(`${name}.start`), end: read(`${name}.end`) };
  };
  clearTandemCache(ws.tandem);
  const t = await timed(
    process.execPath,
    tandemArgs(path.join(ws.tandem, 'tandem-order.yaml'), 2),
    ws.tandem,
    baseEnv,
  );
  checkTandem(t, 'cold', 'order-check run');
  checkSpans('Tandem', NAMES.map(span), 2);
  clearTandemCache(ws.tandem);

  for (const c of [2, 10]) {
    rmSync(ws.stamps, { recursive: true, force: true });
    mkdirSync(ws.stamps);
    clearTurboCache(ws.turboOrder);
    const u = await timed(TURBO_BIN, turboArgs(c), ws.turboOrder, turboEnv);
    checkTurbo(u, 'cold', 'order-check run');
    checkSpans('Turborepo', NAMES.map(span), c);
  }
}

// ---------------------------------------------------------------------------------------------
// The measurements

interface Scenario {
  id: string;
  label: string;
  mode: Mode;
  /** undefined = the tool's default (no flag). */
  tandemConcurrency: number | undefined;
  turboConcurrency: number | undefined;
  /** The work: `sleep 0.2` (the DAG) or `true` (overhead only). */
  work: 'sleep' | 'true';
  /** Run both tools without NODE_EXTRA_CA_CERTS (see EXTRA_CA). */
  noCa?: boolean;
}

interface Samples {
  tandem: number[];
  turbo: number[];
  /** Tandem's own durationMs from --json (scheduler start to end, without process start-up). */
  tandemInternal: number[];
}

const CPUS = os.availableParallelism();
const TURBO_DEFAULT_CONCURRENCY = 10;

const scenario = (
  id: string,
  label: string,
  mode: Mode,
  c: number | undefined,
  work: Scenario['work'] = 'sleep',
): Scenario => ({ id, label, mode, tandemConcurrency: c, turboConcurrency: c, work });

const SCENARIOS: Scenario[] = [
  scenario('cold-2', 'cold, both --concurrency 2', 'cold', 2),
  scenario('cold-10', 'cold, both --concurrency 10', 'cold', 10),
  scenario(
    'cold-default',
    `cold, defaults (Tandem ${CPUS}, turbo ${TURBO_DEFAULT_CONCURRENCY})`,
    'cold',
    undefined,
  ),
  scenario('cached-2', 'cached replay, both --concurrency 2', 'cached', 2),
  scenario('cached-10', 'cached replay, both --concurrency 10', 'cached', 10),
  scenario('cached-default', 'cached replay, defaults', 'cached', undefined),
  ...(MACHINE_HAS_EXTRA_CA
    ? [
        {
          ...scenario(
            'cached-default-noca',
            'cached replay, defaults, without NODE_EXTRA_CA_CERTS',
            'cached',
            undefined,
          ),
          noCa: true,
        },
      ]
    : []),
  // Tandem only: its own cost per job (turbo's shows in its cold runs minus the ideal).
  scenario('true-2', 'Tandem only: `true` jobs, cold, --concurrency 2', 'cold', 2, 'true'),
  scenario('true-10', 'Tandem only: `true` jobs, cold, --concurrency 10', 'cold', 10, 'true'),
];

async function measure(ws: Workspaces): Promise<Record<string, Samples>> {
  const samples: Record<string, Samples> = Object.fromEntries(
    SCENARIOS.map((s) => [s.id, { tandem: [], turbo: [], tandemInternal: [] }]),
  );
  // Warm-up, not measured: the first start of each binary pays for the page cache.
  await runTandem(ws, 'tandem.yaml', 'cold', undefined);
  await runTurbo(ws.turboSleep, 'cold', undefined);
  await runTandem(ws, 'tandem-true.yaml', 'cold', undefined);

  for (let i = 0; i < RUNS; i++) {
    // Alternate which tool goes first from one round to the next.
    const order: Tool[] = i % 2 === 0 ? ['tandem', 'turbo'] : ['turbo', 'tandem'];
    for (const s of SCENARIOS) {
      // A cached scenario comes after the cold ones, whose last run left the cache warm.
      for (const tool of order) {
        if (tool === 'turbo' && s.work === 'true') continue;
        if (tool === 'tandem') {
          const t = await runTandem(
            ws,
            s.work === 'sleep' ? 'tandem.yaml' : 'tandem-true.yaml',
            s.mode,
            s.tandemConcurrency,
            s.noCa,
          );
          samples[s.id]!.tandem.push(t.wallMs);
          samples[s.id]!.tandemInternal.push((JSON.parse(t.stdout) as TandemJson).durationMs);
        } else {
          const t = await runTurbo(ws.turboSleep, s.mode, s.turboConcurrency, s.noCa);
          samples[s.id]!.turbo.push(t.wallMs);
        }
      }
    }
    const s = SCENARIOS[0]!;
    console.log(
      `  round ${i + 1}/${RUNS}: ${s.id} Tandem ${sec(samples[s.id]!.tandem[i]!)} s, turbo ${sec(samples[s.id]!.turbo[i]!)} s`,
    );
  }
  return samples;
}

interface Boot {
  tandem: number[];
  turbo: number[];
  /** `node -e 0` with the machine's environment, and without NODE_EXTRA_CA_CERTS. */
  node: number[];
  nodeNoCa: number[];
}

async function startup(): Promise<Boot> {
  const out: Boot = { tandem: [], turbo: [], node: [], nodeNoCa: [] };
  for (let i = 0; i < RUNS; i++) {
    out.node.push((await timed(process.execPath, ['-e', '0'], REPO, baseEnv)).wallMs);
    out.nodeNoCa.push((await timed(process.execPath, ['-e', '0'], REPO, withoutExtraCa(baseEnv))).wallMs);
    const t = await timed(process.execPath, [TANDEM_MAIN, '--version'], path.dirname(TANDEM_MAIN), baseEnv);
    if (t.code !== 0) fail(`tandem --version failed\n${describe('tandem', t)}`);
    out.tandem.push(t.wallMs);
    const u = await timed(TURBO_BIN, ['--version'], REPO, turboEnv);
    if (u.code !== 0) fail(`turbo --version failed\n${describe('turbo', u)}`);
    out.turbo.push(u.wallMs);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

/**
 * Copies the built CLI (the whole dist/ directory) into the benchmark's temp directory, with
 * package.json and a node_modules symlink beside it for the native addon, and runs that copy:
 * others may rebuild dist/ while the benchmark runs. Returns a description of the build.
 */
function snapshotCli(root: string): string {
  if (process.env.TANDEM_BENCH_CLI) return `${BUILT_MAIN} (TANDEM_BENCH_CLI, run in place)`;
  const dist = path.join(REPO, 'dist');
  const copy = path.join(root, 'cli');
  mkdirSync(copy);
  cpSync(dist, path.join(copy, 'dist'), { recursive: true });
  cpSync(path.join(REPO, 'package.json'), path.join(copy, 'package.json'));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  TANDEM_MAIN = path.join(copy, 'dist', path.relative(dist, BUILT_MAIN));
  const bytes = readFileSync(BUILT_MAIN);
  const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const built = statSync(BUILT_MAIN)
    .mtime.toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return `${path.relative(REPO, BUILT_MAIN)} (${(bytes.length / 2 ** 20).toFixed(1)} MiB, sha256 ${sha}…, built ${built})`;
}

interface Machine {
  cli: string;
  date: string;
  cpus: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  npm: string;
  turbo: string;
  os: string;
  runs: number;
  loadBefore: string;
  loadAfter: string;
}

function report(machine: Machine, samples: Record<string, Samples>, boot: Boot): string {
  const stat = (xs: number[]) => `${sec(median(xs))} (${sec(Math.min(...xs))}–${sec(Math.max(...xs))})`;
  const lines: string[] = [];
  lines.push(
    `Wall time in seconds, median (min–max) of ${machine.runs} runs each; ratio = Tandem median / Turborepo median (< 1: Tandem is faster).`,
    '',
    '| scenario | Tandem | Turborepo | Tandem / turbo | ideal (zero-overhead) |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const s of SCENARIOS.filter((x) => x.work === 'sleep')) {
    const x = samples[s.id]!;
    const ratio = median(x.tandem) / median(x.turbo);
    let ideal = '—';
    if (s.work === 'sleep' && s.mode === 'cold') {
      const tc = s.tandemConcurrency ?? CPUS;
      const uc = s.turboConcurrency ?? TURBO_DEFAULT_CONCURRENCY;
      ideal =
        tc === uc
          ? sec(idealSteps(tc) * SLEEP_S * 1000)
          : `${sec(idealSteps(tc) * SLEEP_S * 1000)} / ${sec(idealSteps(uc) * SLEEP_S * 1000)}`;
    }
    lines.push(`| ${s.label} | ${stat(x.tandem)} | ${stat(x.turbo)} | ${ratio.toFixed(2)} | ${ideal} |`);
  }
  lines.push(
    `| start-up only (\`--version\`) | ${stat(boot.tandem)} | ${stat(boot.turbo)} | ${(median(boot.tandem) / median(boot.turbo)).toFixed(2)} | — |`,
    `| Node itself (\`node -e 0\`), machine environment / without NODE_EXTRA_CA_CERTS | ${sec(median(boot.node))} / ${sec(median(boot.nodeNoCa))} | — | — | — |`,
  );

  lines.push(
    '',
    'Overhead over the zero-overhead ideal (cold `sleep 0.2` tree, medians, seconds; a round is one step of the ideal schedule, so "per round" is the cost each tool adds to every job on the critical path):',
    '',
    '| concurrency | ideal (rounds) | Tandem − ideal | per round | turbo − ideal | per round | Tandem in-engine (`durationMs`) − ideal |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const id of ['cold-2', 'cold-10']) {
    const s = SCENARIOS.find((x) => x.id === id)!;
    const x = samples[id]!;
    const steps = idealSteps(s.tandemConcurrency!);
    const ideal = steps * SLEEP_S * 1000;
    const over = (xs: number[]) => median(xs) - ideal;
    lines.push(
      `| ${s.tandemConcurrency} | ${sec(ideal)} (${steps}) | ${sec(over(x.tandem))} | ${sec(over(x.tandem) / steps)} | ${sec(over(x.turbo))} | ${sec(over(x.turbo) / steps)} | ${sec(over(x.tandemInternal))} |`,
    );
  }

  lines.push(
    '',
    'Tandem per-job overhead: the same tree with `run: "true"`, cold, wall / 20 (medians, ms; "without start-up" first subtracts the `--version` wall):',
    '',
    '| concurrency | wall (s) | ms/job | ms/job without start-up | in-engine `durationMs` / 20 |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const id of ['true-2', 'true-10']) {
    const s = SCENARIOS.find((x) => x.id === id)!;
    const x = samples[id]!;
    lines.push(
      `| ${s.tandemConcurrency} | ${sec(median(x.tandem))} | ${ms1(median(x.tandem) / JOBS)} | ${ms1((median(x.tandem) - median(boot.tandem)) / JOBS)} | ${ms1(median(x.tandemInternal) / JOBS)} |`,
    );
  }

  const coldEq = samples['cold-2']!;
  const coldEq10 = samples['cold-10']!;
  const coldDef = samples['cold-default']!;
  const cachedDef = samples['cached-default']!;
  const verdict = (ok: boolean) => (ok ? '**met**' : '**missed**');
  lines.push(
    '',
    'Targets:',
    '',
    `- Tandem cold no slower than Turborepo: equal concurrency (2) ${sec(median(coldEq.tandem))} s vs ${sec(median(coldEq.turbo))} s — ${verdict(median(coldEq.tandem) <= median(coldEq.turbo))}; equal concurrency (10) ${sec(median(coldEq10.tandem))} s vs ${sec(median(coldEq10.turbo))} s — ${verdict(median(coldEq10.tandem) <= median(coldEq10.turbo))}; defaults ${sec(median(coldDef.tandem))} s vs ${sec(median(coldDef.turbo))} s — ${verdict(median(coldDef.tandem) <= median(coldDef.turbo))}.`,
    `- Cached replay <= ${TARGET_CACHED_S} s wall: Tandem ${sec(median(cachedDef.tandem))} s (max ${sec(Math.max(...cachedDef.tandem))} s) — ${verdict(median(cachedDef.tandem) <= TARGET_CACHED_S * 1000)}${MACHINE_HAS_EXTRA_CA ? ' with the machine environment' : ''}.`,
  );
  const noCa = samples['cached-default-noca'];
  if (noCa) {
    lines.push(
      `- Cached replay <= ${TARGET_CACHED_S} s wall without NODE_EXTRA_CA_CERTS (Node's own start-up cost on this machine, not Tandem's: \`node -e 0\` takes ${sec(median(boot.node))} s with it, ${sec(median(boot.nodeNoCa))} s without): Tandem ${sec(median(noCa.tandem))} s (max ${sec(Math.max(...noCa.tandem))} s) — ${verdict(median(noCa.tandem) <= TARGET_CACHED_S * 1000)}.`,
    );
  }
  return lines.join('\n');
}

function machineText(m: Machine): string {
  return [
    `- Date: ${m.date}`,
    `- Machine: \`nproc\` = ${m.cpus} (${m.cpuModel}), ${m.memGiB} GiB memory, ${m.os}`,
    `- Node ${m.node}, npm ${m.npm}, turbo ${m.turbo}`,
    `- Tandem CLI: ${m.cli}`,
    `- Load average (1/5/15 min) before: ${m.loadBefore}, after: ${m.loadAfter} (other work shares this machine)`,
    `- Runs: ${m.runs} per tool and scenario, tools alternated run by run (and which goes first, round by round)`,
  ].join('\n');
}

const BEGIN = '<!-- bench:pipeline-dag:begin (generated by bench/pipeline-dag.bench.ts --write-docs) -->';
const END = '<!-- bench:pipeline-dag:end -->';
const SECTION = '## Pipeline: 20-job binary-tree DAG';

function writeDocs(generated: string): void {
  const block = `${BEGIN}\n\n${generated}\n\n${END}`;
  let doc = existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, 'utf8') : '# Benchmarks\n';
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  if (b >= 0 && e > b) {
    doc = doc.slice(0, b) + block + doc.slice(e + END.length);
  } else if (doc.includes(SECTION)) {
    const at = doc.indexOf('\n', doc.indexOf(SECTION)) + 1;
    doc = `${doc.slice(0, at)}\n${block}\n${doc.slice(at)}`;
  } else {
    doc = `${doc.trimEnd()}\n\n${SECTION}\n\n${block}\n`;
  }
  writeFileSync(DOCS_FILE, doc);
  // The repository's formatter pads the Markdown tables; keep `biome check` green.
  const biome = path.join(REPO, 'node_modules/.bin/biome');
  if (existsSync(biome)) sh(biome, ['format', '--write', DOCS_FILE], REPO);
  console.log(`\nUpdated ${path.relative(REPO, DOCS_FILE)}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(BUILT_MAIN)) fail(`${BUILT_MAIN} is missing: run \`npm run build\` first`);
  if (!existsSync(TURBO_BIN)) fail(`${TURBO_BIN} is missing: run \`npm install\` (turbo is a devDependency)`);
  const npmVersion = sh('npm', ['--version'], REPO);
  const machine: Machine = {
    date: new Date().toISOString().slice(0, 10),
    cpus: CPUS,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    npm: npmVersion,
    turbo: sh(TURBO_BIN, ['--version'], REPO),
    os: `${os.type()} ${os.release()}`,
    runs: RUNS,
    cli: '',
    loadBefore: loadavg(),
    loadAfter: '',
  };
  const ws = makeWorkspaces(npmVersion);
  const cleanup = () => rmSync(ws.root, { recursive: true, force: true });
  process.once('SIGINT', () => {
    killRunning();
    cleanup();
    process.exit(130);
  });
  try {
    machine.cli = snapshotCli(ws.root);
    console.log(`Workspace ${ws.root}; ${RUNS} runs per tool and scenario\n`);
    await orderChecks(ws);
    console.log('\nMeasuring');
    const samples = await measure(ws);
    const boot = await startup();
    machine.loadAfter = loadavg();
    const generated = `${machineText(machine)}\n\n${report(machine, samples, boot)}`;
    console.log(`\n${generated}\n`);
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify({ machine, scenarios: SCENARIOS, samples, startup: boot }, null, 2)}\n`,
    );
    console.log(`Raw samples: ${path.relative(REPO, RESULTS_FILE)}`);
    if (WRITE_DOCS) writeDocs(generated);
    console.log(`Done in ${sec(performance.now() - started)} s`);
  } finally {
    cleanup();
  }
}

main().catch((e: unknown) => {
  if (e instanceof BenchError) {
    console.error(`\nBENCHMARK ABORTED: ${e.message}`);
  } else {
    console.error(e);
  }
  process.exitCode = 1;
});
