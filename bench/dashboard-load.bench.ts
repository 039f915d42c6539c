/**
 * The dashboard's first load (issue 6: "dashboard first load under 1 s on loopback; bundle size
 * reported"): Debian's Chromium, driven by playwright-core, opens the overview at `/` of the real
 * API server (auth on, a session cookie from a real login) and waits for the overview table to
 * hold every service × environment row, painted.
 *
 *   npx tsx bench/dashboard-load.bench.ts [--loads N] [--only small|large] [--budget SECONDS]
 *
 * 1. Builds the dashboard (scripts/build-web.mjs, into a temporary directory) and reports its
 *    files' sizes, raw and gzip.
 * 2. Per scenario — "small": 3 services × 2 environments and a few hundred events; "large": 1,000
 *    services × 2 environments and 100,000 events — starts the server in its own process
 *    (bench/lib-dashboard-server.ts: seeded store, a viewer token, the API server with auth and
 *    the access routes, the dashboard mounted as serve.ts mounts it).
 * 3. Logs in once through the login form, keeps the session cookie, and closes that page.
 * 4. N times (default 20, after 1 unmeasured one; fewer, at least 5, once --budget seconds (110)
 *    are spent, so the whole run stays near 3 minutes): a fresh browser context (empty HTTP cache)
 *    with the cookie, `page.goto('/')` until the overview is painted with all its rows (cold), then
 *    once the page is idle a reload in the same context (warm: the hashed assets come from cache).
 * 5. 3 more cold loads with Chromium's Performance domain on (style, layout, main-thread CPU time),
 *    and GET /api/v1/overview fetched from inside a page with its parts (headers, body,
 *    JSON.parse) timed apart.
 *
 * Measured inside the page (bench/lib-dashboard-probe.ts): first contentful paint,
 * DOMContentLoaded, the overview with data (the frame after its rows are in the DOM; reported from
 * the `goto` call), bytes transferred (resource timing), and where the time went: the document,
 * the app bundle, GET /api/v1/session, GET /api/v1/overview (waiting for the server, download),
 * and the parse + render after it. Raw numbers go to bench/results/dashboard-load.json; the
 * markdown block for docs/benchmarks.md is printed.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type Browser,
  type BrowserContext,
  type CDPSession,
  type Cookie,
  chromium,
  type Page,
} from 'playwright-core';
import { ROWS_SHOWN } from '../web/src/lib/overview-filter.js';
import {
  collectExpression,
  overviewDissectionExpression,
  type PageSample,
  probeScript,
  type ResourceTiming,
} from './lib-dashboard-probe.js';
import type { ServerReady } from './lib-dashboard-server.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = path.join(REPO, 'bench/results/dashboard-load.json');
const CHROMIUM = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const VIEWPORT = { width: 1280, height: 800 };
const TARGET_MS = 1000;
/** Unmeasured loads first (the login has already loaded the overview once). */
const WARMUP = 1;
/** Extra loads with Chromium's Performance domain on (main-thread work), not among the timed ones. */
const PROFILED = 3;
const LOAD_TIMEOUT_MS = 30_000;
const SERVER_START_TIMEOUT_MS = 180_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}
function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const LOADS = arg('--loads', 20);
/** The measured loads of a scenario stop early (after at least MIN_LOADS) once this is spent. */
const BUDGET_MS = arg('--budget', 110) * 1000;
const MIN_LOADS = 5;

interface Scenario {
  name: 'small' | 'large';
  services: number;
  events: number;
  cycles: number;
}
const SCENARIOS: Scenario[] = [
  { name: 'small', services: 3, events: 400, cycles: 2 },
  { name: 'large', services: 1000, events: 100_000, cycles: 20 },
].filter((s) => stringArg('--only') === undefined || s.name === stringArg('--only')) as Scenario[];

interface BuildOut {
  outdir: string;
  files: Array<{ file: string; bytes: number; gzipBytes: number }>;
  total: { bytes: number; gzipBytes: number };
}

/** One load, reduced to the numbers the report uses (all ms from the navigation's start). */
interface Load {
  /** From the `goto`/`reload` call to the navigation's start (Playwright → Chromium). */
  callToNavMs: number;
  fcpMs: number | null;
  dclMs: number;
  /** The overview painted with every row, from the `goto`/`reload` call. */
  overviewMs: number;
  /** The same, from the navigation's start. */
  overviewFromNavMs: number;
  rowsInDomMs: number;
  rows: number;
  transferBytes: number;
  /** Of which from the API (session + overview). */
  apiTransferBytes: number;
  /** Where the time went (ms from the navigation's start, ends of each step). */
  documentEnd: number;
  appJsEnd: number | null;
  sessionStart: number | null;
  sessionEnd: number | null;
  overviewStart: number | null;
  /** The overview's first byte, then its last. */
  overviewFirstByte: number | null;
  overviewEnd: number | null;
  overviewBytes: number | null;
  overviewEncodedBytes: number | null;
  longTaskMs: number;
  longestTaskMs: number;
  assetsFromCache: boolean;
  resources: ResourceTiming[];
}

const children = new Set<ChildProcess>();

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}
const median = (v: readonly number[]) => quantile(v, 0.5);
const p95 = (v: readonly number[]) => quantile(v, 0.95);

async function buildDashboard(outdir: string): Promise<BuildOut> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['scripts/build-web.mjs', '--outdir', outdir, '--json'],
    { cwd: REPO, timeout: 120_000 },
  );
  return JSON.parse(stdout) as BuildOut;
}

interface RunningServer {
  ready: ServerReady;
  stop(): Promise<void>;
}

async function startServer(webRoot: string, s: Scenario): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO, 'bench/lib-dashboard-server.ts'),
      webRoot,
      String(s.services),
      String(s.events),
      String(s.cycles),
    ],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TANDEM_LOG: 'warn' } },
  );
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    child.stdin?.end();
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    if (code === 'timeout' && child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    children.delete(child);
  };
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then((code) => `exited ${code}`),
    sleep(SERVER_START_TIMEOUT_MS).then(() => 'timeout'),
  ]);
  if (!line.startsWith('{')) {
    await stop();
    throw new Error(`the ${s.name} server did not start (${line}): ${stderr}`);
  }
  return { ready: JSON.parse(line) as ServerReady, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Logs in through the form like a person; answers the session cookie (and closes the page). */
async function logIn(
  browser: Browser,
  url: string,
  token: string,
): Promise<{ cookies: Cookie[]; csrf: boolean }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(LOAD_TIMEOUT_MS);
    const res = await page.goto(`${url}/`);
    if (res?.status() !== 200) throw new Error(`GET / answered ${res?.status()}: ${await res?.text()}`);
    await page.getByTestId('login-token').fill(token);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('principal').waitFor();
    const cookies = await context.cookies();
    if (!cookies.some((c) => c.name === 'tandem_session' && c.httpOnly && c.sameSite === 'Strict'))
      throw new Error(
        `no HttpOnly SameSite=Strict session cookie after the login: ${JSON.stringify(cookies)}`,
      );
    const csrf = await page.evaluate("sessionStorage.getItem('tandem.csrf') !== null");
    // Closed at once: an open overview polls every 5 s and would render 2,000 rows during the loads.
    return { cookies, csrf: csrf === true };
  } finally {
    await context.close();
  }
}

function reduce(sample: PageSample, callAt: number): Load {
  const find = (re: RegExp) => sample.resources.find((r) => re.test(r.path));
  const appJs = find(/^\/assets\/app-[^/]+\.js$/);
  const session = find(/^\/api\/v1\/session$/);
  const overview = find(/^\/api\/v1\/overview$/);
  const assets = sample.resources.filter((r) => r.path.startsWith('/assets/'));
  const api = sample.resources.filter((r) => r.path.startsWith('/api/'));
  const callToNavMs = sample.timeOrigin - callAt;
  return {
    callToNavMs,
    fcpMs: sample.fcp,
    dclMs: sample.domContentLoaded,
    overviewMs: callToNavMs + sample.paintedAt,
    overviewFromNavMs: sample.paintedAt,
    rowsInDomMs: sample.rowsAt,
    rows: sample.rows,
    transferBytes: sample.document.transfer + sample.resources.reduce((n, r) => n + r.transfer, 0),
    apiTransferBytes: api.reduce((n, r) => n + r.transfer, 0),
    documentEnd: sample.document.end,
    appJsEnd: appJs?.end ?? null,
    sessionStart: session?.start ?? null,
    sessionEnd: session?.end ?? null,
    overviewStart: overview?.start ?? null,
    overviewFirstByte: overview?.responseStart ?? null,
    overviewEnd: overview?.end ?? null,
    overviewBytes: overview?.decoded ?? null,
    overviewEncodedBytes: overview?.encoded ?? null,
    longTaskMs: sample.longTasks.reduce((n, [, d]) => n + d, 0),
    longestTaskMs: sample.longTasks.reduce((n, [, d]) => Math.max(n, d), 0),
    assetsFromCache: assets.length > 0 && assets.every((r) => r.transfer === 0),
    resources: [sample.document, ...sample.resources],
  };
}

/** Navigates (goto or reload) and answers the load as the page measured it. */
async function measure(page: Page, navigate: () => Promise<unknown>): Promise<Load> {
  const callAt = performance.timeOrigin + performance.now();
  await navigate();
  const sample = (await page.evaluate(collectExpression(LOAD_TIMEOUT_MS))) as PageSample;
  return reduce(sample, callAt);
}

interface Pair {
  cold: Load;
  warm: Load;
  /** The 1-minute load average of the machine when the pair started. */
  loadAverage: number;
}

/** Renderer main-thread work over one load (Chromium's Performance domain), in ms. */
interface Work {
  scriptMs: number;
  recalcStyleMs: number;
  layoutMs: number;
  /** Every task on the main thread (wall clock). */
  taskMs: number;
  /** CPU time the main thread actually got. */
  threadCpuMs: number;
  layoutCount: number;
  recalcStyleCount: number;
}

type Metrics = Map<string, number>;

async function metricsOf(cdp: CDPSession): Promise<Metrics> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: Array<{ name: string; value: number }>;
  };
  return new Map(metrics.map((m) => [m.name, m.value]));
}

function workBetween(before: Metrics, after: Metrics): Work {
  const d = (name: string, scale: number) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) * scale;
  return {
    scriptMs: d('ScriptDuration', 1000),
    recalcStyleMs: d('RecalcStyleDuration', 1000),
    layoutMs: d('LayoutDuration', 1000),
    taskMs: d('TaskDuration', 1000),
    threadCpuMs: d('ThreadTime', 1000),
    layoutCount: d('LayoutCount', 1),
    recalcStyleCount: d('RecalcStyleCount', 1),
  };
}

/** Resolves once the page's main thread has been idle (or after 3 s): the last load's work is done. */
const IDLE =
  'new Promise((resolve) => requestIdleCallback(() => requestIdleCallback(() => resolve(true)), { timeout: 3000 }))';

/**
 * A fresh context (empty HTTP cache) with the session cookie: a cold load, then (once the page is
 * idle) a warm reload. With `profile`, only a cold load, with Chromium's Performance domain counting
 * the main thread's work (an instrumented run, kept apart from the timed ones; its counters
 * restart with a new document, so a reload's are not comparable).
 */
async function coldAndWarm(
  browser: Browser,
  url: string,
  cookies: Cookie[],
  expectedRows: number,
  profile = false,
): Promise<{ cold: Load; warm?: Load; loadAverage: number; work?: Work }> {
  const loadAverage = os.loadavg()[0] ?? 0;
  const context: BrowserContext = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.addCookies(cookies);
    await context.addInitScript({ content: probeScript(expectedRows) });
    const page = await context.newPage();
    page.setDefaultTimeout(LOAD_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const check = (l: Load) => {
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
      if (l.rows !== expectedRows) throw new Error(`the overview showed ${l.rows} rows, not ${expectedRows}`);
      return l;
    };
    if (profile) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const before = await metricsOf(cdp);
      const cold = check(await measure(page, () => page.goto(`${url}/`, { waitUntil: 'domcontentloaded' })));
      return { cold, loadAverage, work: workBetween(before, await metricsOf(cdp)) };
    }
    const cold = check(await measure(page, () => page.goto(`${url}/`, { waitUntil: 'domcontentloaded' })));
    await page.evaluate(IDLE);
    const warm = check(await measure(page, () => page.reload({ waitUntil: 'domcontentloaded' })));
    return { cold, warm, loadAverage };
  } finally {
    await context.close();
  }
}

interface Dissection {
  runs: number;
  headersMs: { median: number; p95: number };
  bodyMs: { median: number; p95: number };
  parseMs: { median: number; p95: number };
  chars: number;
}

/** GET /api/v1/overview from inside a logged-in page, its parts timed apart. */
async function dissectOverview(browser: Browser, url: string, cookies: Cookie[]): Promise<Dissection> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.addCookies(cookies);
    const page = await context.newPage();
    // Not the SPA: a small same-origin page (the API's own 404) keeps the renderer idle meanwhile.
    await page.goto(`${url}/favicon.ico`);
    const runs = (await page.evaluate(overviewDissectionExpression(11))) as Array<{
      status: number;
      headersMs: number;
      bodyMs: number;
      parseMs: number;
      chars: number;
    }>;
    const kept = runs.slice(1);
    if (kept.some((r) => r.status !== 200))
      throw new Error(`GET /api/v1/overview answered ${kept[0]?.status}`);
    const stat = (f: (r: (typeof kept)[number]) => number) => ({
      median: median(kept.map(f)),
      p95: p95(kept.map(f)),
    });
    return {
      runs: kept.length,
      headersMs: stat((r) => r.headersMs),
      bodyMs: stat((r) => r.bodyMs),
      parseMs: stat((r) => r.parseMs),
      chars: kept[0]?.chars ?? 0,
    };
  } finally {
    await context.close();
  }
}

interface Summary {
  loads: number;
  fcpMs: Stat;
  dclMs: Stat;
  overviewMs: Stat;
  overviewFromNavMs: Stat;
  callToNavMs: Stat;
  transferBytes: Stat;
  apiTransferBytes: Stat;
  /** Medians of the steps' ends and durations. */
  steps: {
    documentEnd: number;
    appJsEnd: number | null;
    sessionStart: number | null;
    sessionEnd: number | null;
    overviewStart: number | null;
    overviewServerMs: number | null;
    overviewDownloadMs: number | null;
    overviewEnd: number | null;
    /** From the overview's last byte to its rows in the DOM: JSON parse, adapt, Preact render. */
    renderMs: number | null;
    /** From the rows in the DOM to the frame after: style, layout, paint. */
    paintMs: number;
    longTaskMs: number;
    longestTaskMs: number;
  };
  overviewBytes: number | null;
  /** On the wire (gzip when the server compressed it). */
  overviewEncodedBytes: number | null;
  assetsFromCache: number;
  underTarget: number;
}

interface Stat {
  median: number;
  p95: number;
  min: number;
  max: number;
}

function stat(values: readonly number[]): Stat {
  return {
    median: median(values),
    p95: p95(values),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

function medianOrNull(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : median(known);
}

function summarise(loads: readonly Load[]): Summary {
  const diff = (f: (l: Load) => [number | null, number | null]) =>
    medianOrNull(
      loads.map((l) => {
        const [a, b] = f(l);
        return a === null || b === null ? null : b - a;
      }),
    );
  return {
    loads: loads.length,
    fcpMs: stat(loads.map((l) => l.fcpMs ?? Number.NaN).filter((v) => !Number.isNaN(v))),
    dclMs: stat(loads.map((l) => l.dclMs)),
    overviewMs: stat(loads.map((l) => l.overviewMs)),
    overviewFromNavMs: stat(loads.map((l) => l.overviewFromNavMs)),
    callToNavMs: stat(loads.map((l) => l.callToNavMs)),
    transferBytes: stat(loads.map((l) => l.transferBytes)),
    apiTransferBytes: stat(loads.map((l) => l.apiTransferBytes)),
    steps: {
      documentEnd: median(loads.map((l) => l.documentEnd)),
      appJsEnd: medianOrNull(loads.map((l) => l.appJsEnd)),
      sessionStart: medianOrNull(loads.map((l) => l.sessionStart)),
      sessionEnd: medianOrNull(loads.map((l) => l.sessionEnd)),
      overviewStart: medianOrNull(loads.map((l) => l.overviewStart)),
      overviewServerMs: diff((l) => [l.overviewStart, l.overviewFirstByte]),
      overviewDownloadMs: diff((l) => [l.overviewFirstByte, l.overviewEnd]),
      overviewEnd: medianOrNull(loads.map((l) => l.overviewEnd)),
      renderMs: diff((l) => [l.overviewEnd, l.rowsInDomMs]),
      paintMs: median(loads.map((l) => l.overviewFromNavMs - l.rowsInDomMs)),
      longTaskMs: median(loads.map((l) => l.longTaskMs)),
      longestTaskMs: median(loads.map((l) => l.longestTaskMs)),
    },
    overviewBytes: medianOrNull(loads.map((l) => l.overviewBytes)),
    overviewEncodedBytes: medianOrNull(loads.map((l) => l.overviewEncodedBytes)),
    assetsFromCache: loads.filter((l) => l.assetsFromCache).length,
    underTarget: loads.filter((l) => l.overviewMs < TARGET_MS).length,
  };
}

interface ScenarioResult {
  name: string;
  server: ServerReady & { token: '(redacted)' };
  loginCsrfStored: boolean;
  cold: Summary;
  warm: Summary;
  dissection: Dissection;
  /** From PROFILED separate, instrumented loads: the renderer main thread's work (medians). */
  work: { loads: number; cold: Work; raw: Work[] };
  /** Measured loads (fewer than asked when the time budget ran out). */
  loads: number;
  raw: Pair[];
  wallMs: number;
}

async function runScenario(browser: Browser, webRoot: string, s: Scenario): Promise<ScenarioResult> {
  const t0 = performance.now();
  console.log(
    `\n[${s.name}] seeding ${s.services} services × 2 environments, ~${s.events.toLocaleString('en-US')} events…`,
  );
  const server = await startServer(webRoot, s);
  try {
    const { ready } = server;
    console.log(
      `[${s.name}] ${ready.events.toLocaleString('en-US')} events, ${ready.rollouts.toLocaleString('en-US')} rollouts, ${ready.runs} runs seeded in ${(ready.seedMs / 1000).toFixed(1)} s; config loaded in ${(ready.configMs / 1000).toFixed(1)} s; ${ready.url}`,
    );
    const login = await logIn(browser, ready.url, ready.token);
    // The overview draws its first ROWS_SHOWN rows; "show more" and the filter reach the rest.
    const expectedRows = Math.min(s.services * ready.environments.length, ROWS_SHOWN);
    for (let i = 0; i < WARMUP; i++) await coldAndWarm(browser, ready.url, login.cookies, expectedRows);
    const raw: Pair[] = [];
    const until = performance.now() + BUDGET_MS;
    for (let i = 0; i < LOADS && (i < MIN_LOADS || performance.now() < until); i++) {
      const pair = await coldAndWarm(browser, ready.url, login.cookies, expectedRows);
      if (pair.warm === undefined) throw new Error('no warm load');
      raw.push({ cold: pair.cold, warm: pair.warm, loadAverage: pair.loadAverage });
      process.stdout.write(
        `[${s.name}] load ${i + 1}/${LOADS}: cold ${Math.round(pair.cold.overviewMs)} ms, warm ${Math.round(pair.warm.overviewMs)} ms\r`,
      );
    }
    process.stdout.write('\n');
    if (raw.length < LOADS)
      console.log(`[${s.name}] ${raw.length} of ${LOADS} loads: the ${BUDGET_MS / 1000} s budget ran out`);
    const profiled: Work[] = [];
    for (let i = 0; i < PROFILED; i++) {
      const one = await coldAndWarm(browser, ready.url, login.cookies, expectedRows, true);
      if (one.work !== undefined) profiled.push(one.work);
    }
    const dissection = await dissectOverview(browser, ready.url, login.cookies);
    return {
      name: s.name,
      server: { ...ready, token: '(redacted)' },
      loginCsrfStored: login.csrf,
      cold: summarise(raw.map((p) => p.cold)),
      warm: summarise(raw.map((p) => p.warm)),
      dissection,
      work: { loads: profiled.length, cold: medianWork(profiled), raw: profiled },
      loads: raw.length,
      raw,
      wallMs: performance.now() - t0,
    };
  } finally {
    await server.stop();
  }
}

function medianWork(list: readonly Work[]): Work {
  const m = (f: (w: Work) => number) => (list.length === 0 ? 0 : median(list.map(f)));
  return {
    scriptMs: m((w) => w.scriptMs),
    recalcStyleMs: m((w) => w.recalcStyleMs),
    layoutMs: m((w) => w.layoutMs),
    taskMs: m((w) => w.taskMs),
    threadCpuMs: m((w) => w.threadCpuMs),
    layoutCount: m((w) => w.layoutCount),
    recalcStyleCount: m((w) => w.recalcStyleCount),
  };
}

const ms = (v: number | null) => (v === null ? '–' : String(Math.round(v)));
const kib = (v: number | null) => (v === null ? '–' : `${(v / 1024).toFixed(1)} KiB`);

function report(build: BuildOut, results: ScenarioResult[], env: string): string {
  const lines: string[] = [];
  const js = build.files.find((f) => f.file.endsWith('.js'));
  const css = build.files.find((f) => f.file.endsWith('.css'));
  const html = build.files.find((f) => f.file.endsWith('.html'));
  lines.push(
    `Bundle (scripts/build-web.mjs, minified): ${[
      ['JS', js],
      ['CSS', css],
      ['HTML', html],
    ]
      .map(([name, f]) =>
        typeof f === 'object' ? `${name} ${kib(f.bytes)} (gzip ${kib(f.gzipBytes)})` : `${name} –`,
      )
      .join(', ')}; **${kib(build.total.bytes)} raw, ${kib(build.total.gzipBytes)} gzip in all**.`,
    '',
    env,
    '',
    `| Scenario | Load | FCP median / p95 (ms) | DOMContentLoaded median / p95 (ms) | Overview with data median / p95 (ms) | Transferred (median) | Under ${TARGET_MS} ms |`,
    '|---|---|---:|---:|---:|---:|:---:|',
  );
  for (const r of results) {
    const rows = r.server.services * r.server.environments.length;
    for (const [kind, s] of [
      ['cold', r.cold],
      ['warm', r.warm],
    ] as const) {
      lines.push(
        `| ${r.name}: ${r.server.services.toLocaleString('en-US')} services × ${r.server.environments.length} envs (${rows.toLocaleString('en-US')} rows), ${r.server.events.toLocaleString('en-US')} events | ${kind} | ${ms(s.fcpMs.median)} / ${ms(s.fcpMs.p95)} | ${ms(s.dclMs.median)} / ${ms(s.dclMs.p95)} | ${ms(s.overviewMs.median)} / ${ms(s.overviewMs.p95)} | ${kib(s.transferBytes.median)} (API ${kib(s.apiTransferBytes.median)}) | ${s.underTarget}/${s.loads} |`,
      );
    }
  }
  lines.push(
    '',
    'Where the time goes (medians, ms from the navigation start; cold loads, warm in parentheses):',
    '',
    '| Scenario | Document | App JS loaded | GET /session | GET /overview sent | Overview: server (to first byte) | Overview: download | Parse + render | Paint (style, layout) | Overview painted | Long tasks (longest) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const c = r.cold.steps;
    const w = r.warm.steps;
    const both = (a: number | null, b: number | null) => `${ms(a)} (${ms(b)})`;
    lines.push(
      `| ${r.name} | ${both(c.documentEnd, w.documentEnd)} | ${both(c.appJsEnd, w.appJsEnd)} | ${ms(c.sessionStart)}–${ms(c.sessionEnd)} (${ms(w.sessionStart)}–${ms(w.sessionEnd)}) | ${both(c.overviewStart, w.overviewStart)} | ${both(c.overviewServerMs, w.overviewServerMs)} | ${both(c.overviewDownloadMs, w.overviewDownloadMs)} | ${both(c.renderMs, w.renderMs)} | ${both(c.paintMs, w.paintMs)} | ${both(r.cold.overviewFromNavMs.median, r.warm.overviewFromNavMs.median)} | ${ms(c.longTaskMs)} / ${ms(c.longestTaskMs)} (${ms(w.longTaskMs)} / ${ms(w.longestTaskMs)}) |`,
    );
  }
  lines.push(
    '',
    `The renderer's main thread over a cold load (Chromium's Performance domain; medians of ${results[0]?.work.loads ?? 0} separate instrumented cold loads per scenario, not among the timed ones; durations are wall clock):`,
    '',
    '| Scenario | Style recalc (ms) | Layout (ms) | All tasks (ms) | CPU time the thread got (ms) |',
    '|---|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const w = r.work.cold;
    lines.push(
      `| ${r.name} | ${ms(w.recalcStyleMs)} | ${ms(w.layoutMs)} | ${ms(w.taskMs)} | ${ms(w.threadCpuMs)} |`,
    );
  }
  lines.push('');
  for (const r of results) {
    const d = r.dissection;
    lines.push(
      `- ${r.name}: GET /api/v1/overview is ${kib(r.cold.overviewBytes)} of JSON, ${wire(r.cold.overviewBytes, r.cold.overviewEncodedBytes)}; fetched from inside the page (${d.runs} times, no rendering) its headers arrive after ${d.headersMs.median.toFixed(1)} ms (p95 ${d.headersMs.p95.toFixed(1)}), its body after ${d.bodyMs.median.toFixed(1)} ms more, and JSON.parse takes ${d.parseMs.median.toFixed(1)} ms. The warm loads took their assets from the HTTP cache in ${r.warm.assetsFromCache}/${r.warm.loads} loads; Playwright's call to the navigation's start is ${r.cold.callToNavMs.median.toFixed(1)} ms (median, included in the overview column).`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set TANDEM_CHROMIUM)`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'tandem-dashboard-load-'));
  let browser: Browser | undefined;
  const started = performance.now();
  try {
    const build = await buildDashboard(path.join(work, 'web'));
    for (const f of build.files) console.log(`${f.file}  ${kib(f.bytes)} (gzip ${kib(f.gzipBytes)})`);
    console.log(`total  ${kib(build.total.bytes)} (gzip ${kib(build.total.gzipBytes)})`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const version = browser.version();
    const loadBefore = os.loadavg()[0] ?? 0;
    const results: ScenarioResult[] = [];
    for (const s of SCENARIOS) results.push(await runScenario(browser, build.outdir, s));
    const loadAfter = os.loadavg()[0] ?? 0;
    const counts = results.map((r) => `${r.loads} ${r.name}`).join(', ');
    const env = `Measured loads: ${counts} (asked: ${LOADS}; a scenario stops early once ${BUDGET_MS / 1000} s are spent), after ${WARMUP} unmeasured one. Each cold load is a fresh browser context (empty HTTP cache) holding the session cookie of one real login (a viewer token created in the store, entered in the login form), \`page.goto('/')\` of the real API server (auth on, the dashboard mounted as \`tandem up\` mounts it, its own process) on 127.0.0.1; the warm load is a reload in that context. "Overview with data" runs from the \`goto\`/\`reload\` call to the frame after every row is in the table; FCP and DOMContentLoaded from the navigation's start. Chromium ${version} headless (${CHROMIUM_ARGS.join(' ')}), viewport ${VIEWPORT.width}×${VIEWPORT.height}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after.`;
    const block = report(build, results, env);
    console.log(`\n${block}\n`);
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          chromium: version,
          cpus: os.cpus().length,
          node: process.version,
          loadAverage: { before: loadBefore, after: loadAfter },
          loads: LOADS,
          warmup: WARMUP,
          targetMs: TARGET_MS,
          bundle: { files: build.files, total: build.total },
          scenarios: results,
          wallMs: performance.now() - started,
        },
        null,
        2,
      )}\n`,
    );
    console.log(
      `Raw numbers: ${path.relative(REPO, RESULTS_FILE)} (whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    const slow = results.filter((r) => r.cold.overviewMs.p95 >= TARGET_MS);
    if (slow.length > 0)
      console.log(`\nCold first load p95 at or above ${TARGET_MS} ms: ${slow.map((r) => r.name).join(', ')}`);
    process.exitCode = slow.length > 0 ? 1 : 0;
  } finally {
    await browser?.close().catch(() => undefined);
    for (const child of children)
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(130);
  });

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});

/** How the overview travelled: as it is, or compressed to how much. */
function wire(decoded: number | null, encoded: number | null): string {
  if (decoded === null || encoded === null || encoded >= decoded) return 'sent uncompressed';
  return `sent gzipped (${kib(encoded)} on the wire)`;
}
