/**
 * Canary analysis under load: how fast a bad canary is rolled back, how many bad answers users
 * got meanwhile, and whether healthy canaries get through (no false aborts), at steady and at low
 * traffic.
 *
 *   npx tsx bench/canary.bench.ts [--runs 5] [--pause 20] [--write-docs] [--keep]
 *   (= npm run bench:canary; run `npm run build` first)
 *
 * One temporary git project (service `web`, 2 replicas, environment `production` with
 * `strategy: canary`, `steps: [{ weight: 20, pause: <pause>s }]`, `analysis: { interval: 2s,
 * minRequests: 20, errorRate: { max: 1% }, p95: { max: 300ms, maxRatio: 2 } }`), `tandem up
 * --detach` on free ports. Then, --runs times each, alternating:
 * - bad: a commit whose app answers 500 to 3 of every 10 requests (30%, deterministic) is deployed
 *   under steady load (CONNECTIONS keep-alive connections, back to back). `tandem deploy` must
 *   exit 1 with the rollout rolled back on the error rate. From the load's timeline: the first 500
 *   it saw, the last answer of the canary revision (after it only stable answers), the 500s users
 *   got, against the bound weight × error rate × requests answered in between;
 * - healthy: a commit of the same app, healthy, deployed under the same load: must exit 0
 *   (promoted, 100% on the new release), with no failed request;
 * - low traffic (max(1, runs / 5) times): a healthy commit with 1 connection sending a request
 *   every 100 ms (the canary gets ~4 requests a window, under minRequests): must pause for a human
 *   (too little traffic), not abort; `tandem promote` then takes it to 100%.
 * Flagger cannot run here (no Kubernetes); its documented analysis interval is the comparison.
 *
 * Bounded: every verb has a timeout and the whole run a hard deadline. The CLI runs from a copy of
 * dist/ (others may rebuild it meanwhile). Processes are found by pid only (.tandem/server.json,
 * .tandem/run/agent.json, `tandem status`), remembered with their start time and killed by pid if
 * still there at the end. Raw results go to bench/results/canary.json; --write-docs replaces only
 * the generated block of docs/benchmarks.md.
 */
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CanaryLoadResult } from './lib-canary-load.js';
import {
  addTempDir,
  BenchError,
  commitAll,
  copyTandemLogs,
  fail,
  fetchStatus,
  freePorts,
  hardDeadline,
  initGitProject,
  installCleanup,
  intArg,
  machineLines,
  REPO,
  type Run,
  reapDaemons,
  rememberTandemFiles,
  run,
  snapshotCli,
  startLoadProcess,
  tandemEnv,
  verbFailure,
  waitFor,
  writeDocsBlock,
} from './lib-tandem-bench.js';

const LOAD_SCRIPT = path.join(REPO, 'bench/lib-canary-load.ts');
const RESULTS_FILE = path.join(REPO, 'bench/results/canary.json');
const DOCS_FILE = path.join(REPO, 'docs/benchmarks.md');
const START = '<!-- canary-bench:start -->';
const END = '<!-- canary-bench:end -->';

const CONNECTIONS = 20;
const LOW_TRAFFIC = { connections: 1, gapMs: 100 };
const REQUEST_TIMEOUT_MS = 10_000;
const WEIGHT = 20;
const ERROR_RATE = 0.3;
const ANALYSIS =
  '{ interval: 2s, minRequests: 20, errorRate: { max: 1% }, p95: { max: 300ms, maxRatio: 2 } }';
/** The issue's target: first bad request to all traffic back on stable. */
const TARGET_MS = 10_000;
/** Load before each deploy, and after it ended. */
const LEAD_MS = 1_000;
const TAIL_MS = 1_500;
const VERB_TIMEOUT_MS = 180_000;
/** Flagger (docs in ../shared/reference/progressive-delivery.md): interval minimum and default. */
const FLAGGER_MIN_INTERVAL_S = 10;
const FLAGGER_DEFAULT_INTERVAL_S = 60;

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
const RUNS = intArg('--runs', 5, 1, 50);
const PAUSE_S = intArg('--pause', 20, 4, 300);
const LOW_RUNS = Math.max(1, Math.round(RUNS / 5));
const WRITE_DOCS = argv.includes('--write-docs');
const KEEP = argv.includes('--keep');
/** Everything stops by this deadline, whatever hangs. */
const HARD_DEADLINE_MS = (RUNS * 2 + LOW_RUNS) * (PAUSE_S * 1000 + 90_000) + 5 * 60_000;

// Whatever is left at exit is killed by pid (bench/lib-tandem-bench.ts).
installCleanup(KEEP);
/** The CLI's main.js in the snapshot of dist/ (set by main()). */
let TANDEM_MAIN = '';

// ---------------------------------------------------------------------------------------------
// The app and the project

/**
 * node:http: `<release> <instance>` on every answer (200 and 500 alike, so the load can tell which
 * revision failed); `bad` answers 500 to requests 3, 6 and 9 of every 10 (30%), never /healthz.
 */
function appSource(version: number, bad: boolean): string {
  return `// The canary benchmark's app, version ${version}${bad ? ': answers 500 to 30% of requests' : ''}.
import { createServer } from 'node:http';

const release = process.env.TANDEM_RELEASE ?? 'dev';
const body = Buffer.from(\`\${release} \${process.env.TANDEM_INSTANCE ?? process.pid}\\n\`);
let served = 0;
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\\n');
    return;
  }
  served++;
  const status = ${bad ? 'served % 10 === 3 || served % 10 === 6 || served % 10 === 9 ? 500 : 200' : '200'};
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`;
}

function tandemYaml(listen: number): string {
  return `project: canarybench
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
    strategy: canary
    steps: [{ weight: ${WEIGHT}, pause: ${PAUSE_S}s }]
    analysis: ${ANALYSIS}
`;
}

interface Measurement {
  at: number;
  windowMs: number;
  verdict: 'pass' | 'fail' | 'inconclusive';
  canary: { requests: number; errorRate: number; p95Ms: number | null };
  stable: { requests: number; errorRate: number; p95Ms: number | null } | null;
  reasons: string[];
}

interface DeploymentView {
  deployment: { id: string; release: string; state: string; reason: string | null };
  rollouts: Array<{
    state: string;
    reason?: string;
    pausedReason?: string;
    canarySince?: number;
    analysis?: { failures: number; inconclusive: number; measurements: Measurement[] };
  }>;
  state: string;
}

interface Status {
  environments: Array<{
    name: string;
    rollout: null | { id: string; state: string; release: string };
    services: Array<{
      name: string;
      release: string;
      replicas: { desired: number; ready: number };
      instances: Array<{
        state: string;
        healthy: boolean;
        inTraffic: boolean;
        release: string;
        pid: number | null;
      }>;
    }>;
  }>;
}

class Project {
  private version = 0;

  private constructor(
    readonly dir: string,
    readonly apiPort: number,
    readonly listenPort: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(work: string): Promise<Project> {
    const dir = path.join(work, 'project');
    mkdirSync(dir);
    const [apiPort, listenPort] = (await freePorts(2)) as [number, number];
    initGitProject(dir, { 'tandem.yaml': tandemYaml(listenPort), 'app.mjs': appSource(0, false) }, 'v0');
    return new Project(dir, apiPort, listenPort, tandemEnv(work));
  }

  tandem(...args: string[]): Promise<Run> {
    return run(process.execPath, [TANDEM_MAIN, ...args], { cwd: this.dir, env: this.env });
  }

  rememberFiles(): void {
    rememberTandemFiles(this.dir);
  }

  /** Commits a new version of the app; returns its version number. */
  commitApp(bad: boolean): number {
    this.version++;
    writeFileSync(path.join(this.dir, 'app.mjs'), appSource(this.version, bad));
    commitAll(this.dir, `v${this.version}${bad ? ' (bad)' : ''}`);
    return this.version;
  }

  status(): Promise<Status> {
    return fetchStatus<Status>(this.apiPort);
  }

  /** production.web with 2 ready instances in traffic, all of `release` when given, no rollout moving. */
  waitSteady(release?: string): Promise<string> {
    return waitFor(`2 steady instances${release ? ` of ${release}` : ''}`, 120_000, async () => {
      const e = (await this.status()).environments.find((x) => x.name === 'production');
      const web = e?.services.find((x) => x.name === 'web');
      if (e === undefined || web === undefined || e.rollout === null) return undefined;
      if (!['promoted', 'rolled-back'].includes(e.rollout.state)) return undefined;
      if (release !== undefined && web.release !== release) return undefined;
      const steady =
        web.replicas.ready === 2 &&
        web.instances.length === 2 &&
        web.instances.every(
          (i) => i.state === 'running' && i.healthy && i.inTraffic && i.release === web.release,
        );
      return steady ? web.release : undefined;
    });
  }
}

/** The deployment a `--json` verb printed last (its final view). */
function viewOf(r: Run, what: string): DeploymentView {
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as DeploymentView;
  } catch {
    fail(verbFailure(`${what} (no JSON view)`, r));
  }
}

// ---------------------------------------------------------------------------------------------
// The load

function startLoad(port: number, connections: number, gapMs: number) {
  const maxMs = VERB_TIMEOUT_MS + PAUSE_S * 1000 + 60_000;
  return startLoadProcess<CanaryLoadResult>(
    LOAD_SCRIPT,
    [port, connections, gapMs, REQUEST_TIMEOUT_MS, maxMs],
    REQUEST_TIMEOUT_MS,
  );
}

/** Runs `body` under load; the load starts LEAD_MS before and stops TAIL_MS after it. */
async function underLoad<T>(
  project: Project,
  traffic: { connections: number; gapMs: number },
  body: () => Promise<T>,
): Promise<{ value: T; load: CanaryLoadResult }> {
  const load = await startLoad(project.listenPort, traffic.connections, traffic.gapMs);
  let outcome: { value: T } | { error: unknown };
  try {
    await sleep(LEAD_MS);
    outcome = { value: await body() };
    await sleep(TAIL_MS);
  } catch (error) {
    outcome = { error };
  }
  // Stopped whatever happened.
  const result = await load.stop();
  if ('error' in outcome) throw outcome.error;
  return { value: outcome.value, load: result };
}

// ---------------------------------------------------------------------------------------------
// The runs

interface BadRun {
  n: number;
  release: string;
  ok: boolean;
  problems: string[];
  exitCode: number | null;
  state: string;
  reason: string;
  /** ms from the first 500 the load saw to the failing measurement (the abort decided). */
  detectMs: number | null;
  /** ms from the first 500 to the last answer of the canary revision: all traffic back on stable. */
  backOnStableMs: number | null;
  /** ms from the first 500 to the last one. */
  lastBadMs: number | null;
  /** 500s users got (all from the canary). */
  bad: number;
  /** Requests answered (by either revision) from the first 500 to the last canary answer. */
  requestsDuring: number;
  /** WEIGHT × ERROR_RATE × requestsDuring. */
  bound: number;
  canaryAnswers: number;
  /** Answers other than 200 or a canary 500 (must be 0). */
  otherFailures: number;
  /** Answers after the last canary answer (all stable's). */
  stableAfter: number;
  failedWindow: Measurement | null;
  reqPerSecond: number;
}

interface HealthyRun {
  n: number;
  lowTraffic: boolean;
  release: string;
  ok: boolean;
  problems: string[];
  exitCode: number | null;
  /** promoted; or, at low traffic, paused then promoted by `tandem promote`. */
  outcome: string;
  pausedReason: string | null;
  verdicts: Record<Measurement['verdict'], number>;
  failedRequests: number;
  requests: number;
  canaryShare: number;
  reqPerSecond: number;
  ms: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function badRun(project: Project, n: number, stable: string): Promise<BadRun> {
  project.commitApp(true);
  const { value: deploy, load } = await underLoad(project, { connections: CONNECTIONS, gapMs: 0 }, () =>
    project.tandem('--json', 'deploy', 'production'),
  );
  project.rememberFiles();
  const problems: string[] = [];
  const view = viewOf(deploy, 'tandem deploy');
  const release = view.deployment.release;
  const rollout = view.rollouts[0];
  const reason = view.deployment.reason ?? rollout?.reason ?? '';
  if (deploy.code !== 1) problems.push(`tandem deploy exited ${deploy.code}, expected 1`);
  if (view.state !== 'rolled-back') problems.push(`rollout ${view.state}, expected rolled-back`);
  if (!/error rate/.test(reason))
    problems.push(`reason does not name the error rate: ${reason.split('\n')[0]}`);
  const failedWindow = rollout?.analysis?.measurements.filter((m) => m.verdict === 'fail').at(-1) ?? null;

  const canary = load.releases.indexOf(release);
  const at = (e: [number, number, number]) => load.startedAt + e[0];
  const firstBad = load.events.find((e) => e[1] === 500);
  const lastBad = load.events.findLast((e) => e[1] === 500);
  const lastCanary = load.events.findLast((e) => e[2] === canary);
  const bad = load.events.filter((e) => e[1] === 500).length;
  const otherFailures = load.events.filter((e) => e[1] !== 200 && !(e[1] === 500 && e[2] === canary)).length;
  if (otherFailures > 0) problems.push(`${otherFailures} answers were neither 200 nor a canary 500`);
  let requestsDuring = 0;
  let stableAfter = 0;
  if (firstBad !== undefined && lastCanary !== undefined) {
    requestsDuring = load.events.filter((e) => e[0] >= firstBad[0] && e[0] <= lastCanary[0]).length;
    const after = load.events.filter((e) => e[0] > lastCanary[0]);
    stableAfter = after.length;
    if (after.some((e) => load.releases[e[2]] !== stable))
      problems.push('after the last canary answer, something other than stable answered');
  } else problems.push('the load saw no 500: the canary never took traffic');
  const backOnStableMs = firstBad && lastCanary ? lastCanary[0] - firstBad[0] : null;
  if (backOnStableMs !== null && backOnStableMs > TARGET_MS)
    problems.push(`back on stable ${(backOnStableMs / 1000).toFixed(1)} s after the first 500 (target 10 s)`);
  const seconds = (load.endedAt - load.startedAt) / 1000;
  return {
    n,
    release,
    ok: problems.length === 0,
    problems,
    exitCode: deploy.code,
    state: view.state,
    reason: reason.split('\n')[0] ?? '',
    detectMs: firstBad && failedWindow ? failedWindow.at - at(firstBad) : null,
    backOnStableMs,
    lastBadMs: firstBad && lastBad ? lastBad[0] - firstBad[0] : null,
    bad,
    requestsDuring,
    bound: (WEIGHT / 100) * ERROR_RATE * requestsDuring,
    canaryAnswers: load.events.filter((e) => e[2] === canary).length,
    otherFailures,
    stableAfter,
    failedWindow,
    reqPerSecond: load.events.length / seconds,
  };
}

async function healthyRun(project: Project, n: number, lowTraffic: boolean): Promise<HealthyRun> {
  project.commitApp(false);
  const t0 = Date.now();
  const traffic = lowTraffic ? LOW_TRAFFIC : { connections: CONNECTIONS, gapMs: 0 };
  const problems: string[] = [];
  const { value, load } = await underLoad(project, traffic, async () => {
    const deploy = await project.tandem('--json', 'deploy', 'production');
    project.rememberFiles();
    let view = viewOf(deploy, 'tandem deploy');
    let code = deploy.code;
    let pausedReason: string | null = null;
    if (lowTraffic) {
      pausedReason = view.rollouts[0]?.pausedReason ?? null;
      if (view.state !== 'paused' || !/too little traffic/.test(pausedReason ?? ''))
        problems.push(
          `expected a pause for too little traffic, got ${view.state} (${pausedReason ?? view.deployment.reason})`,
        );
      if (view.state === 'paused') {
        const promote = await project.tandem('--json', 'promote', 'production');
        view = viewOf(promote, 'tandem promote');
        code = promote.code;
      }
    }
    return { view, code, pausedReason };
  });
  const { view, code, pausedReason } = value;
  const release = view.deployment.release;
  if (code !== 0) problems.push(`exited ${code}, expected 0`);
  if (view.state !== 'promoted')
    problems.push(
      `rollout ${view.state}, expected promoted: ${(view.deployment.reason ?? '').split('\n')[0]}`,
    );
  const measurements = view.rollouts[0]?.analysis?.measurements ?? [];
  const verdicts: HealthyRun['verdicts'] = { pass: 0, inconclusive: 0, fail: 0 };
  for (const m of measurements) verdicts[m.verdict]++;
  if (verdicts.fail > 0) problems.push(`${verdicts.fail} failed windows`);
  const failedRequests = load.events.filter((e) => e[1] !== 200).length;
  if (failedRequests > 0)
    problems.push(`${failedRequests} requests failed: ${load.errors.slice(0, 3).join(' | ')}`);
  // The canary's share while both revisions answered (from its first answer to stable's last).
  const canary = load.releases.indexOf(release);
  const first = load.events.findIndex((e) => e[2] === canary);
  const lastStable = load.events.findLastIndex((e) => e[2] !== canary && e[2] >= 0);
  const both = first >= 0 && lastStable > first ? load.events.slice(first, lastStable + 1) : [];
  const seconds = (load.endedAt - load.startedAt) / 1000;
  return {
    n,
    lowTraffic,
    release,
    ok: problems.length === 0,
    problems,
    exitCode: code,
    outcome:
      lowTraffic && pausedReason !== null ? `paused, then ${view.state} by tandem promote` : view.state,
    pausedReason,
    verdicts,
    failedRequests,
    requests: load.events.length,
    canaryShare: both.length > 0 ? both.filter((e) => e[2] === canary).length / both.length : Number.NaN,
    reqPerSecond: load.events.length / seconds,
    ms: Date.now() - t0,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const s1 = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(1));
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

function report(
  bad: BadRun[],
  healthy: HealthyRun[],
  machine: { cli: string; loadBefore: number[]; loadAfter: number[] },
): string {
  const steady = healthy.filter((h) => !h.lowTraffic);
  const low = healthy.filter((h) => h.lowTraffic);
  const back = bad.map((b) => b.backOnStableMs).filter((v): v is number => v !== null);
  const detect = bad.map((b) => b.detectMs).filter((v): v is number => v !== null);
  const lines = [
    ...machineLines(machine),
    `- \`--runs ${RUNS}\`: ${bad.length} bad canaries, ${steady.length} healthy ones at steady load, ${low.length} at low traffic; replicas 2, \`steps: [{ weight: ${WEIGHT}, pause: ${PAUSE_S}s }]\`, \`analysis: ${ANALYSIS}\``,
    `- Steady load: ${CONNECTIONS} keep-alive connections, back-to-back GET / (${fmtInt(median(bad.map((b) => b.reqPerSecond)))} req/s median); low traffic: ${LOW_TRAFFIC.connections} connection, a request every ${LOW_TRAFFIC.gapMs} ms`,
    '',
    `**Bad canary** (500 to ${ERROR_RATE * 100}% of its requests, weight ${WEIGHT}): rolled back in ${bad.filter((b) => b.ok).length} of ${bad.length} runs`,
    '',
    '| run | first 500 → abort decided (s) | first 500 → all traffic on stable (s) | 500s users got | requests meanwhile | bound (w × e × requests) | got / bound | failed window |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const b of bad) {
    const w = b.failedWindow;
    const window = w
      ? `canary ${fmtInt(w.canary.requests)} requests, ${(w.canary.errorRate * 100).toFixed(1)}% errors, in ${s1(w.windowMs)} s`
      : '–';
    lines.push(
      `| ${b.n}${b.ok ? '' : ' ✗'} | ${s1(b.detectMs)} | ${s1(b.backOnStableMs)} | ${fmtInt(b.bad)} | ${fmtInt(b.requestsDuring)} | ${b.bound.toFixed(0)} | ${b.bound > 0 ? (b.bad / b.bound).toFixed(2) : '–'} | ${window} |`,
    );
  }
  const ratios = bad.filter((b) => b.bound > 0).map((b) => b.bad / b.bound);
  lines.push(
    '',
    `- Median: first 500 → abort decided **${s1(median(detect))} s**, first 500 → all traffic back on stable **${s1(median(back))} s** (max ${s1(Math.max(...back))} s); 500s users got: median ${fmtInt(median(bad.map((b) => b.bad)))}, ${median(ratios).toFixed(2)} × the bound (max ${Math.max(...ratios).toFixed(2)} ×)`,
    `- Target (all traffic back on stable <= 10 s after the first bad request, every bad canary rolled back): **${bad.every((b) => b.ok) && back.length === bad.length ? 'met' : 'missed'}**`,
    `- Every 500 came from the canary; after its last answer only stable answered (${fmtInt(bad.reduce((s, b) => s + b.stableAfter, 0))} answers, all stable's). Reason on record, e.g.: \`${bad.find((b) => b.ok)?.reason ?? bad[0]?.reason ?? ''}\``,
    `- Flagger (not run: it needs Kubernetes and a metrics server): its documented time to roll back is \`interval × threshold\` (threshold default 1), and its analysis interval cannot go below ${FLAGGER_MIN_INTERVAL_S} s and defaults to ${FLAGGER_DEFAULT_INTERVAL_S} s: at least ${FLAGGER_MIN_INTERVAL_S} s at its fastest setting, ${FLAGGER_DEFAULT_INTERVAL_S} s by default`,
    '',
    `**Healthy canary**: promoted (100% on the new release) in **${steady.filter((h) => h.ok).length} of ${steady.length}** runs at steady load; at low traffic paused for a human (too little traffic) and never aborted in **${low.filter((h) => h.ok).length} of ${low.length}**, then promoted by \`tandem promote\``,
    '',
    '| run | traffic | outcome | windows pass / inconclusive / fail | canary share | requests | failed | time (s) |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const h of healthy) {
    lines.push(
      `| ${h.n}${h.ok ? '' : ' ✗'} | ${h.lowTraffic ? 'low' : 'steady'} | ${h.outcome} | ${h.verdicts.pass} / ${h.verdicts.inconclusive} / ${h.verdicts.fail} | ${Number.isNaN(h.canaryShare) ? '–' : `${(h.canaryShare * 100).toFixed(0)}%`} | ${fmtInt(h.requests)} | ${h.failedRequests} | ${s1(h.ms)} |`,
    );
  }
  const windows = steady.reduce((s, h) => s + h.verdicts.pass + h.verdicts.inconclusive + h.verdicts.fail, 0);
  const fails = healthy.reduce((s, h) => s + h.verdicts.fail, 0);
  lines.push(
    '',
    `- ${windows} windows judged at steady load, ${fails} failed (a false abort would need one); ${healthy.reduce((s, h) => s + h.failedRequests, 0)} failed requests in all healthy runs`,
    `- Target (healthy canaries reach 100% in N of N runs, low traffic pauses instead of aborting): **${healthy.every((h) => h.ok) ? 'met' : 'missed'}**`,
  );
  const problems = [...bad, ...healthy].filter((r) => !r.ok);
  if (problems.length > 0) {
    lines.push('', 'Problems:');
    for (const r of problems)
      lines.push(
        `- ${'lowTraffic' in r ? (r.lowTraffic ? 'low-traffic' : 'healthy') : 'bad'} run ${r.n}: ${r.problems.join('; ')}`,
      );
  }
  return lines.join('\n');
}

const DOCS_SECTION = `## Canary: detection and rollback

How fast the built-in analysis rolls a bad canary back, how many bad answers users get meanwhile, and
whether healthy canaries get through, measured by \`bench/canary.bench.ts\` (\`npm run bench:canary -- --runs 20
--write-docs\`, after \`npm run build\`).

- **Setup**: one project run by \`tandem up\`: service \`web\` (node:http, answers \`<release> <instance>\`), 2 replicas,
  \`strategy: canary\`, one step at weight 20 and \`analysis\` every 2 s with \`minRequests: 20\`, \`errorRate.max: 1%\`,
  \`p95: { max: 300ms, maxRatio: 2 }\`. Each run deploys a new commit with \`tandem deploy production\`.
- **Bad canary**: the new commit answers 500 to 3 of every 10 requests (30%). Under 20 keep-alive connections of
  back-to-back requests (a process of its own), the load records every answer with its time and the release that
  gave it. Measured: from the first 500 the load saw to the failing analysis window (abort decided), and to the last
  answer of the canary (after it, only stable answers); the 500s users got against the bound weight × error rate ×
  requests answered in that time. \`tandem deploy\` must exit 1, rolled back, with the error rate as the reason.
- **Healthy canary**: the same app, healthy, same load: \`tandem deploy\` must exit 0 (promoted: the new release on
  both replicas) with no failed request and no failed window. **Low traffic**: one connection, a request every
  100 ms, so the canary gets a handful of requests per window: the rollout must pause for a human (inconclusive
  windows), never abort; \`tandem promote\` then takes it to 100%.
- **Flagger** cannot run here (it needs Kubernetes); its documented analysis interval is the comparison
  (../shared/reference/progressive-delivery.md).

@BLOCK@
`;

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tandem-canary-bench-')));
  addTempDir(work);
  hardDeadline(
    HARD_DEADLINE_MS,
    `canary bench: hard deadline (${(HARD_DEADLINE_MS / 60_000).toFixed(0)} min) reached; stopping`,
  );
  const loadBefore = os.loadavg();
  const snapshot = snapshotCli(work);
  TANDEM_MAIN = snapshot.main;
  const cli = snapshot.description;
  const project = await Project.create(work);
  console.log(
    `canary bench: project in ${project.dir}, API on ${project.apiPort}, production on ${project.listenPort}`,
  );

  const bad: BadRun[] = [];
  const healthy: HealthyRun[] = [];
  try {
    const up = await project.tandem('up', '--detach', '--port', String(project.apiPort));
    project.rememberFiles();
    if (up.code !== 0) fail(verbFailure('tandem up --detach', up));
    let stable = await project.waitSteady();
    project.rememberFiles();

    for (let n = 1; n <= RUNS; n++) {
      const b = await badRun(project, n, stable);
      bad.push(b);
      console.log(
        `  bad #${n}: ${b.ok ? 'ok' : 'PROBLEM'} — ${b.state}, first 500 → abort ${s1(b.detectMs)} s, → all on stable ${s1(b.backOnStableMs)} s, ${b.bad} 500s (bound ${b.bound.toFixed(0)})${b.ok ? '' : `: ${b.problems.join('; ')}`}`,
      );
      await project.waitSteady(stable);
      const h = await healthyRun(project, n, false);
      healthy.push(h);
      console.log(
        `  healthy #${n}: ${h.ok ? 'ok' : 'PROBLEM'} — ${h.outcome} in ${s1(h.ms)} s, windows ${h.verdicts.pass}/${h.verdicts.inconclusive}/${h.verdicts.fail}, ${h.failedRequests} failed${h.ok ? '' : `: ${h.problems.join('; ')}`}`,
      );
      stable = await project.waitSteady(h.ok ? h.release : undefined);
    }
    for (let n = 1; n <= LOW_RUNS; n++) {
      const h = await healthyRun(project, n, true);
      healthy.push(h);
      console.log(
        `  low traffic #${n}: ${h.ok ? 'ok' : 'PROBLEM'} — ${h.outcome} in ${s1(h.ms)} s, windows ${h.verdicts.pass}/${h.verdicts.inconclusive}/${h.verdicts.fail}${h.ok ? '' : `: ${h.problems.join('; ')}`}`,
      );
      stable = await project.waitSteady();
    }
  } finally {
    project.rememberFiles();
    await project.status().catch(() => undefined);
    const down = await project.tandem('down');
    if (down.code !== 0) console.error(verbFailure('tandem down', down));
    const left = await reapDaemons(20_000);
    if (left.length > 0) console.error(`killed what \`tandem down\` left: pids ${left.join(', ')}`);
    if (KEEP) copyTandemLogs(project.dir, work);
  }

  const text = report(bad, healthy, { cli, loadBefore, loadAfter: os.loadavg() });
  console.log(`\n${text}`);
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, pauseS: PAUSE_S, connections: CONNECTIONS, bad, healthy }, null, 1)}\n`,
  );
  if (WRITE_DOCS) {
    writeDocsBlock(DOCS_FILE, { start: START, end: END }, DOCS_SECTION, text);
    console.log(`\nwrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
  }
  if (KEEP) console.log(`\nkept ${work}`);
  if ([...bad, ...healthy].some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof BenchError ? `canary bench: ${err.message}` : err);
  process.exit(1);
});
