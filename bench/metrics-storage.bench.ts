/**
 * The built-in metrics store's disk use and speed at the scale: 50 services × 3 instances
 * × 1 day, in simulated time, into a temporary file.
 *
 * Every 5 s tick writes one sample per instance plus one aggregate per service (200 rows); every
 * 15 s each instance also writes a scrape of 20 application series (counters, histogram buckets
 * with a float `_sum`, gauges; each instance restarts, resetting its counters, about every 8 h).
 * compact() runs at every simulated minute, as the running collector would, so after a day raw
 * holds only its last hour (default retention): the steady state is what is measured.
 *
 * Reports the bytes on disk (live: database + WAL; after close; after VACUUM), rows and bytes per
 * table, write throughput, compaction time and the median time of 1 h, 1 day and 30 day window
 * reads, and prints a Markdown block for docs/benchmarks.md.
 *
 *   npx tsx bench/metrics-storage.bench.ts [--hours 24] [--services 50] [--instances 3] [--series 20] [--reads 50] [--keep]
 *
 * Raw numbers go to bench/results/metrics-storage.json.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteMetricsStore } from '../src/observe/metrics/index.js';
import type { AppPoint, AppSample, Sample, Subject } from '../src/observe/metrics/types.js';
import { DEFAULT_RETENTION } from '../src/observe/metrics/types.js';
import { LATENCY_BUCKETS_MS } from '../src/proxy/types.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = path.join(REPO, 'bench/results/metrics-storage.json');
const nativeBinding = createRequire(import.meta.url).resolve(
  'better-sqlite3/build/Release/better_sqlite3.node',
);

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const TICK_MS = 5 * S;
const SCRAPE_MS = 15 * S;
const TARGET_BYTES = 200 * 1024 * 1024;
const TOTAL_BUDGET_MS = 15 * 60_000;

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

class BenchError extends Error {}
function fail(message: string): never {
  throw new BenchError(message);
}

const HOURS = numberArg('--hours', 24, 1, 24 * 7);
const SERVICES = numberArg('--services', 50, 1, 500);
const INSTANCES = numberArg('--instances', 3, 1, 20);
const SERIES = numberArg('--series', 20, 4, 200);
const READS = numberArg('--reads', 50, 5, 1000);
/** Keep the temporary metrics file (its path is printed) to inspect it afterwards. */
const KEEP = argv.includes('--keep');

// ---------------------------------------------------------------------------------------------
// Synthetic fleet

/** mulberry32: deterministic, so two runs write the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const rnd = random(20250106);
const T0 = Date.UTC(2025, 0, 6);

interface Instance {
  subject: Subject;
  rss: number;
  /** Cumulative application counters (reset at a restart). */
  counters: number[];
  restartEvery: number;
}

interface Service {
  aggregate: Subject;
  /** Mean requests per second per instance. */
  rps: number;
  /** Share of requests per latency bucket. */
  profile: number[];
  errorRate: number;
  instances: Instance[];
}

const COUNTER_SERIES = Math.ceil(SERIES * 0.8);
const services: Service[] = Array.from({ length: SERVICES }, (_, s) => {
  const name = `svc-${String(s).padStart(2, '0')}`;
  // A log-normal-ish latency profile centred on a bucket between 5 ms and 250 ms.
  const centre = 3 + Math.floor(rnd() * 5);
  const weights = LATENCY_BUCKETS_MS.map((_, i) => Math.exp(-((i - centre) ** 2) / 2)).concat([0.001]);
  const sum = weights.reduce((a, b) => a + b, 0);
  return {
    aggregate: { environment: 'production', service: name, instance: '' },
    rps: 5 + rnd() * 195,
    profile: weights.map((w) => w / sum),
    errorRate: rnd() * 0.01,
    instances: Array.from({ length: INSTANCES }, (_, i) => ({
      subject: { environment: 'production', service: name, instance: `${name}-${i + 1}` },
      rss: 80e6 + rnd() * 200e6,
      counters: new Array<number>(COUNTER_SERIES).fill(0),
      restartEvery: Math.floor((6 + rnd() * 4) * H),
    })),
  };
});

const diurnal = (at: number) => 0.6 + 0.4 * Math.sin(((at - T0) / (24 * H)) * 2 * Math.PI);

/** A typical latency (ms) inside each bucket, for the latency sums. */
const BUCKET_MID_MS = LATENCY_BUCKETS_MS.map(
  (b, i) => (b + (i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!)) / 2,
).concat([6000]);

function tick(at: number): Sample[] {
  const out: Sample[] = [];
  const load = diurnal(at);
  for (const svc of services) {
    const aggLatency = new Array<number>(BUCKET_MID_MS.length).fill(0);
    const agg: Sample = {
      environment: svc.aggregate.environment,
      service: svc.aggregate.service,
      instance: '',
      at,
      intervalMs: TICK_MS,
      revision: 'r12-ab12cd3',
      requests: 0,
      errors: 0,
      latency: aggLatency,
      latencySumMs: 0,
      inflight: 0,
      cpuSeconds: 0,
      rssBytes: 0,
      healthy: 0,
      instances: 0,
    };
    for (const inst of svc.instances) {
      const requests = Math.round(svc.rps * 5 * load * (0.8 + 0.4 * rnd()));
      // One draw shapes the whole histogram (a cheap, deterministic jitter per bucket).
      const jitter = rnd();
      const latency = new Array<number>(BUCKET_MID_MS.length);
      let sumMs = 0;
      for (let i = 0; i < latency.length; i++) {
        const n = Math.round(requests * svc.profile[i]! * (0.9 + 0.2 * ((jitter * (i + 3) * 7.31) % 1)));
        latency[i] = n;
        sumMs += n * BUCKET_MID_MS[i]!;
        aggLatency[i]! += n;
      }
      inst.rss = Math.max(50e6, inst.rss + (rnd() - 0.5) * 1e6);
      const healthy = rnd() < 0.999 ? 1 : 0;
      const sample: Sample = {
        environment: inst.subject.environment,
        service: inst.subject.service,
        instance: inst.subject.instance,
        at,
        intervalMs: TICK_MS,
        revision: 'r12-ab12cd3',
        requests,
        errors: Math.round(requests * svc.errorRate * jitter * 2),
        latency,
        latencySumMs: Math.round(sumMs * 1000) / 1000,
        inflight: Math.floor(jitter * 6),
        cpuSeconds: Math.round(requests * 0.0004 * (0.8 + 0.4 * jitter) * 1e6) / 1e6,
        rssBytes: Math.round(inst.rss),
        healthy,
        instances: 1,
      };
      out.push(sample);
      agg.requests += requests;
      agg.errors += sample.errors;
      agg.latencySumMs += sample.latencySumMs;
      agg.inflight += sample.inflight;
      agg.cpuSeconds = (agg.cpuSeconds ?? 0) + (sample.cpuSeconds ?? 0);
      agg.rssBytes = (agg.rssBytes ?? 0) + (sample.rssBytes ?? 0);
      agg.healthy += healthy;
      agg.instances += 1;
    }
    out.push(agg);
  }
  return out;
}

const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf'];

function scrape(at: number): AppSample[] {
  const out: AppSample[] = [];
  for (const svc of services) {
    for (const inst of svc.instances) {
      if ((at - T0) % inst.restartEvery < SCRAPE_MS) inst.counters.fill(0);
      const points: AppPoint[] = [];
      const reqs = Math.round(svc.rps * 15 * diurnal(at) * (0.8 + 0.4 * rnd()));
      for (let c = 0; c < COUNTER_SERIES; c++) {
        let labels: Record<string, string>;
        let inc: number;
        if (c < 4) {
          labels = { method: c % 2 ? 'POST' : 'GET', code: c < 2 ? '200' : '500' };
          inc = c < 2 ? Math.round(reqs * (c ? 0.3 : 0.7)) : Math.round(rnd() * 2);
        } else if (c === COUNTER_SERIES - 1) {
          // A histogram's _sum: a float, the one value that cannot take a varint.
          labels = {};
          inc = reqs * 0.04 * (0.5 + rnd());
        } else {
          labels = { le: LE[(c - 4) % LE.length]! };
          inc = Math.round(reqs * Math.min(1, (c - 3) / (COUNTER_SERIES - 4)));
        }
        inst.counters[c]! += inc;
        const name =
          c < 4
            ? 'http_requests_total'
            : c === COUNTER_SERIES - 1
              ? 'http_request_duration_seconds_sum'
              : 'http_request_duration_seconds_bucket';
        points.push({ name, labels, kind: 'counter', value: inst.counters[c]! });
      }
      const gauges = SERIES - COUNTER_SERIES;
      for (let g = 0; g < gauges; g++) {
        const value =
          g % 4 === 0
            ? Math.round(inst.rss)
            : g % 4 === 1
              ? Math.round(inst.rss * 0.4 + rnd() * 1e6)
              : g % 4 === 2
                ? rnd() * 0.05
                : Math.floor(rnd() * 40);
        points.push({ name: `app_gauge_${g}`, labels: {}, kind: 'gauge', value });
      }
      out.push({ ...inst.subject, at, points });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
const LOAD_BEFORE = loadavg();
/**
 * CPU time of this process (ms). SQLite runs on the calling thread here, so an operation's CPU
 * time is its own cost; wall time also counts waiting for a core, which on a shared machine can
 * be most of it.
 */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const fileBytes = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

interface Timing {
  wall: number;
  cpu: number;
}

interface TableStat {
  rows: number;
  bytes: number;
}

/** Rows and bytes (pages, via dbstat) per table and index of the closed file. */
function tableStats(file: string): {
  tables: Record<string, TableStat>;
  pageSize: number;
  freePages: number;
} {
  const db = new BetterSqlite3(file, { readonly: true, nativeBinding });
  try {
    const tables: Record<string, TableStat> = {};
    for (const row of db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as {
      name: string;
      bytes: number;
    }[]) {
      tables[row.name] = { rows: 0, bytes: row.bytes };
    }
    for (const name of [
      'raw',
      'm1',
      'h1',
      'app_raw',
      'app_m1',
      'app_h1',
      'subjects',
      'series',
      'revisions',
    ]) {
      const n = db.prepare(`SELECT count(*) FROM ${name}`).pluck().get() as number;
      tables[name] = { rows: n, bytes: tables[name]?.bytes ?? 0 };
    }
    return {
      tables,
      pageSize: db.pragma('page_size', { simple: true }) as number,
      freePages: db.pragma('freelist_count', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-metrics-bench-'));
  const file = path.join(dir, 'metrics.sqlite');
  let now = T0;
  const store = openSqliteMetricsStore({ file, now: () => now });
  const cleanup = () => (KEEP ? console.log(`Kept ${dir}`) : rmSync(dir, { recursive: true, force: true }));
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    const end = T0 + HOURS * H;
    let samples = 0;
    let appRows = 0;
    let appPoints = 0;
    let writeMs = 0;
    let writeCpuMs = 0;
    let synthMs = 0;
    const compactMs: number[] = [];
    const compactCpuMs: number[] = [];
    let peakBytes = 0;
    console.log(
      `${SERVICES} services × ${INSTANCES} instances, ${SERIES} app series each, ${HOURS} h simulated, file ${file}\n`,
    );
    for (let at = T0 + TICK_MS; at <= end; at += TICK_MS) {
      now = at;
      const s0 = performance.now();
      const ticks = tick(at);
      const app = (at - T0) % SCRAPE_MS === 0 ? scrape(at) : [];
      const s1 = performance.now();
      const c1 = cpuMs();
      store.write(ticks, app);
      writeCpuMs += cpuMs() - c1;
      writeMs += performance.now() - s1;
      synthMs += s1 - s0;
      samples += ticks.length;
      appRows += app.length;
      for (const a of app) appPoints += a.points.length;
      if (at % M === 0) {
        const c0 = performance.now();
        const u0 = cpuMs();
        store.compact(at);
        compactCpuMs.push(cpuMs() - u0);
        compactMs.push(performance.now() - c0);
      }
      if (at % H === 0) {
        const size = store.size();
        peakBytes = Math.max(peakBytes, size.bytes);
        console.log(
          `  hour ${(at - T0) / H}: ${mib(size.bytes)} MiB, rows raw ${size.rows.raw} 1m ${size.rows['1m']} 1h ${size.rows['1h']} app ${size.rows.app} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
        if (performance.now() - started > TOTAL_BUDGET_MS) fail('the benchmark ran past its budget');
      }
    }

    // Reads 35 s after the last compaction, as in production: every window then has unaligned
    // edges and a tail not rolled up yet. Random subjects, instances and aggregates alike.
    for (let at = end + TICK_MS; at <= end + 35 * S; at += TICK_MS) {
      now = at;
      store.write(tick(at), (at - T0) % SCRAPE_MS === 0 ? scrape(at) : []);
    }
    const subjects = services.flatMap((s) => [s.aggregate, ...s.instances.map((i) => i.subject)]);
    const instances = services.flatMap((s) => s.instances.map((i) => i.subject));
    const pick = (from: Subject[] = subjects) => from[Math.floor(rnd() * from.length)]!;
    /** Median wall and CPU time of READS calls; each must find data (a read of nothing would be fast and wrong). */
    const time = (read: () => number | undefined): Timing => {
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < READS; i++) {
        const t0 = performance.now();
        const c0 = cpuMs();
        const found = read();
        cpu.push(cpuMs() - c0);
        wall.push(performance.now() - t0);
        if (!(found !== undefined && found > 0)) fail('a read at the end of the run found no data');
      }
      return { wall: median(wall), cpu: median(cpu) };
    };
    const app = (hours: number) => () =>
      store.app(pick(instances), 'http_requests_total', { code: '200' }, now - hours * H, now)?.value;
    const reads = {
      window1h: time(() => store.window(pick(), now - H, now).ticks),
      window1d: time(() => store.window(pick(), now - 24 * H, now).ticks),
      window30d: time(() => store.window(pick(), now - 30 * 24 * H, now).ticks),
      series1d5m: time(() => store.series(pick(), now - 24 * H, now, 5 * M).points.length),
      app1h: time(app(1)),
      app1d: time(app(24)),
      subjects5m: time(() => store.subjects(now - 5 * M).length),
    };
    const resolutions = {
      window1h: store.series(subjects[0]!, now - H, now, H).resolution,
      window1d: store.series(subjects[0]!, now - 24 * H, now, 24 * H).resolution,
      window30d: store.series(subjects[0]!, now - 30 * 24 * H, now, 30 * 24 * H).resolution,
    };
    const live = store.size();
    peakBytes = Math.max(peakBytes, live.bytes);
    store.close();

    const closedBytes = fileBytes(file) + fileBytes(`${file}-wal`);
    const stats = tableStats(file);
    const vac = new BetterSqlite3(file, { nativeBinding });
    vac.exec('VACUUM');
    vac.close();
    const vacuumedBytes = fileBytes(file) + fileBytes(`${file}-wal`);

    const wallS = (performance.now() - started) / 1000;
    const result = {
      machine: {
        date: new Date().toISOString().slice(0, 10),
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
        node: process.version,
        sqlite: '',
        load: `${LOAD_BEFORE} → ${loadavg()}`,
      },
      shape: {
        hours: HOURS,
        services: SERVICES,
        instances: INSTANCES,
        series: SERIES,
        retention: DEFAULT_RETENTION,
      },
      written: { samples, appRows, appPoints },
      writeMs,
      writeCpuMs,
      synthMs,
      compact: {
        calls: compactMs.length,
        totalMs: compactMs.reduce((a, b) => a + b, 0),
        median: { wall: median(compactMs), cpu: median(compactCpuMs) },
        max: { wall: Math.max(...compactMs), cpu: Math.max(...compactCpuMs) },
      },
      bytes: { live: live.bytes, peak: peakBytes, closed: closedBytes, vacuumed: vacuumedBytes },
      rows: live.rows,
      tables: stats.tables,
      freePages: stats.freePages,
      pageSize: stats.pageSize,
      reads,
      resolutions,
      wallS,
    };
    const probe = new BetterSqlite3(':memory:', { nativeBinding });
    result.machine.sqlite = probe.prepare('SELECT sqlite_version()').pluck().get() as string;
    probe.close();

    const block = report(result);
    console.log(`\n${block}\n`);
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`Raw numbers: ${path.relative(REPO, RESULTS_FILE)}; done in ${wallS.toFixed(0)} s`);
  } finally {
    store.close();
    cleanup();
  }
}

type Result = {
  machine: { date: string; cpus: number; cpuModel: string; node: string; sqlite: string; load: string };
  shape: { hours: number; services: number; instances: number; series: number };
  written: { samples: number; appRows: number; appPoints: number };
  writeMs: number;
  writeCpuMs: number;
  compact: { calls: number; totalMs: number; median: Timing; max: Timing };
  bytes: { live: number; peak: number; closed: number; vacuumed: number };
  tables: Record<string, TableStat>;
  freePages: number;
  pageSize: number;
  reads: Record<string, Timing>;
  resolutions: Record<string, string>;
};

function report(r: Result): string {
  const { shape: sh } = r;
  const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const t = (name: string) => r.tables[name] ?? { rows: 0, bytes: 0 };
  const perDay = 24 / sh.hours;
  const perTick = sh.services * (sh.instances + 1);
  const ticks = r.written.samples / perTick;
  const perSecond = (spentMs: number) =>
    Math.round(r.written.samples / (spentMs / 1000)).toLocaleString('en-US');
  const both = (x: Timing) => `${ms(x.wall)} ms | ${ms(x.cpu)} ms`;
  // Growth of the rollups per simulated day, to extrapolate the steady state at full retention.
  const m1Day = (t('m1').bytes + t('app_m1').bytes) * perDay;
  const h1Day = (t('h1').bytes + t('app_h1').bytes) * perDay;
  const steady = t('raw').bytes + t('app_raw').bytes + 7 * m1Day + 90 * h1Day;
  const lines = [
    `- Date: ${r.machine.date}; \`nproc\` = ${r.machine.cpus} (${r.machine.cpuModel}); Node ${r.machine.node}; SQLite ${r.machine.sqlite}; load average (1/5/15 min) before → after: ${r.machine.load} (other work shares this machine)`,
    `- Shape: ${sh.services} services × ${sh.instances} instances, one 5 s tick per instance plus one aggregate per service (${sh.services * (sh.instances + 1)} samples per tick), ${sh.series} application series per instance every 15 s; ${sh.hours} h of simulated time, \`compact()\` every simulated minute; default retention (raw 1 h, 1 m rollups 7 d, 1 h rollups 90 d)`,
    `- Written: ${r.written.samples.toLocaleString('en-US')} samples and ${r.written.appRows.toLocaleString('en-US')} scrapes (${r.written.appPoints.toLocaleString('en-US')} points)`,
    '',
    '| on disk | MiB |',
    '| --- | ---: |',
    `| live (database + WAL, at the end) | ${mib(r.bytes.live)} |`,
    `| peak while writing (hourly checks) | ${mib(r.bytes.peak)} |`,
    `| after close (WAL checkpointed), before VACUUM | ${mib(r.bytes.closed)} |`,
    `| after VACUUM | ${mib(r.bytes.vacuumed)} |`,
    `| target | < ${mib(TARGET_BYTES)} — **${r.bytes.peak < TARGET_BYTES ? 'met' : 'missed'}** |`,
    '',
    '| table | rows | MiB | bytes/row |',
    '| --- | ---: | ---: | ---: |',
    ...['raw', 'm1', 'h1', 'app_raw', 'app_m1', 'app_h1'].map((n) => {
      const s = t(n);
      return `| ${n} | ${s.rows.toLocaleString('en-US')} | ${mib(s.bytes)} | ${s.rows > 0 ? Math.round(s.bytes / s.rows) : '—'} |`;
    }),
    `| free pages (reused by later writes) | ${r.freePages} | ${mib(r.freePages * r.pageSize)} | |`,
    '',
    '| speed (medians unless said) | wall | CPU |',
    '| --- | ---: | ---: |',
    `| write() throughput, samples/s (the scrapes written in the same calls included) | ${perSecond(r.writeMs)} | ${perSecond(r.writeCpuMs)} |`,
    `| write() per tick, mean (${perTick} samples; every third tick also ${sh.services * sh.instances} scrapes of ${sh.series} points) | ${ms(r.writeMs / ticks)} ms | ${ms(r.writeCpuMs / ticks)} ms |`,
    `| compact() per simulated minute (${r.compact.calls} calls) | ${both(r.compact.median)} |`,
    `| compact(), the slowest call (the hourly rollup) | ${both(r.compact.max)} |`,
    `| window() 1 h (${r.resolutions.window1h}) | ${both(r.reads.window1h!)} |`,
    `| window() 1 day (${r.resolutions.window1d}) | ${both(r.reads.window1d!)} |`,
    `| window() 30 days (${r.resolutions.window30d}) | ${both(r.reads.window30d!)} |`,
    `| series() 1 day in 5 min steps | ${both(r.reads.series1d5m!)} |`,
    `| app() counter increase, 1 h | ${both(r.reads.app1h!)} |`,
    `| app() counter increase, 1 day | ${both(r.reads.app1d!)} |`,
    `| subjects() with data in the last 5 min (all ${perTick}) | ${both(r.reads.subjects5m!)} |`,
    '',
    `Extrapolated steady state at full retention (this run's rollup growth per day × 7 days of 1 m rollups + × 90 days of 1 h rollups, plus the raw hour): ~${mib(steady)} MiB.`,
  ];
  return lines.join('\n');
}

main().catch((e: unknown) => {
  if (e instanceof BenchError) console.error(`\nBENCHMARK ABORTED: ${e.message}`);
  else console.error(e);
  process.exitCode = 1;
});
