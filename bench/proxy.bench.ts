/**
 * Tandem's data plane against nginx, on the same upstream app, on the same machine, in one run.
 *
 *   npx tsx bench/proxy.bench.ts [--duration 10] [--rounds 5] [--write-docs]   (= npm run bench:proxy)
 *
 * Three targets, all on 127.0.0.1: the app direct; the app through Tandem's builtin data plane (its
 * own process, bundled with esbuild as production bundles it); the app through nginx (1 worker,
 * keep-alive upstream). Each round measures every target (order rotating round by round):
 * throughput with wrk at full load, then latency at a moderate paced load. Medians over the rounds.
 * Also: the CPU time the proxy process spends per request, and the data plane's idle RSS.
 *
 * Needs `wrk` and `nginx` (Debian: `apt-get install -y nginx wrk`). Starts and stops its own
 * processes (killed by pid, never by name), bounded in time. Raw numbers go to
 * bench/results/proxy.json; --write-docs replaces the generated block of "Data plane vs nginx" in
 * docs/benchmarks.md (and adds the section at the end if missing).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { pacingScript, runWrk, type WrkResult } from './lib-proxy-wrk.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_DIR = path.join(REPO, 'bench/results');
const RESULTS_FILE = path.join(RESULTS_DIR, 'proxy.json');
/** Inside the repo so that the bundle's lazy require of pino resolves to node_modules. */
const PLANE_BUNDLE = path.join(RESULTS_DIR, 'proxy-plane.mjs');
const DOCS_FILE = path.join(REPO, 'docs/benchmarks.md');
const START = '<!-- proxy-bench:start -->';
const END = '<!-- proxy-bench:end -->';

// Load shapes (documented in docs/benchmarks.md).
const THREADS = 2;
const CONNECTIONS = 50;
const PACED_CONNECTIONS = 10;
const PACE_MS = 5;
const WARMUP_S = 3;
const TARGET_RATIO = 0.6;
const TOTAL_BUDGET_MS = 20 * 60_000;

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
function numberArg(name: string, def: number, min: number, max: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return def;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < min || v > max)
    fail(`${name} must be a whole number from ${min} to ${max}`);
  return v;
}
const DURATION = numberArg('--duration', 10, 2, 120);
const ROUNDS = numberArg('--rounds', 5, 3, 15);
const WRITE_DOCS = argv.includes('--write-docs');

class BenchError extends Error {}
function fail(message: string): never {
  throw new BenchError(message);
}

// ---------------------------------------------------------------------------------------------
// Processes: every child is recorded and killed by pid at exit, whatever happens.

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Starts a child and waits for its first stdout line (`{"port": N}`). */
interface Started {
  child: ChildProcess;
  port: number;
  /** The child's stdout, line by line. */
  lines: ReturnType<typeof createInterface>;
}

async function startChild(cmd: string, args: string[], what: string): Promise<Started> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const lines = createInterface({ input: child.stdout! });
  const first = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new BenchError(`${what} exited (${code}) before it listened`)));
    setTimeout(() => reject(new BenchError(`${what} did not listen within 20 s`)), 20_000).unref();
  });
  const line = await first;
  const port = (JSON.parse(line) as { port: number }).port;
  return { child, port, lines };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timeout = sleep(5_000).then(() => 'timeout');
  if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGKILL');
  children.delete(child);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process, in ms (from /proc/PID/stat; clock ticks are 100/s on Linux). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function which(cmd: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']) {
    const p = path.join(dir, cmd);
    if (dir !== '' && existsSync(p)) return p;
  }
  return null;
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
}

// ---------------------------------------------------------------------------------------------
// The three targets

const APP_SOURCE = `
import http from 'node:http';
const body = Buffer.from('hello world\\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

function nginxConfig(prefix: string, listenPort: number, upstreamPort: number): string {
  return `# Generated by bench/proxy.bench.ts
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

async function startNginx(
  nginx: string,
  prefix: string,
  upstreamPort: number,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  mkdirSync(prefix, { recursive: true });
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, port, upstreamPort));
  const child = spawn(nginx, ['-p', prefix, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) fail(`nginx exited (${child.exitCode}); see ${prefix}/error.log`);
    if (await canConnect(port)) return { child, port };
    await sleep(50);
  }
  fail('nginx did not listen within 10 s');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function bundlePlane(): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await build({
    entryPoints: [path.join(REPO, 'bench/lib-proxy-plane.ts')],
    outfile: PLANE_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    logLevel: 'warning',
  });
}

/** Asks the data plane child for its stats (one JSON line). */
async function planeStats(
  plane: Started,
): Promise<{ total: { requests: number; responses: Record<string, number> } }> {
  const reply = new Promise<string>((resolve) => plane.lines.once('line', resolve));
  plane.child.stdin!.write('stats\n');
  const line = await Promise.race([
    reply,
    sleep(5_000).then(() => fail('the data plane did not answer stats')),
  ]);
  return JSON.parse(line);
}

// ---------------------------------------------------------------------------------------------
// Measuring

type TargetName = 'direct' | 'tandem' | 'nginx';
const TARGETS: TargetName[] = ['direct', 'tandem', 'nginx'];

interface Sample {
  round: number;
  target: TargetName;
  full: WrkResult;
  /** CPU ms per 1000 requests of the proxy process (none for direct). */
  proxyCpuPerKReq: number | null;
  /** CPU ms per 1000 requests of the app. */
  appCpuPerKReq: number;
  paced: WrkResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const started = Date.now();
  const checkBudget = () => {
    if (Date.now() - started > TOTAL_BUDGET_MS) fail('the benchmark ran past its budget of 20 minutes');
  };
  const nginx = which('nginx');
  const wrk = which('wrk');
  if (nginx === null || wrk === null)
    fail('needs wrk and nginx on this machine: apt-get install -y nginx wrk');
  const work = mkdtempSync(path.join(os.tmpdir(), 'tandem-proxy-bench-'));
  const pacing = path.join(work, 'pace.lua');
  writeFileSync(pacing, pacingScript(PACE_MS));
  const loadBefore = os.loadavg();

  try {
    await bundlePlane();
    const app = await startChild(process.execPath, ['--input-type=module', '-e', APP_SOURCE], 'the app');
    const plane = await startChild(process.execPath, [PLANE_BUNDLE, String(app.port)], 'the data plane');
    const ng = await startNginx(nginx, path.join(work, 'nginx'), app.port);
    await sleep(500);
    const rssIdleStart = rssMiB(plane.child.pid!);
    const nginxWorker = childPids(ng.child.pid!)[0];
    if (nginxWorker === undefined) fail('nginx has no worker process');

    const ports: Record<TargetName, number> = { direct: app.port, tandem: plane.port, nginx: ng.port };
    const proxyPid: Record<TargetName, number | null> = {
      direct: null,
      tandem: plane.child.pid!,
      nginx: nginxWorker,
    };
    const url = (t: TargetName) => `http://127.0.0.1:${ports[t]}/`;

    console.log(`warm-up: ${WARMUP_S} s per target`);
    for (const t of TARGETS)
      await runWrk({ url: url(t), threads: THREADS, connections: CONNECTIONS, seconds: WARMUP_S });

    const samples: Sample[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = TARGETS.map((_, i) => TARGETS[(i + round - 1) % TARGETS.length]!);
      for (const t of order) {
        checkBudget();
        const pid = proxyPid[t];
        const cpu0 = pid === null ? 0 : cpuMs(pid);
        const app0 = cpuMs(app.child.pid!);
        const full = await runWrk({
          url: url(t),
          threads: THREADS,
          connections: CONNECTIONS,
          seconds: DURATION,
        });
        const cpu1 = pid === null ? 0 : cpuMs(pid);
        const app1 = cpuMs(app.child.pid!);
        const paced = await runWrk({
          url: url(t),
          threads: THREADS,
          connections: PACED_CONNECTIONS,
          seconds: DURATION,
          script: pacing,
        });
        const sample: Sample = {
          round,
          target: t,
          full,
          proxyCpuPerKReq: pid === null ? null : ((cpu1 - cpu0) * 1000) / full.requests,
          appCpuPerKReq: ((app1 - app0) * 1000) / full.requests,
          paced,
        };
        samples.push(sample);
        console.log(
          `round ${round} ${t.padEnd(6)} ${full.rps.toFixed(0).padStart(6)} req/s, errors ${full.errors}; ` +
            `paced ${paced.rps.toFixed(0)} req/s p50 ${paced.p50.toFixed(3)} ms p99 ${paced.p99.toFixed(3)} ms`,
        );
      }
    }

    await sleep(1_000);
    const rssIdleAfter = rssMiB(plane.child.pid!);
    const nginxRss = rssMiB(ng.child.pid!) + rssMiB(nginxWorker);
    const stats = await planeStats(plane);
    await stopChild(plane.child);
    await stopChild(ng.child);
    await stopChild(app.child);

    const report = summarize(samples, {
      rssIdleStart,
      rssIdleAfter,
      nginxRss,
      planeRequests: stats.total.requests,
      plane5xx: stats.total.responses['5xx'] ?? 0,
      loadBefore,
      loadAfter: os.loadavg(),
      nginxVersion: version(nginx, ['-v']),
      wrkVersion: version(wrk, ['-v']),
    });
    console.log(`\n${report}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify({ date: new Date().toISOString(), samples }, null, 2)}\n`);
    if (WRITE_DOCS) {
      writeDocs(report);
      console.log(`\nwrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
    }
  } finally {
    killAll();
    rmSync(work, { recursive: true, force: true });
  }
}

interface Extra {
  rssIdleStart: number;
  rssIdleAfter: number;
  nginxRss: number;
  planeRequests: number;
  plane5xx: number;
  loadBefore: number[];
  loadAfter: number[];
  nginxVersion: string;
  wrkVersion: string;
}

function summarize(samples: Sample[], x: Extra): string {
  const of = (t: TargetName) => samples.filter((s) => s.target === t);
  const med = (t: TargetName, f: (s: Sample) => number) => median(of(t).map(f));
  const range = (t: TargetName, f: (s: Sample) => number) => {
    const v = of(t).map(f);
    return `${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)}`;
  };
  const rps = (t: TargetName) => med(t, (s) => s.full.rps);
  const direct = rps('direct');
  const ratio = rps('tandem') / rps('nginx');
  const roundRatios = [...new Set(samples.map((s) => s.round))].map((r) => {
    const get = (t: TargetName) => samples.find((s) => s.round === r && s.target === t)!.full.rps;
    return get('tandem') / get('nginx');
  });
  const errors = samples.reduce((n, s) => n + s.full.errors + s.paced.errors, 0);
  const fmt = (v: number, d = 2) => v.toFixed(d);
  const cpu = (t: TargetName) => {
    const v = of(t).map((s) => s.proxyCpuPerKReq);
    // ms per 1000 requests = µs per request
    return v[0] === null ? '—' : `${fmt(median(v as number[]), 0)} µs`;
  };
  const la = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const lines = [
    `- Date: ${new Date().toISOString().slice(0, 10)}; machine: \`nproc\` = ${os.cpus().length} (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    `- Node ${process.version}; ${x.nginxVersion}; ${x.wrkVersion.replace(/ \[.*$/, '')}`,
    `- Load average (1/5/15 min) before: ${la(x.loadBefore)}, after: ${la(x.loadAfter)} (other work shares this machine)`,
    `- ${ROUNDS} rounds; full load: wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s; paced: wrk -t${THREADS} -c${PACED_CONNECTIONS} -d${DURATION}s, ${PACE_MS} ms between a response and the next request on each connection (≤ ${(PACED_CONNECTIONS * 1000) / PACE_MS} req/s)`,
    '',
    'Medians over the rounds (min–max for throughput); latency under the paced load; "added" = target − direct.',
    '',
    '| target | req/s (full load) | × direct | proxy CPU / request | p50 | p99 | added p50 | added p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const p50d = med('direct', (s) => s.paced.p50);
  const p99d = med('direct', (s) => s.paced.p99);
  for (const t of TARGETS) {
    const p50 = med(t, (s) => s.paced.p50);
    const p99 = med(t, (s) => s.paced.p99);
    const label = t === 'tandem' ? 'Tandem data plane' : t === 'nginx' ? 'nginx (1 worker)' : 'direct';
    lines.push(
      `| ${label} | ${fmt(rps(t), 0)} (${range(t, (s) => s.full.rps)}) | ${fmt(rps(t) / direct)} | ${cpu(t)} | ${fmt(p50, 3)} ms | ${fmt(p99, 3)} ms | ${t === 'direct' ? '—' : `${fmt(p50 - p50d, 3)} ms`} | ${t === 'direct' ? '—' : `${fmt(p99 - p99d, 3)} ms`} |`,
    );
  }
  lines.push(
    '',
    `- **Tandem / nginx throughput: ${fmt(ratio)}** (per round: ${roundRatios.map((r) => fmt(r)).join(', ')}) — target ≥ ${TARGET_RATIO}: **${ratio >= TARGET_RATIO ? 'met' : 'missed'}**`,
    `- Data plane RSS, idle: ${fmt(x.rssIdleStart, 1)} MiB after start (routes set, no request yet), ${fmt(x.rssIdleAfter, 1)} MiB idle after the load; nginx (master + worker) ${fmt(x.nginxRss, 1)} MiB`,
    `- Errors (socket errors and non-2xx, all runs): ${errors}; the data plane counted ${x.planeRequests} requests, ${x.plane5xx} of them 5xx`,
  );
  return lines.join('\n');
}

/** Replaces only the generated block (read-modify-write in one go: others edit the rest of the file). */
function writeDocs(report: string): void {
  const block = `${START}\n\n${report}\n\n${END}`;
  const doc = readFileSync(DOCS_FILE, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  let next: string;
  if (a >= 0 && b > a) {
    next = doc.slice(0, a) + block + doc.slice(b + END.length);
  } else {
    next = `${doc.replace(/\s*$/, '\n')}\n${DOCS_SECTION.replace('@BLOCK@', block)}`;
  }
  writeFileSync(DOCS_FILE, next);
}

const DOCS_SECTION = `## Data plane vs nginx

The same app (node:http, 12-byte response with Content-Length) direct, through Tandem's builtin data plane,
and through nginx, in one run of \`bench/proxy.bench.ts\` (see the method below).

@BLOCK@
`;

main().catch((err: unknown) => {
  killAll();
  console.error(err instanceof BenchError ? `proxy bench: ${err.message}` : err);
  process.exit(1);
});
