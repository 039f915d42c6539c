/**
 * The autoscaler under a step load: 50 → 400 → 50 req/s against a service with a target of 100
 * req/s per instance (issue 5, "Speed").
 *
 *   npx tsx bench/autoscale.bench.ts [--steady 60] [--hold 300] [--after 360] [--quick] [--write-docs] [--keep]
 *   npx tsx bench/autoscale.bench.ts --from-results [--write-docs]   (the report of the last run again;
 *     its date line is today's)
 *   (run `npm run build` first)
 *
 * A temporary git project (service `web`: node:http, `autoscale: { min: 1, max: 8, target: { rps:
 * 100 } }`, every other setting at its default: evaluation every 15 s, tolerance 0.1, scale-up at
 * most +100% or +4 per 15 s, scale-down stabilisation 5 min; metrics collected every 5 s), `tandem
 * up --detach` on free ports. Once its one instance is ready, an open-loop load
 * (bench/lib-paced-load.ts: fixed rate whatever the answers, keep-alive, bounded in flight) hits the
 * environment's listener: 50 req/s for --steady s, 400 req/s for --hold s, 50 req/s for --after s.
 * Meanwhile `GET /v1/status` (what `tandem status --json` prints; spawning the CLI every 500 ms
 * would load this 2-core machine itself) is polled every 500 ms for desired and ready instances.
 * Afterwards the `service.scaled` and `autoscale.decision` events are read from .tandem/tandem.db
 * (read-only; no API lists events). Measured: step → first scale-out event, step → ≥ 4 ready
 * instances, changes per phase, drop → scale-in event, failed requests, every decision's reason.
 *
 * --quick (a smoke run): 20/60/60 s and the service's `scaleDown.stabilization` set to 30s in the
 * tandem.yaml written, which the report says. The Kubernetes HPA cannot run here (no cluster): its
 * documented behaviour for the same step is reported next to the measurement, labelled as such.
 *
 * Bounded: every verb has a timeout, the load stops by itself, and the whole run has a hard
 * deadline. Processes are found by pid only (.tandem/server.json, .tandem/run/agent.json, the
 * status), remembered with their start time and killed by pid if still there at the end. Raw
 * results go to bench/results/autoscale.json; --write-docs replaces only the generated block of
 * docs/benchmarks.md.
 */
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { PacedLoadResult, PacedPhase } from './lib-paced-load.js';
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
  startLoadProcess,
  tandemEnv,
  writeDocsBlock,
} from './lib-tandem-bench.js';
import { BenchProject, productionWeb, projectYaml } from './lib-tandem-project.js';

const LOAD_SCRIPT = path.join(REPO, 'bench/lib-paced-load.ts');
const RESULTS_FILE = path.join(REPO, 'bench/results/autoscale.json');
const DOCS_FILE = path.join(REPO, 'docs/benchmarks.md');
const START = '<!-- autoscale-bench:start -->';
const END = '<!-- autoscale-bench:end -->';

const LOW_RPS = 50;
const HIGH_RPS = 400;
const TARGET_RPS = 100;
const MIN = 1;
const MAX = 8;
/** 400 / 100 per instance. */
const EXPECTED_OUT = 4;
/** The issue's targets. */
const SCALE_OUT_TARGET_S = 15;
const MAX_CHANGES_STEADY = 1;
const DEFAULT_STABILISATION_S = 300;
const QUICK_STABILISATION_S = 30;
const EVALUATION_S = 15;
const POLL_MS = 500;
/** 400 req/s × 2.5 s: a stall of the machine (shared, 2 cores) must not cut the offered load. */
const MAX_INFLIGHT = 1000;
const REQUEST_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Arguments

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const STEADY_S = intArg('--steady', QUICK ? 20 : 60, 5, 1800);
const HOLD_S = intArg('--hold', QUICK ? 60 : 300, 10, 1800);
const AFTER_S = intArg('--after', QUICK ? 60 : 360, 10, 1800);
const STABILISATION_S = QUICK ? QUICK_STABILISATION_S : DEFAULT_STABILISATION_S;
const WRITE_DOCS = argv.includes('--write-docs');
const FROM_RESULTS = argv.includes('--from-results');
const KEEP = argv.includes('--keep');
if (WRITE_DOCS && QUICK) fail('--write-docs needs the full run (no --quick)');
const LOAD_MS = (STEADY_S + HOLD_S + AFTER_S) * 1000;
/** Everything stops by this deadline, whatever hangs. */
const HARD_DEADLINE_MS = LOAD_MS + 8 * 60_000;

installCleanup(KEEP);

// ---------------------------------------------------------------------------------------------
// Status polling and events

interface Poll {
  t: number;
  desired: number;
  ready: number;
  instances: number;
}

/** Polls GET /v1/status every POLL_MS until stopped; a failed poll is counted, not fatal. */
function pollStatus(project: BenchProject): {
  latest(): Poll | undefined;
  stop(): Promise<{ polls: Poll[]; failed: number }>;
} {
  const polls: Poll[] = [];
  let failed = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = Date.now();
      try {
        const web = productionWeb(await project.status());
        polls.push({
          t,
          desired: web.replicas.desired,
          ready: web.replicas.ready,
          instances: web.instances.length,
        });
      } catch {
        failed++;
      }
      await sleep(Math.max(0, POLL_MS - (Date.now() - t)));
    }
  })();
  return {
    latest: () => polls.at(-1),
    async stop() {
      stopped = true;
      await loop;
      return { polls, failed };
    },
  };
}

interface Decision {
  from: number;
  to: number;
  recommendation?: number;
  metric: number | null;
  target: { kind: string; value: number };
  ratio: number | null;
  limitedBy: string | null;
  reason: string;
  policy?: Record<string, number>;
}

interface ScaleEvent {
  id: number;
  at: number;
  type: 'service.scaled' | 'autoscale.decision';
  /** service.scaled: the new count. */
  replicas?: number;
  by?: string;
  decision: Decision | undefined;
}

/** The autoscaler's events of production.web, oldest first (the store, read-only). */
function readEvents(dir: string): ScaleEvent[] {
  const db = new Database(path.join(dir, '.tandem', 'tandem.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT id, at, type, data FROM events
         WHERE type IN ('service.scaled', 'autoscale.decision') AND subject_id = 'production.web' ORDER BY id`,
      )
      .all() as Array<{ id: number; at: string; type: ScaleEvent['type']; data: string }>;
    return rows.map((r) => {
      const data = JSON.parse(r.data) as Record<string, unknown>;
      // service.scaled carries the decision under `decision`; autoscale.decision is the decision.
      const decision = (r.type === 'service.scaled' ? data.decision : data) as Decision | undefined;
      return {
        id: r.id,
        at: Date.parse(r.at),
        type: r.type,
        ...(typeof data.replicas === 'number' ? { replicas: data.replicas } : {}),
        ...(typeof data.by === 'string' ? { by: data.by } : {}),
        decision,
      };
    });
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The run

interface RunResult {
  load: PacedLoadResult;
  polls: Poll[];
  pollFailures: number;
  events: ScaleEvent[];
  cli: string;
  quick: boolean;
  stabilisationS: number;
}

async function runBench(work: string, main: string): Promise<RunResult> {
  const autoscale = `autoscale: { min: ${MIN}, max: ${MAX}, target: { rps: ${TARGET_RPS} }${
    QUICK ? `, scaleDown: { stabilization: ${QUICK_STABILISATION_S}s }` : ''
  } }`;
  const project = await BenchProject.create({
    work,
    name: 'autoscale',
    main,
    yaml: (listen) => projectYaml({ name: 'autoscalebench', listen, service: [autoscale] }),
  });
  console.log(`project in ${project.dir}, API on ${project.apiPort}, production on ${project.listenPort}`);
  console.log(`service web: ${autoscale}`);
  try {
    await project.up(MIN);
    const schedule = `${LOW_RPS}x${STEADY_S},${HIGH_RPS}x${HOLD_S},${LOW_RPS}x${AFTER_S}`;
    const poller = pollStatus(project);
    const load = await startLoadProcess<PacedLoadResult>(
      LOAD_SCRIPT,
      [project.listenPort, schedule, MAX_INFLIGHT, REQUEST_TIMEOUT_MS, LOAD_MS + 60_000],
      REQUEST_TIMEOUT_MS,
    );
    console.log(`load on: ${schedule} (req/s x s), ${(LOAD_MS / 60_000).toFixed(1)} min`);
    const marks: Array<[number, string]> = [
      [STEADY_S, `step to ${HIGH_RPS} req/s`],
      [STEADY_S + HOLD_S, `drop to ${LOW_RPS} req/s`],
      [STEADY_S + HOLD_S + AFTER_S, 'load over'],
    ];
    // Progress every 15 s (and at the phase changes), so a long run shows it is alive.
    let lastDesired = -1;
    for (let s = 0; s * 1000 < LOAD_MS; s++) {
      await sleep(Math.max(0, load.startedAt + (s + 1) * 1000 - Date.now()));
      const mark = marks.find(([at]) => at === s + 1);
      const last = poller.latest();
      if (last === undefined) continue;
      if (mark !== undefined || (s + 1) % 15 === 0 || last.desired !== lastDesired)
        console.log(
          `  t+${s + 1} s: desired ${last.desired}, ready ${last.ready}${mark ? ` — ${mark[1]}` : ''}`,
        );
      lastDesired = last.desired;
    }
    const result = await load.stop();
    const { polls, failed } = await poller.stop();
    const events = readEvents(project.dir);
    const cli = await run(process.execPath, [main, '--version'], { cwd: project.dir, env: tandemEnv(work) });
    return {
      load: result,
      polls,
      pollFailures: failed,
      events,
      cli: cli.stdout.trim(),
      quick: QUICK,
      stabilisationS: STABILISATION_S,
    };
  } finally {
    await project.down(KEEP);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const sec = (ms: number) => (ms / 1000).toFixed(1);
const fmtMs = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`);

interface Analysis {
  stepAt: number;
  dropAt: number;
  endAt: number;
  scaled: ScaleEvent[];
  changes: { steady: ScaleEvent[]; hold: ScaleEvent[]; after: ScaleEvent[] };
  firstOut: ScaleEvent | undefined;
  /** The count the hold ended at, the decision that first set it, and the changes after it (flapping). */
  holdCount: number;
  settled: ScaleEvent | undefined;
  afterSettled: ScaleEvent[];
  readyOutAt: number | undefined;
  firstIn: ScaleEvent | undefined;
  backToMinAt: number | undefined;
  failed: number;
  dropped: number;
}

function analyse(r: RunResult): Analysis {
  const [steady, hold, after] = r.load.phases as [PacedPhase, PacedPhase, PacedPhase];
  const stepAt = hold.startedAt;
  const dropAt = after.startedAt;
  const endAt = after.endedAt;
  const scaled = r.events.filter((e) => e.type === 'service.scaled');
  const between = (a: number, b: number) => scaled.filter((e) => e.at >= a && e.at < b);
  const grows = (e: ScaleEvent) => e.decision !== undefined && e.decision.to > e.decision.from;
  const shrinks = (e: ScaleEvent) => e.decision !== undefined && e.decision.to < e.decision.from;
  const firstOut = scaled.find((e) => e.at >= stepAt && grows(e));
  const readyOutAt = r.polls.find((p) => p.t >= stepAt && p.ready >= EXPECTED_OUT)?.t;
  const holdChanges = between(stepAt, dropAt);
  const holdCount = holdChanges.at(-1)?.replicas ?? MIN;
  const settled = holdChanges.find((e) => e.replicas === holdCount);
  const afterSettled = settled === undefined ? [] : holdChanges.filter((e) => e.at > settled.at);
  const firstIn = scaled.find((e) => e.at >= dropAt && shrinks(e));
  const backToMinAt =
    firstIn === undefined
      ? undefined
      : r.polls.find((p) => p.t >= firstIn.at && p.desired === MIN && p.ready === MIN && p.instances === MIN)
          ?.t;
  const phases = [steady, hold, after];
  return {
    stepAt,
    dropAt,
    endAt,
    scaled,
    changes: {
      steady: between(steady.startedAt, stepAt),
      hold: holdChanges,
      after: between(dropAt, endAt + 1),
    },
    firstOut,
    holdCount,
    settled,
    afterSettled,
    readyOutAt,
    firstIn,
    backToMinAt,
    failed: phases.reduce((n, p) => n + p.errors + p.non2xx, 0),
    dropped: phases.reduce((n, p) => n + p.dropped, 0),
  };
}

function describeDecision(d: Decision | undefined): string {
  if (d === undefined) return 'no decision recorded';
  const metric = d.metric === null ? 'no data' : `${d.metric.toFixed(1)} req/s per instance`;
  const ratio = d.ratio === null ? '' : `, ratio ${d.ratio.toFixed(2)}`;
  const limited = d.limitedBy === null ? '' : `, limited by ${d.limitedBy}`;
  return `${d.from} → ${d.to} (${metric}${ratio}${limited}): “${d.reason}”`;
}

function report(r: RunResult, a: Analysis, machine: { loadBefore: number[]; loadAfter: number[] }): string {
  const [steady, hold, after] = r.load.phases as [PacedPhase, PacedPhase, PacedPhase];
  const rel = (t: number, from: number, label: string) => `${label} +${sec(t - from)} s`;
  const at = (e: ScaleEvent) =>
    e.at < a.stepAt
      ? rel(e.at, steady.startedAt, 'start')
      : e.at < a.dropAt
        ? rel(e.at, a.stepAt, 'step')
        : rel(e.at, a.dropAt, 'drop');
  const policy = a.scaled.find((e) => e.decision?.policy !== undefined)?.decision?.policy;
  const outS = a.firstOut === undefined ? undefined : (a.firstOut.at - a.stepAt) / 1000;
  const settledS = a.settled === undefined ? undefined : (a.settled.at - a.stepAt) / 1000;
  const readyS = a.readyOutAt === undefined ? undefined : (a.readyOutAt - a.stepAt) / 1000;
  const inS = a.firstIn === undefined ? undefined : (a.firstIn.at - a.dropAt) / 1000;
  const minS = a.backToMinAt === undefined ? undefined : (a.backToMinAt - a.dropAt) / 1000;
  const verdict = (ok: boolean) => (ok ? 'met' : 'missed');
  const phaseRow = (label: string, p: PacedPhase, changes: ScaleEvent[]) => {
    const failed = p.errors + p.non2xx;
    return `| ${label} | ${p.rate} | ${(p.ok / p.seconds).toFixed(1)} | ${failed}${p.dropped > 0 ? ` (+${p.dropped} not sent)` : ''} | ${fmtMs(p.p50)} | ${fmtMs(p.p99)} | ${changes.length}${changes.length > 0 ? ` (${changes.map((e) => `${e.decision?.from ?? '?'}→${e.replicas}`).join(', ')})` : ''} |`;
  };
  const lines = [
    ...machineLines({ cli: r.cli, ...machine }),
    `- Service \`web\` (node:http, health every 500 ms): \`autoscale: { min: ${MIN}, max: ${MAX}, target: { rps: ${TARGET_RPS} }${r.quick ? `, scaleDown: { stabilization: ${QUICK_STABILISATION_S}s }` : ''} }\`; everything else default${policy === undefined ? '' : ` (as recorded in the decisions: evaluation every ${(policy.evaluationIntervalMs ?? 0) / 1000} s, tolerance ${policy.tolerance}, scale-up +${policy.scaleUpPercent}% or +${policy.scaleUpInstances} per ${(policy.scaleUpPeriodMs ?? 0) / 1000} s, scale-down stabilisation ${(policy.scaleDownStabilisationMs ?? 0) / 1000} s)`}; metrics collected every 5 s`,
    ...(r.quick
      ? [
          `- **Quick mode (smoke run): the scale-down stabilisation is shortened to ${QUICK_STABILISATION_S} s** (default 300 s), and the phases are ${steady.seconds}/${hold.seconds}/${after.seconds} s`,
        ]
      : []),
    `- Load: open loop through the environment's listener (fixed rate whatever the answers; keep-alive; at most ${MAX_INFLIGHT} in flight), ${LOW_RPS} req/s for ${steady.seconds} s → ${HIGH_RPS} req/s for ${hold.seconds} s → ${LOW_RPS} req/s for ${after.seconds} s; replicas read from \`GET /v1/status\` every ${POLL_MS} ms (${r.polls.length} reads, ${r.pollFailures} failed); decisions from the \`service.scaled\` / \`autoscale.decision\` events`,
    '',
    '| phase | offered req/s | answered 2xx req/s | failed | p50 | p99 | scale changes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    phaseRow(`steady (${steady.seconds} s)`, steady, a.changes.steady),
    phaseRow(`step and hold (${hold.seconds} s)`, hold, a.changes.hold),
    phaseRow(`after the drop (${after.seconds} s)`, after, a.changes.after),
    '',
    '| measure | Tandem (measured) | target | Kubernetes HPA (documented, not measured) |',
    '| --- | --- | --- | --- |',
    `| step → first scale-out decision | ${outS === undefined ? '**none**' : `**${outS.toFixed(1)} s** (${a.firstOut?.decision?.from} → ${a.firstOut?.replicas})`} | ≤ ${SCALE_OUT_TARGET_S} s: **${verdict(outS !== undefined && outS <= SCALE_OUT_TARGET_S)}** | the metric shows the step after up to one metrics resolution (metrics-server \`--metric-resolution\`: 60 s by default, 15 s in the upstream manifests; a req/s target needs a custom-metrics adapter over Prometheus, whose default \`scrape_interval\` is 1 m), then ≤ 15 s (sync period): ≈ 15–75 s |`,
    ...(a.settled !== undefined && a.settled !== a.firstOut
      ? [
          `| step → decision reaching ${a.holdCount} (the count it held) | ${settledS?.toFixed(1)} s (${a.settled.decision?.from} → ${a.settled.replicas}) | — | — |`,
        ]
      : []),
    `| step → ≥ ${EXPECTED_OUT} ready instances | ${readyS === undefined ? '**never**' : `${readyS.toFixed(1)} s`} | — | the decision above + pod scheduling, start and readiness probe |`,
    `| scale changes in ${hold.seconds} s at ${HIGH_RPS} req/s (from the step) | ${a.changes.hold.length} | ≤ ${MAX_CHANGES_STEADY}: **${verdict(a.changes.hold.length <= MAX_CHANGES_STEADY)}** | 1 (1 → 4 is within one scale-up period: +100% or +4 pods per 15 s, whichever is more; no change within the 0.1 tolerance) |`,
    `| … of them after it reached ${a.holdCount} (flapping) | ${a.afterSettled.length} | 0: **${verdict(a.afterSettled.length === 0)}** | 0 |`,
    `| scale changes in ${steady.seconds} s at ${LOW_RPS} req/s (before the step) | ${a.changes.steady.length} | 0 | 0 (already at minReplicas) |`,
    `| drop → scale-in decision | ${inS === undefined ? `**none within ${after.seconds} s**` : `**${inS.toFixed(1)} s** (${a.firstIn?.decision?.from} → ${a.firstIn?.replicas}; stabilisation ${r.stabilisationS} s ${inS >= r.stabilisationS ? '+' : '−'} ${Math.abs(inS - r.stabilisationS).toFixed(1)} s)`} | the ${r.stabilisationS} s window, counted from the last evaluation that still saw ${HIGH_RPS} req/s (up to ${EVALUATION_S} s either side of the drop), + ≤ ${EVALUATION_S} s: ${r.stabilisationS - EVALUATION_S}–${r.stabilisationS + 2 * EVALUATION_S} s: **${verdict(inS !== undefined && inS >= r.stabilisationS - EVALUATION_S && inS <= r.stabilisationS + 2 * EVALUATION_S)}** | 300 s stabilisation (the highest recommendation of the window is kept) + ≤ 15 s sync + the metric's lag |`,
    `| drop → back to ${MIN} instance | ${minS === undefined ? '—' : `${minS.toFixed(1)} s`} | — | + pod termination |`,
    `| failed requests (all phases) | **${a.failed}**${a.dropped > 0 ? ` (+${a.dropped} not sent: generator bound)` : ''} | 0: **${verdict(a.failed === 0)}** | — |`,
    '',
    ...(a.firstOut !== undefined && a.firstOut.replicas !== undefined && a.firstOut.replicas < a.holdCount
      ? [
          `Why ${a.changes.hold.length} steps up: each evaluation averages the last ${EVALUATION_S} s of 5 s collections, so the first one after the step (${outS?.toFixed(1)} s after it) saw the new rate over part of its window only and scaled part of the way (${a.firstOut.decision?.from} → ${a.firstOut.replicas}); the next, ${EVALUATION_S} s later, saw all of it.`,
          '',
        ]
      : []),
    'Decisions that changed the count (`service.scaled`, by the autoscaler), with their inputs:',
    '',
    ...(a.scaled.length === 0
      ? ['- none']
      : a.scaled.map((e) => `- ${at(e)}: ${describeDecision(e.decision)}`)),
  ];
  const holds = r.events.filter((e) => e.type === 'autoscale.decision');
  if (holds.length > 0) {
    lines.push(
      '',
      `Other recorded decisions (\`autoscale.decision\`: a new reason to hold), ${holds.length}:`,
      '',
      ...holds.slice(0, 12).map((e) => `- ${at(e)}: ${describeDecision(e.decision)}`),
      ...(holds.length > 12 ? [`- … ${holds.length - 12} more in bench/results/autoscale.json`] : []),
    );
  }
  if (r.load.failures.length > 0)
    lines.push('', `First failures (ms since the load began): ${r.load.failures.slice(0, 5).join('; ')}`);
  return lines.join('\n');
}

const DOCS_SECTION = `## Autoscaler: step load

A service with a target of 100 req/s per instance under a step from 50 to 400 req/s and back, in one
run of \`bench/autoscale.bench.ts\` (see the method at the top of the file). The Kubernetes HPA
cannot run on this machine (no cluster): its column is its documented behaviour, not a measurement.

@BLOCK@
`;

/** --from-results: the report of the last run's raw results (e.g. after a change to the report). */
function reportSaved(): void {
  const saved = readJson(RESULTS_FILE) as
    | (RunResult & { loadBefore: number[]; loadAfter: number[] })
    | undefined;
  if (saved?.load?.phases?.length !== 3) fail(`no results of a run in ${path.relative(REPO, RESULTS_FILE)}`);
  if (WRITE_DOCS && saved.quick) fail('--write-docs needs the results of a full run (not --quick)');
  const block = report(saved, analyse(saved), saved);
  console.log(`${block}\n`);
  if (WRITE_DOCS) {
    writeDocsBlock(DOCS_FILE, { start: START, end: END }, DOCS_SECTION, block);
    console.log(`wrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
  }
}

async function main(): Promise<void> {
  if (FROM_RESULTS) return reportSaved();
  hardDeadline(
    HARD_DEADLINE_MS,
    `autoscale bench: hard deadline of ${HARD_DEADLINE_MS / 60_000} min reached`,
  );
  const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tandem-autoscale-bench-')));
  addTempDir(work);
  const cli = snapshotCli(work);
  console.log(`CLI: ${cli.description}${QUICK ? '; QUICK mode (scale-down stabilisation 30 s)' : ''}`);
  const loadBefore = os.loadavg();
  const result = await runBench(work, cli.main);
  const analysis = analyse(result);
  const loadAfter = os.loadavg();
  const block = report(result, analysis, { loadBefore, loadAfter });
  console.log(`\n${block}\n`);
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ date: new Date().toISOString(), build: cli.description, loadBefore, loadAfter, ...result }, null, 2)}\n`,
  );
  console.log(`raw results: ${path.relative(REPO, RESULTS_FILE)}`);
  if (WRITE_DOCS) {
    writeDocsBlock(DOCS_FILE, { start: START, end: END }, DOCS_SECTION, block);
    console.log(`wrote the generated block of ${path.relative(REPO, DOCS_FILE)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof BenchError ? `autoscale bench: ${err.message}` : err);
    process.exit(1);
  },
);
