/**
 * The cost of watching: data-plane throughput with metrics on against metrics off (issue 5,
 * "Speed": on ≥ 0.95 × off).
 *
 *   npx tsx bench/metrics-overhead.bench.ts [--rounds 6] [--duration 10] [--connections 50] [--write-docs] [--keep]
 *   npx tsx bench/metrics-overhead.bench.ts --from-results [--write-docs]   (the report of the last run
 *     again; its date line is today's)
 *   (run `npm run build` first; needs wrk: apt-get install -y wrk)
 *
 * One temporary git project, service `web` (node:http, 1 instance, `metrics: { path: /metrics }`),
 * under one `tandem up --detach`. The two configurations are switched in place by committing
 * tandem.yaml and running `tandem apply` (the control plane re-reads `observe` and its collector
 * checks it every tick; the processes, the data plane and the instance stay the same, so only the
 * setting differs): **on**, `observe` at its defaults (collection every 5 s, the /metrics scrape
 * every 15 s, alerts, the autoscaler's loop); **off**, `observe: { enabled: false }`. Rounds
 * alternate the order (on/off, off/on, …) so drift on this shared machine falls on both. Per
 * configuration and round: apply, 2 s, 5 s idle (CPU of the control plane and the agent without
 * traffic), 2 s warm-up, then `wrk -t2 -c<connections> -d<duration>s --latency` through the
 * environment's listener (the data plane). Each measurement is checked: on, `GET /v1/top` has the
 * service's req/s; off, it has none and the app's /metrics was not read (the app counts its
 * scrapes; over all the on periods it must have been read).
 *
 * Reported: medians of req/s and p99 per configuration, the ratio on/off (of the medians and per
 * round), CPU of the control plane and of the agent (data plane + supervisor) per 1000 requests
 * and idle, errors; and the ratio implied by CPU accounting (the idle cost of collecting, which
 * does not grow with traffic, over the cores wrk saturates), as this shared machine's noise can
 * be far larger than a 5% difference. The data plane counts requests per revision in both (canary analysis needs
 * them); `enabled: false` turns off what reads and stores the counts: collection, scrapes,
 * alerts, the autoscaler.
 *
 * Bounded: every verb and wrk run has a timeout and the whole run a hard deadline. Processes are
 * found by pid only and killed by pid if still there at the end. Raw results go to
 * bench/results/metrics-overhead.json; --write-docs replaces only the generated block of
 * docs/benchmarks.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runWrk, type WrkResult } from './lib-proxy-wrk.js';
import {
  addTempDir,
  BenchError,
  fail,
  hardDeadline,
  installCleanup,
  intArg,
  machineLines,
  REPO,
  readJson,
  run,
  snapshotCli,
  tandemEnv,
  writeDocsBlock,
} from './lib-tandem-bench.js';
import { BenchProject, projectYaml } from './lib-tandem-project.js';

const RESULTS_FILE = path.join(REPO, 'bench/results/metrics-overhead.json');
const DOCS_FILE = path.join(REPO, 'docs/benchmarks.md');
const START = '<!-- metrics-overhead-bench:start -->';
const END = '<!-- metrics-overhead-bench:end -->';

const THREADS = 2;
/** After `tandem apply`: quiet, then an idle window one collection interval long (5 s). */
const AFTER_APPLY_MS = 2_000;
const IDLE_MS = 5_000;
const WARMUP_S = 2;
const TARGET_RATIO = 0.95;

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
const ROUNDS = intArg('--rounds', 6, 1, 30);
const DURATION_S = intArg('--duration', 10, 2, 120);
const CONNECTIONS = intArg('--connections', 50, 1, 1000);
const WRITE_DOCS = argv.includes('--write-docs');
const KEEP = argv.includes('--keep');
/** Everything stops by this deadline, whatever hangs: per configuration and round, an apply and two wrk runs. */
const HARD_DEADLINE_MS = ROUNDS * 2 * (DURATION_S + WARMUP_S + 90) * 1000 + 8 * 60_000;

installCleanup(KEEP);

// ---------------------------------------------------------------------------------------------
// Measuring

type Config = 'on' | 'off';

interface Sample {
  round: number;
  config: Config;
  wrk: WrkResult;
  /** CPU ms per 1000 requests during the measured run. */
  controlPlaneCpuPerKReq: number;
  agentCpuPerKReq: number;
  /** CPU ms during the idle window (IDLE_MS, no traffic). */
  controlPlaneIdleCpuMs: number;
  agentIdleCpuMs: number;
  /** GET /v1/top after the run: the service's req/s (null: nothing collected). */
  topRps: number | null;
  /** Reads of the instance's /metrics from the idle window's start to the run's end. */
  scrapes: number;
}

/** utime + stime of a process, in ms (clock ticks are 100/s on Linux). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function daemonPids(dir: string): { server: number; agent: number } {
  const server = (readJson(path.join(dir, '.tandem/server.json')) as { pid?: number } | undefined)?.pid;
  const agent = (readJson(path.join(dir, '.tandem/run/agent.json')) as { pid?: number } | undefined)?.pid;
  if (server === undefined || agent === undefined)
    fail('no pid in .tandem/server.json or .tandem/run/agent.json');
  return { server, agent };
}

interface TopAnswer {
  environments: Array<{ name: string; services: Array<{ name: string; rps: number | null }> }>;
}

async function topRps(apiPort: number): Promise<number | null> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/v1/top?environment=production`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) fail(`GET /v1/top: HTTP ${res.status}`);
  const top = (await res.json()) as TopAnswer;
  return (
    top.environments.find((e) => e.name === 'production')?.services.find((s) => s.name === 'web')?.rps ?? null
  );
}

/** How many times the (one) instance's /metrics was read, asked through the data plane. */
async function scrapeCount(listenPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${listenPort}/scrapes`, { signal: AbortSignal.timeout(10_000) });
  const n = Number((await res.text()).trim());
  if (!res.ok || !Number.isInteger(n)) fail(`GET /scrapes: HTTP ${res.status}`);
  return n;
}

const SERVICE = ['replicas: 1', 'metrics: { path: /metrics }'];
const yamlOf = (config: Config) => (listen: number) =>
  projectYaml({
    name: 'metricsoverhead',
    listen,
    service: SERVICE,
    extra: config === 'off' ? ['observe:', '  enabled: false'] : [],
  });

async function measure(project: BenchProject, round: number, config: Config): Promise<Sample> {
  const pids = daemonPids(project.dir);
  await sleep(AFTER_APPLY_MS);
  const scrapes0 = await scrapeCount(project.listenPort);
  const idleCp0 = cpuMs(pids.server);
  const idleAg0 = cpuMs(pids.agent);
  await sleep(IDLE_MS);
  const idleCp1 = cpuMs(pids.server);
  const idleAg1 = cpuMs(pids.agent);
  const url = `http://127.0.0.1:${project.listenPort}/`;
  await runWrk({ url, threads: THREADS, connections: CONNECTIONS, seconds: WARMUP_S });
  const cp0 = cpuMs(pids.server);
  const ag0 = cpuMs(pids.agent);
  const wrk = await runWrk({ url, threads: THREADS, connections: CONNECTIONS, seconds: DURATION_S });
  const cp1 = cpuMs(pids.server);
  const ag1 = cpuMs(pids.agent);
  const sample: Sample = {
    round,
    config,
    wrk,
    controlPlaneCpuPerKReq: ((cp1 - cp0) * 1000) / wrk.requests,
    agentCpuPerKReq: ((ag1 - ag0) * 1000) / wrk.requests,
    controlPlaneIdleCpuMs: idleCp1 - idleCp0,
    agentIdleCpuMs: idleAg1 - idleAg0,
    topRps: await topRps(project.apiPort),
    scrapes: (await scrapeCount(project.listenPort)) - scrapes0,
  };
  // The configuration must really be what it says, or the comparison means nothing.
  if (config === 'on' && sample.topRps === null) fail('metrics on, but `GET /v1/top` has no req/s for web');
  if (config === 'off' && (sample.topRps !== null || sample.scrapes !== 0))
    fail(`metrics off, but top shows ${sample.topRps} req/s and the app was scraped ${sample.scrapes} times`);
  console.log(
    `round ${round} ${config.padEnd(3)} ${wrk.rps.toFixed(0).padStart(6)} req/s, p99 ${wrk.p99.toFixed(2)} ms, errors ${wrk.errors}; ` +
      `CPU per 1000 req: control plane ${sample.controlPlaneCpuPerKReq.toFixed(1)} ms, agent ${sample.agentCpuPerKReq.toFixed(1)} ms; ` +
      `idle CPU in ${IDLE_MS / 1000} s: ${sample.controlPlaneIdleCpuMs} + ${sample.agentIdleCpuMs} ms; ${sample.scrapes} scrapes`,
  );
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Report

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function report(
  samples: Sample[],
  x: {
    cli: string;
    wrkVersion: string;
    loadBefore: number[];
    loadAfter: number[];
    cores: number;
    rounds: number;
    durationS: number;
    connections: number;
  },
): string {
  const of = (c: Config) => samples.filter((s) => s.config === c);
  const med = (c: Config, f: (s: Sample) => number) => median(of(c).map(f));
  const range = (c: Config, f: (s: Sample) => number, d = 0) => {
    const v = of(c).map(f);
    return `${Math.min(...v).toFixed(d)}–${Math.max(...v).toFixed(d)}`;
  };
  /** Idle CPU, all rounds together (10 ms clock ticks are too coarse for one 5 s window), in % of a core. */
  const idlePct = (c: Config, f: (s: Sample) => number) =>
    (of(c).reduce((n, s) => n + f(s), 0) / (of(c).length * IDLE_MS)) * 100;
  const ratio = med('on', (s) => s.wrk.rps) / med('off', (s) => s.wrk.rps);
  const rounds = [...new Set(samples.map((s) => s.round))];
  const perRound = rounds.map((r) => {
    const get = (c: Config) => samples.find((s) => s.round === r && s.config === c)!.wrk.rps;
    return get('on') / get('off');
  });
  const errors = samples.reduce((n, s) => n + s.wrk.errors, 0);
  // What collecting costs, from CPU accounting rather than throughput: its work per tick does not
  // grow with traffic (the data plane counts requests in both configurations), so the idle
  // difference is what it takes from the ${os.cpus().length} cores the data path saturates under wrk.
  const extraIdlePct =
    idlePct('on', (s) => s.controlPlaneIdleCpuMs + s.agentIdleCpuMs) -
    idlePct('off', (s) => s.controlPlaneIdleCpuMs + s.agentIdleCpuMs);
  const implied = 1 - extraIdlePct / (100 * x.cores);
  const row = (c: Config, label: string) =>
    `| ${label} | ${med(c, (s) => s.wrk.rps).toFixed(0)} (${range(c, (s) => s.wrk.rps)}) | ${med(c, (s) => s.wrk.p99).toFixed(2)} ms (${range(c, (s) => s.wrk.p99, 2)}) | ${med(c, (s) => s.wrk.p50).toFixed(2)} ms | ${med(c, (s) => s.controlPlaneCpuPerKReq).toFixed(1)} ms | ${med(c, (s) => s.agentCpuPerKReq).toFixed(1)} ms | ${idlePct(c, (s) => s.controlPlaneIdleCpuMs).toFixed(2)}% + ${idlePct(c, (s) => s.agentIdleCpuMs).toFixed(2)}% |`;
  const scrapesOn = of('on').reduce((n, s) => n + s.scrapes, 0);
  return [
    ...machineLines(x, `; ${x.wrkVersion.replace(/ \[.*$/, '')}`),
    `- Service \`web\`: node:http, 1 instance, \`metrics: { path: /metrics }\`, one \`tandem up\`; switched in place (tandem.yaml committed + \`tandem apply\`) between **on**: \`observe\` at its defaults (collection every 5 s, the /metrics scrape every 15 s, alerts, the autoscaler's loop) and **off**: \`observe: { enabled: false }\`. Checked: on, \`GET /v1/top\` has the service's req/s (the app's /metrics was read ${scrapesOn} times over the on periods); off, no req/s and no scrape`,
    `- ${x.rounds} rounds, alternating the order (on/off, off/on, …); each configuration: apply, ${AFTER_APPLY_MS / 1000} s, ${IDLE_MS / 1000} s idle, ${WARMUP_S} s warm-up, then \`wrk -t${THREADS} -c${x.connections} -d${x.durationS}s --latency\` through the environment's listener (the data plane)`,
    '',
    'Medians over the rounds (min–max); CPU in ms per 1000 requests (= µs per request) during the runs; idle: CPU without traffic, control plane + agent, in % of one core (all rounds together).',
    '',
    '| metrics | req/s | p99 | p50 | control plane CPU | agent CPU (data plane + supervisor) | idle CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('off', 'off (`observe: { enabled: false }`)'),
    row('on', 'on (defaults + app scrape)'),
    '',
    `- **Throughput on / off: ${ratio.toFixed(3)}** (ratio of the medians; per round: ${perRound.map((r) => r.toFixed(3)).join(', ')}; median of the rounds ${median(perRound).toFixed(3)}) — target ≥ ${TARGET_RATIO}: **${ratio >= TARGET_RATIO ? 'met' : 'missed'}**`,
    `- From CPU accounting: collecting costs ${extraIdlePct.toFixed(2)}% of one core more than off (idle, control plane + agent), work per tick that does not grow with traffic; taken from the ${x.cores} cores wrk saturates, that is a throughput ratio of about ${implied.toFixed(3)}`,
    `- p99 on / off: ${(med('on', (s) => s.wrk.p99) / med('off', (s) => s.wrk.p99)).toFixed(2)}`,
    `- Errors (socket errors and non-2xx, all runs): ${errors}`,
  ].join('\n');
}

const DOCS_SECTION = `## Metrics overhead

Data-plane throughput of the same service with metrics on and off, in one run of
\`bench/metrics-overhead.bench.ts\` (see the method at the top of the file).

@BLOCK@
`;

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, cmd);
    if (dir !== '' && existsSync(p)) return p;
  }
  return null;
}

/** --from-results: the report of the last run's raw results (e.g. after a change to the report). */
function reportSaved(): void {
  const saved = readJson(RESULTS_FILE) as (Parameters<typeof report>[1] & { samples: Sample[] }) | undefined;
  if (saved?.samples === undefined || saved.cli === undefined)
    fail(`no results of a run in ${path.relative(REPO, RESULTS_FILE)}`);
  const block = report(saved.samples, saved);
  console.log(`${block}\n`);
  if (WRITE_DOCS) {
    writeDocsBlock(DOCS_FILE, { start: START, end: END }, DOCS_SECTION, block);
    console.log(`wrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
  }
}

async function main(): Promise<void> {
  if (argv.includes('--from-results')) return reportSaved();
  hardDeadline(
    HARD_DEADLINE_MS,
    `metrics-overhead bench: hard deadline of ${(HARD_DEADLINE_MS / 60_000).toFixed(0)} min reached`,
  );
  const wrk = which('wrk');
  if (wrk === null) fail('needs wrk on this machine: apt-get install -y wrk');
  const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tandem-metrics-overhead-bench-')));
  addTempDir(work);
  const cli = snapshotCli(work);
  console.log(`CLI: ${cli.description}`);
  const project = await BenchProject.create({ work, name: 'project', main: cli.main, yaml: yamlOf('on') });
  const loadBefore = os.loadavg();
  const samples: Sample[] = [];
  let current: Config = 'on';
  try {
    await project.up(1);
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Config[] = round % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
      for (const config of order) {
        if (config !== current) {
          await project.apply(yamlOf(config), `metrics ${config}`);
          current = config;
        }
        samples.push(await measure(project, round, config));
      }
    }
    if (of(samples, 'on').every((s) => s.scrapes === 0))
      fail("metrics on, but the app's /metrics was never read");
  } finally {
    await project.down(KEEP);
  }
  const version = await run(process.execPath, [cli.main, '--version'], {
    cwd: project.dir,
    env: tandemEnv(work),
  });
  const wrkVersion = await run(wrk, ['-v'], { cwd: work, env: process.env, timeoutMs: 10_000 });
  const context = {
    cli: version.stdout.trim(),
    wrkVersion: `${wrkVersion.stdout}${wrkVersion.stderr}`.trim().split('\n')[0] ?? 'wrk',
    loadBefore,
    loadAfter: os.loadavg(),
    cores: os.cpus().length,
    rounds: ROUNDS,
    durationS: DURATION_S,
    connections: CONNECTIONS,
  };
  const block = report(samples, context);
  console.log(`\n${block}\n`);
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ date: new Date().toISOString(), build: cli.description, ...context, samples }, null, 2)}\n`,
  );
  console.log(`raw results: ${path.relative(REPO, RESULTS_FILE)}`);
  if (WRITE_DOCS) {
    writeDocsBlock(DOCS_FILE, { start: START, end: END }, DOCS_SECTION, block);
    console.log(`wrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
  }
}

function of(samples: Sample[], c: Config): Sample[] {
  return samples.filter((s) => s.config === c);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof BenchError ? `metrics-overhead bench: ${err.message}` : err);
    process.exit(1);
  },
);
