/**
 * Zero downtime under load: Tandem's rollouts against PM2's `reload`, same app, same load, one run.
 *
 *   npx tsx bench/zero-downtime.bench.ts [--duration 30] [--write-docs] [--only tandem|pm2] [--keep]
 *   (= npm run bench:zero-downtime)
 *
 * Tandem: a temporary git project (service `web`, 2 replicas, environment `production`, rolling),
 * `tandem up --detach` on free ports; once both instances are ready, 50 keep-alive connections of
 * back-to-back requests hit the listener while cycles run back to back until the duration is over:
 * a rolling deploy of a new commit, a blue-green deploy of a new commit (strategy switched by a
 * committed tandem.yaml edit + `tandem apply`, then switched back the same way), `tandem restart`,
 * `tandem rollback`. Each verb must exit 0 (promoted). Then the load stops and `tandem down`.
 *
 * PM2: pm2 (PM2_VERSION, installed on first use into ~/.cache/tandem-bench/pm2, never into the
 * project) runs the same app in cluster mode with 2 instances and a private PM2_HOME; the same
 * load; `pm2 reload` back to back (at least 3) until the duration is over; then `pm2 kill`.
 *
 * The load (bench/lib-zero-downtime-load.ts) runs in a process of its own and counts every request
 * exactly: 2xx, other statuses, errors (reset, refused, timeout). Failures are listed against the
 * step (cycle or reload) they happened in. Idle RSS of Tandem's control plane, agent (data plane
 * and supervisor) and PM2's daemon is read from /proc/<pid>/status after the load.
 *
 * Bounded: every verb has a timeout and the whole run a hard deadline. Processes are found by pid
 * only (.tandem/server.json, .tandem/run/agent.json, `tandem status`; PM2_HOME/pm2.pid, `pm2
 * jlist`), remembered with their start time, and killed by pid if still there at the end. Temporary
 * directories are removed (unless --keep). Raw results go to bench/results/zero-downtime.json;
 * --write-docs replaces only the generated block of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addTempDir,
  argValue,
  BenchError,
  commitAll,
  copyTandemLogs,
  fail,
  fetchStatus,
  freePorts,
  hardDeadline,
  initGitProject,
  installCleanup,
  type LoadProcess,
  machineLines,
  REPO,
  readJson,
  reapDaemons,
  remember,
  rememberTandemFiles,
  run,
  snapshotCli,
  startLoadProcess,
  tandemEnv,
  verbFailure,
  waitFor,
  writeDocsBlock,
} from './lib-tandem-bench.js';
import type { LoadFailure, LoadResult } from './lib-zero-downtime-load.js';

const LOAD_SCRIPT = path.join(REPO, 'bench/lib-zero-downtime-load.ts');
const RESULTS_FILE = path.join(REPO, 'bench/results/zero-downtime.json');
const DOCS_FILE = path.join(REPO, 'docs/benchmarks.md');
const START = '<!-- zero-downtime-bench:start -->';
const END = '<!-- zero-downtime-bench:end -->';

const PM2_VERSION = '5.4.3';
const PM2_DIR = path.join(os.homedir(), '.cache', 'tandem-bench', 'pm2');
const PM2_APP = 'zdbench';

const CONNECTIONS = 50;
const REQUEST_TIMEOUT_MS = 10_000;
/** Steady load before the first rollout, and after the last one (late failures show up). */
const LEAD_MS = 1_000;
const TAIL_MS = 2_000;
/** Quiet time after the load before reading the idle RSS. */
const SETTLE_MS = 3_000;
const MIN_PM2_RELOADS = 3;

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
const DURATION_S = (() => {
  const raw = argValue('--duration');
  if (raw === undefined) return 30;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 5 || v > 600)
    fail('--duration must be a whole number of seconds, 5 to 600');
  return v;
})();
const ONLY = argValue('--only');
if (ONLY !== undefined && ONLY !== 'tandem' && ONLY !== 'pm2') fail('--only must be tandem or pm2');
const WRITE_DOCS = argv.includes('--write-docs');
const KEEP = argv.includes('--keep');
if (WRITE_DOCS && ONLY !== undefined) fail('--write-docs needs both peers (no --only)');
/** Everything stops by this deadline, whatever hangs. */
const HARD_DEADLINE_MS = 2 * DURATION_S * 1000 + 10 * 60_000;

// Whatever is left at exit is killed by pid (bench/lib-tandem-bench.ts).
installCleanup(KEEP);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

// ---------------------------------------------------------------------------------------------
// The app (the same file for both) and the load

/** node:http, PORT from the environment, /healthz, SIGTERM (or SIGINT, PM2's default) closes. */
function appSource(version: number): string {
  return `// The benchmark's app: answers 200 at once; /healthz; closes gracefully on SIGTERM/SIGINT.
import { createServer } from 'node:http';

const VERSION = 'v${version}';
const body = Buffer.from(\`\${VERSION} \${process.env.TANDEM_RELEASE ?? ''} \${process.pid}\\n\`);
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
// Finish in-flight requests, then exit (like examples/hello).
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;
}

function startLoad(port: number) {
  const maxMs = HARD_DEADLINE_MS;
  return startLoadProcess<LoadResult>(
    LOAD_SCRIPT,
    [port, CONNECTIONS, REQUEST_TIMEOUT_MS, maxMs],
    REQUEST_TIMEOUT_MS,
  );
}

/**
 * Keeps the load on until `endAt` (+TAIL_MS), stops it, and reads the idle memory SETTLE_MS later,
 * next to `idle` (read before the load).
 */
async function endLoad(
  loadRun: LoadProcess<LoadResult>,
  endAt: number,
  idle: Map<string, number>,
  readMemory: () => Promise<Map<string, number>>,
): Promise<{ load: LoadResult; memory: PeerRun['memory'] }> {
  while (Date.now() < endAt) await sleep(100);
  await sleep(TAIL_MS);
  const load = await loadRun.stop();
  await sleep(SETTLE_MS);
  const after = await readMemory();
  const memory = [...idle].map(([what, before]) => ({ what, before, after: after.get(what) ?? Number.NaN }));
  return { load, memory };
}

// ---------------------------------------------------------------------------------------------
// Steps (cycles and reloads) and what they are compared with

interface Step {
  kind: string;
  /** 1-based number of this kind of step. */
  n: number;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  detail: string;
  /** Sub-events (Date.now()), e.g. `apply`, `deploy promoted`. */
  marks: Array<{ t: number; what: string }>;
}

interface PeerRun {
  name: string;
  version: string;
  load: LoadResult;
  steps: Step[];
  stepErrors: string[];
  /** VmRSS in MiB, idle: after the start (before the load) and after the load. */
  memory: Array<{ what: string; before: number; after: number }>;
}

class Steps {
  readonly list: Step[] = [];
  readonly errors: string[] = [];
  private readonly counts = new Map<string, number>();

  async run(kind: string, body: (mark: (what: string) => void) => Promise<string>): Promise<boolean> {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    const step: Step = { kind, n, startedAt: Date.now(), endedAt: 0, ok: false, detail: '', marks: [] };
    this.list.push(step);
    const mark = (what: string) => step.marks.push({ t: Date.now(), what });
    try {
      step.detail = await body(mark);
      step.ok = true;
    } catch (err) {
      step.detail = err instanceof Error ? err.message : String(err);
      this.errors.push(`${kind} #${n}: ${step.detail}`);
    }
    step.endedAt = Date.now();
    console.log(
      `  ${kind} #${n}: ${step.ok ? 'ok' : 'FAILED'} in ${((step.endedAt - step.startedAt) / 1000).toFixed(1)} s${step.ok ? '' : ` — ${step.detail}`}`,
    );
    return step.ok;
  }

  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Tandem

/** The CLI's main.js in the snapshot of dist/ (set by main()). */
let TANDEM_MAIN = '';

function tandemYaml(listen: number, strategy: 'rolling' | 'blue-green'): string {
  return `project: zdbench
server: { auth: false } # a loopback bench: the API is polled without a token
pipeline:
  jobs:
    build:
      run: node -e 0
services:
  web:
    run: node app.mjs
    health: { path: /healthz, interval: 500ms }
    replicas: 2
environments:
  production:
    listen: ${listen}
    strategy: ${strategy}
    scaleDownDelay: 2s # blue-green only: old instances stay warm this long after the cutover
`;
}

interface TandemStatus {
  environments: Array<{
    name: string;
    rollout: null | { id: string; state: string; strategy: string; release: string; kind: string };
    services: Array<{
      name: string;
      release: string;
      replicas: { desired: number; ready: number };
      instances: Array<{
        id: string;
        state: string;
        healthy: boolean;
        inTraffic: boolean;
        pid: number | null;
      }>;
    }>;
  }>;
}

async function runTandem(work: string): Promise<PeerRun> {
  const dir = path.join(work, 'tandem');
  mkdirSync(dir);
  const env = tandemEnv(work);
  const [apiPort, listenPort] = (await freePorts(2)) as [number, number];
  let version = 1;
  const write = (strategy: 'rolling' | 'blue-green') => {
    writeFileSync(path.join(dir, 'tandem.yaml'), tandemYaml(listenPort, strategy));
    writeFileSync(path.join(dir, 'app.mjs'), appSource(version));
  };
  write('rolling');
  initGitProject(dir, {}, 'v1');
  const commit = (message: string) => commitAll(dir, message);

  const tandem = (...args: string[]) => run(process.execPath, [TANDEM_MAIN, ...args], { cwd: dir, env });
  const rememberFiles = () => rememberTandemFiles(dir);
  const status = () => fetchStatus<TandemStatus>(apiPort);
  const production = (s: TandemStatus) => {
    const e = s.environments.find((x) => x.name === 'production');
    const web = e?.services.find((x) => x.name === 'web');
    if (e === undefined || web === undefined) fail('no production.web in the status');
    return { env: e, web };
  };
  const waitSteady = () =>
    waitFor('2 ready instances of production.web', 120_000, async () => {
      const { env: e, web } = production(await status());
      const steady =
        e.rollout !== null &&
        e.rollout.state === 'promoted' &&
        web.replicas.ready === 2 &&
        web.instances.length === 2 &&
        web.instances.every((i) => i.state === 'running' && i.healthy && i.inTraffic);
      return steady ? true : undefined;
    });

  console.log(`Tandem: project in ${dir}, API on ${apiPort}, production on ${listenPort}`);
  const steps = new Steps();
  let load: LoadResult | undefined;
  const memory: PeerRun['memory'] = [];
  try {
    const up = await tandem('up', '--detach', '--port', String(apiPort));
    rememberFiles();
    if (up.code !== 0) fail(verbFailure('tandem up --detach', up));
    await waitSteady();
    rememberFiles();
    const readMemory = async () => {
      const server = readJson(path.join(dir, '.tandem/server.json')) as { pid: number };
      const agent = readJson(path.join(dir, '.tandem/run/agent.json')) as { pid: number };
      const { web } = production(await status());
      const instances = web.instances.map((i) => i.pid).filter((p): p is number => p !== null);
      return new Map([
        ['Tandem control plane (`tandem up`)', rssMiB(server.pid)],
        ['Tandem agent (data plane + supervisor)', rssMiB(agent.pid)],
        ['Tandem: app instances (2, sum)', instances.reduce((sum, pid) => sum + rssMiB(pid), 0)],
      ]);
    };
    await sleep(SETTLE_MS);
    const idle = await readMemory();

    const loadRun = await startLoad(listenPort);
    const endAt = loadRun.startedAt + DURATION_S * 1000;
    console.log(`Tandem: load on, ${DURATION_S} s of cycles`);
    await sleep(LEAD_MS);

    /** A verb that starts a rollout: exit 0 (promoted) with the expected kind and strategy. */
    const rollout = async (args: string[], kind: string, strategy: string, mark: (w: string) => void) => {
      const r = await tandem(...args);
      mark(`${args.join(' ')} exited ${r.code}`);
      if (r.code !== 0) fail(verbFailure(`tandem ${args.join(' ')}`, r));
      const { env: e } = production(await status());
      if (e.rollout?.kind !== kind || e.rollout.strategy !== strategy || e.rollout.state !== 'promoted')
        fail(`expected a promoted ${strategy} ${kind}, status says ${JSON.stringify(e.rollout)}`);
      return `${e.rollout.release} (${e.rollout.id})`;
    };
    const apply = async (mark: (w: string) => void) => {
      const r = await tandem('apply');
      mark(`apply exited ${r.code}`);
      if (r.code !== 0) fail(verbFailure('tandem apply', r));
    };
    const cycle: Array<[string, (mark: (w: string) => void) => Promise<string>]> = [
      [
        'rolling deploy',
        async (mark) => {
          version++;
          write('rolling');
          commit(`v${version}`);
          return rollout(['deploy', 'production'], 'deploy', 'rolling', mark);
        },
      ],
      [
        'blue-green deploy',
        async (mark) => {
          version++;
          write('blue-green');
          commit(`v${version}, blue-green`);
          await apply(mark);
          const release = await rollout(['deploy', 'production'], 'deploy', 'blue-green', mark);
          write('rolling');
          commit('back to rolling');
          await apply(mark);
          return release;
        },
      ],
      ['restart', (mark) => rollout(['restart', 'production'], 'restart', 'rolling', mark)],
      ['rollback', (mark) => rollout(['rollback', 'production'], 'rollback', 'rolling', mark)],
    ];
    cycles: for (;;) {
      for (const [kind, body] of cycle) {
        if (Date.now() >= endAt) break cycles;
        if (!(await steps.run(kind, body))) break cycles;
        rememberFiles();
      }
    }
    // A failed step ends the cycles; the load still runs for the whole duration.
    const end = await endLoad(loadRun, endAt, idle, readMemory);
    load = end.load;
    memory.push(...end.memory);
  } finally {
    rememberFiles();
    const down = await tandem('down');
    if (down.code !== 0) console.error(verbFailure('tandem down', down));
    const left = await reapDaemons(20_000);
    if (left.length > 0) console.error(`Tandem: killed what \`tandem down\` left: pids ${left.join(', ')}`);
    if (KEEP) copyTandemLogs(dir, work);
  }
  const cli = await run(process.execPath, [TANDEM_MAIN, '--version'], { cwd: dir, env });
  return {
    name: 'Tandem',
    version: cli.stdout.trim(),
    load: load!,
    steps: steps.list,
    stepErrors: steps.errors,
    memory,
  };
}

// ---------------------------------------------------------------------------------------------
// PM2

/** pm2's bin, installed on first use outside the repository (never in its package.json). */
function ensurePm2(): string {
  const bin = path.join(PM2_DIR, 'node_modules/pm2/bin/pm2');
  const installed = (readJson(path.join(PM2_DIR, 'node_modules/pm2/package.json')) as { version?: string })
    ?.version;
  if (existsSync(bin) && installed === PM2_VERSION) return bin;
  console.log(`installing pm2@${PM2_VERSION} into ${PM2_DIR}`);
  mkdirSync(PM2_DIR, { recursive: true });
  const r = spawnSync(
    'npm',
    ['install', '--prefix', PM2_DIR, `pm2@${PM2_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: PM2_DIR, encoding: 'utf8', timeout: 5 * 60_000, killSignal: 'SIGKILL' },
  );
  if (r.status !== 0 || !existsSync(bin))
    fail(`npm install pm2@${PM2_VERSION} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return bin;
}

interface Pm2Process {
  pid: number;
  pm2_env: { status: string; exec_mode: string };
}

async function runPm2(work: string): Promise<PeerRun> {
  const bin = ensurePm2();
  const dir = path.join(work, 'pm2');
  const home = path.join(work, 'pm2-home');
  mkdirSync(dir);
  const [port] = (await freePorts(1)) as [number];
  writeFileSync(path.join(dir, 'app.mjs'), appSource(1));
  writeFileSync(
    path.join(dir, 'ecosystem.config.cjs'),
    `module.exports = {
  apps: [{ name: '${PM2_APP}', script: './app.mjs', exec_mode: 'cluster', instances: 2, env: { PORT: '${port}' } }],
};
`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, PM2_HOME: home, NO_COLOR: '1' };
  const pm2 = (...args: string[]) =>
    run(process.execPath, [bin, ...args], { cwd: dir, env, timeoutMs: 60_000 });
  const rememberDaemon = () => {
    try {
      remember(Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8').trim()));
    } catch {
      // not started yet
    }
  };
  const jlist = async (): Promise<Pm2Process[]> => {
    const r = await pm2('jlist');
    if (r.code !== 0) fail(verbFailure('pm2 jlist', r));
    const list = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as Pm2Process[];
    for (const p of list) remember(p.pid);
    return list;
  };

  console.log(`PM2 ${PM2_VERSION}: cluster of 2 on ${port}, PM2_HOME ${home}`);
  const steps = new Steps();
  let load: LoadResult | undefined;
  const memory: PeerRun['memory'] = [];
  try {
    const start = await pm2('start', 'ecosystem.config.cjs');
    rememberDaemon();
    if (start.code !== 0) fail(verbFailure('pm2 start', start));
    await waitFor('2 online PM2 cluster workers answering', 60_000, async () => {
      const list = await jlist();
      const online = list.filter(
        (p) => p.pm2_env.status === 'online' && p.pm2_env.exec_mode === 'cluster_mode',
      );
      if (online.length !== 2) return undefined;
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.ok ? true : undefined;
    });
    const readMemory = async () => {
      const daemon = Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8').trim());
      const workers = (await jlist()).map((p) => p.pid).filter((p) => p > 0);
      return new Map([
        ['PM2 daemon (God, cluster primary)', rssMiB(daemon)],
        ['PM2: app instances (2, sum)', workers.reduce((sum, pid) => sum + rssMiB(pid), 0)],
      ]);
    };
    await sleep(SETTLE_MS);
    const idle = await readMemory();

    const loadRun = await startLoad(port);
    const endAt = loadRun.startedAt + DURATION_S * 1000;
    console.log(`PM2: load on, \`pm2 reload\` for ${DURATION_S} s (at least ${MIN_PM2_RELOADS})`);
    await sleep(LEAD_MS);
    while (Date.now() < endAt || steps.count('reload') < MIN_PM2_RELOADS) {
      const ok = await steps.run('reload', async (mark) => {
        const r = await pm2('reload', PM2_APP);
        mark(`reload exited ${r.code}`);
        if (r.code !== 0) fail(verbFailure(`pm2 reload ${PM2_APP}`, r));
        const online = (await jlist()).filter((p) => p.pm2_env.status === 'online').length;
        return `${online} online`;
      });
      if (!ok) break;
    }
    const end = await endLoad(loadRun, endAt, idle, readMemory);
    load = end.load;
    memory.push(...end.memory);
  } finally {
    rememberDaemon();
    await jlist().catch(() => undefined);
    const kill = await pm2('kill');
    if (kill.code !== 0) console.error(verbFailure('pm2 kill', kill));
    const left = await reapDaemons(20_000);
    if (left.length > 0) console.error(`PM2: killed what \`pm2 kill\` left: pids ${left.join(', ')}`);
  }
  return {
    name: 'PM2',
    version: PM2_VERSION,
    load: load!,
    steps: steps.list,
    stepErrors: steps.errors,
    memory,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmtInt = (n: number) => n.toLocaleString('en-US');
const sec = (ms: number) => (ms / 1000).toFixed(1);

function loadSeconds(l: LoadResult): number {
  return (l.endedAt - l.startedAt) / 1000;
}

/** The step a failure happened in (or the gap after one), for the failure log. */
function whereWas(f: LoadFailure, steps: Step[]): string {
  for (const s of steps) {
    if (f.t >= s.startedAt && f.t <= s.endedAt) {
      const lastMark = s.marks.filter((m) => m.t <= f.t).at(-1);
      return `during ${s.kind} #${s.n} (+${sec(f.t - s.startedAt)} s${lastMark ? `, after "${lastMark.what}"` : ''})`;
    }
  }
  const before = steps.filter((s) => s.endedAt < f.t).at(-1);
  return before
    ? `${sec(f.t - before.endedAt)} s after ${before.kind} #${before.n} ended`
    : 'before any step';
}

function failureLog(peer: PeerRun): string[] {
  const l = peer.load;
  if (l.failures.length === 0) return [];
  const lines = [`${peer.name}: ${l.errors + l.non2xx} failed requests`];
  const byStep = new Map<string, number>();
  for (const f of l.failures) {
    const where = whereWas(f, peer.steps).replace(/ \(.*$/, '');
    byStep.set(where, (byStep.get(where) ?? 0) + 1);
  }
  for (const [where, n] of byStep) lines.push(`  ${n} ${where}`);
  for (const f of l.failures.slice(0, 40)) {
    lines.push(
      `  t+${sec(f.t - l.startedAt)} s ${f.kind} (sent t+${sec(f.sentAt - l.startedAt)} s, ${f.reused === 0 ? 'new connection' : `connection's request #${f.reused + 1}`}) ${whereWas(f, peer.steps)}: ${f.message}`,
    );
  }
  if (l.failures.length > 40)
    lines.push(`  … ${l.failures.length - 40} more in ${path.relative(REPO, RESULTS_FILE)}`);
  return lines;
}

function stepSummary(peer: PeerRun): string {
  const counts = new Map<string, number>();
  for (const s of peer.steps) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ');
}

function stepDurations(peer: PeerRun): string {
  const byKind = new Map<string, number[]>();
  for (const s of peer.steps) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s.endedAt - s.startedAt]);
  return [...byKind].map(([k, ms]) => `${k} ${sec(ms.reduce((a, b) => a + b, 0) / ms.length)} s`).join(', ');
}

/** Which app versions and instances (pids) answered, from the bodies (`<version> <release> <pid>`). */
function answeredBy(l: LoadResult): string {
  const versions = new Set<string>();
  const pids = new Set<string>();
  for (const body of Object.keys(l.bodies)) {
    const words = body.split(/\s+/);
    versions.add(words[0] ?? '');
    pids.add(words.at(-1) ?? '');
  }
  const sorted = [...versions].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  return `answered by ${pids.size} instances (pids) running ${sorted.length === 1 ? 'app version' : 'app versions'} ${sorted.join(', ')}`;
}

function report(
  peers: PeerRun[],
  machine: { cli: string; loadBefore: number[]; loadAfter: number[] },
): string {
  const lines = [
    ...machineLines(machine, `; PM2 ${PM2_VERSION}`),
    `- Load: ${CONNECTIONS} keep-alive connections, back-to-back GET /, ${DURATION_S} s of rollouts (+${sec(LEAD_MS)} s before the first, +${sec(TAIL_MS)} s after the last); request timeout ${sec(REQUEST_TIMEOUT_MS)} s`,
    '',
    '| | requests | failed (errors) | non-2xx | req/s | load (s) | rollouts during the load |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const p of peers) {
    const l = p.load;
    const errs = Object.entries(l.byError)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    lines.push(
      `| ${p.name} | ${fmtInt(l.requests)} | ${fmtInt(l.errors)}${errs ? ` (${errs})` : ''} | ${fmtInt(l.non2xx)} | ${fmtInt(Math.round(l.requests / loadSeconds(l)))} | ${loadSeconds(l).toFixed(1)} | ${stepSummary(p)} |`,
    );
  }
  lines.push('');
  for (const p of peers) {
    const failed = p.load.errors + p.load.non2xx;
    const n = p.steps.length;
    lines.push(
      `- ${p.name}: ${n} rollouts (mean time per step: ${stepDurations(p)}); ${answeredBy(p.load)}; ${fmtInt(failed)} failed or non-2xx requests${n > 0 ? ` = ${(failed / n).toFixed(1)} per rollout` : ''}${p.stepErrors.length > 0 ? `; **${p.stepErrors.length} step(s) failed**: ${p.stepErrors.map((e) => e.split('\n')[0]).join('; ')}` : ''}`,
    );
  }
  const tandem = peers.find((p) => p.name === 'Tandem');
  if (tandem !== undefined) {
    const zero = tandem.load.errors === 0 && tandem.load.non2xx === 0 && tandem.stepErrors.length === 0;
    lines.push(
      `- Target (Tandem: 0 failed, 0 non-2xx, every rollout promoted): **${zero ? 'met' : 'missed'}**`,
    );
  }
  lines.push(
    '',
    `Idle memory (VmRSS, MiB), ${sec(SETTLE_MS)} s after the start (2 instances ready, before the load) and ${sec(SETTLE_MS)} s after the load:`,
    '',
    '| process | idle after start | idle after the load |',
    '| --- | ---: | ---: |',
  );
  for (const p of peers)
    for (const m of p.memory) lines.push(`| ${m.what} | ${m.before.toFixed(1)} | ${m.after.toFixed(1)} |`);
  return lines.join('\n');
}

const DOCS_SECTION = `## Zero downtime: Tandem vs PM2 reload

The same small app (node:http, 200 at once, \`/healthz\`, closes gracefully on SIGTERM/SIGINT like
examples/hello) under the same load, first run by Tandem, then by PM2 in cluster mode, in one run of
\`bench/zero-downtime.bench.ts\` (\`npm run bench:zero-downtime -- --write-docs\`, after \`npm run build\`).

- **Load**: 50 keep-alive connections sending GET / back to back to 127.0.0.1 from a process of its own
  (node:http, one keep-alive Agent with \`maxSockets: 50\`). Every request is counted exactly: a 2xx,
  another status (non-2xx) or an error (connection reset, refused, no response within 10 s). No retries.
- **Tandem**: 2 replicas, \`health: { path: /healthz, interval: 500ms }\`, other settings at their defaults.
  While the load runs, cycles run back to back: a rolling deploy of a new commit; a blue-green deploy of a new
  commit (a committed tandem.yaml edit switches the strategy and \`tandem apply\` loads it, \`scaleDownDelay: 2s\`;
  the same way back to rolling afterwards); \`tandem restart production\`; \`tandem rollback production\`. Every
  verb must exit 0 (promoted). One environment, so the load keeps hitting the same listener throughout.
- **PM2**: the same app file in cluster mode (\`instances: 2\`, PM2's defaults otherwise), \`pm2 reload\` back to
  back for the same duration (at least 3 times). PM2 is installed on first use into \`~/.cache/tandem-bench/pm2\`.
- **Memory**: VmRSS from \`/proc/<pid>/status\`, idle, 3 s after the start (both instances ready, before the
  load) and 3 s after the load: Tandem's control plane and its agent (the one process that runs the data plane
  and supervises the instances), PM2's daemon (which is also the cluster's primary); the app instances for scale.

@BLOCK@
`;

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tandem-zd-bench-')));
  addTempDir(work);
  hardDeadline(
    HARD_DEADLINE_MS,
    `zero-downtime bench: hard deadline (${HARD_DEADLINE_MS / 60_000} min) reached; stopping`,
  );
  const loadBefore = os.loadavg();
  const snapshot = snapshotCli(work);
  TANDEM_MAIN = snapshot.main;
  const cli = snapshot.description;
  const peers: PeerRun[] = [];
  if (ONLY !== 'pm2') peers.push(await runTandem(work));
  if (ONLY !== 'tandem') peers.push(await runPm2(work));

  const text = report(peers, { cli, loadBefore, loadAfter: os.loadavg() });
  console.log(`\n${text}`);
  const failures = peers.flatMap(failureLog);
  if (failures.length > 0) console.log(`\nFailures, against the steps:\n${failures.join('\n')}`);
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ date: new Date().toISOString(), durationS: DURATION_S, connections: CONNECTIONS, peers }, null, 1)}\n`,
  );
  if (WRITE_DOCS) {
    writeDocsBlock(DOCS_FILE, { start: START, end: END }, DOCS_SECTION, text);
    console.log(`\nwrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
  }
  if (KEEP) console.log(`\nkept ${work}`);
  const tandem = peers.find((p) => p.name === 'Tandem');
  if (peers.some((p) => p.stepErrors.length > 0)) process.exitCode = 1;
  if (tandem !== undefined && tandem.load.errors + tandem.load.non2xx > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof BenchError ? `zero-downtime bench: ${err.message}` : err);
  process.exit(1);
});
