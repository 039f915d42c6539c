/**
 * API latency of the dashboard's heaviest reads with a large store: GET /api/v1/overview and
 * GET /api/v1/services/:service/timeline with 1,000 services (in each of 2 environments) and
 * 100,000 events, served by the real API server (pipeline, auth, JSON) on 127.0.0.1.
 *
 *   npx tsx bench/api.bench.ts [--services N] [--events N] [--requests N]
 *
 * The store is a temporary SQLite file seeded in bulk (bench/lib-seed-store.ts) with the shapes
 * the repositories write; the metrics store has a minute of traffic for every service. The
 * control plane is built over a fake agent and not started (no reconciler, no watch loop), so
 * the numbers are the reads alone. Requests are sequential over one keep-alive connection, timed
 * at the client from the request to the last byte, after a warm-up. Raw numbers go to
 * bench/results/api.json; the markdown block for docs/benchmarks.md is printed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { ControlPlane } from '../src/control/control-plane.js';
import { FakeAgent } from '../src/control/fake-agent.js';
import { openSqliteMetricsStore } from '../src/observe/metrics/sqlite/index.js';
import { createApiServer } from '../src/server/api-server.js';
import { insightRoutes } from '../src/server/routes/insight-routes.js';
import { openStore, stateDir } from '../src/store/open.js';
import { seedConfig, seedMetrics, seedStore } from './lib-seed-store.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = path.join(REPO, 'bench/results/api.json');
const TARGET_P95_MS = 50;
const ENVIRONMENTS = ['staging', 'production'];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

const SERVICES = arg('--services', 1000);
const EVENTS = arg('--events', 100_000);
const REQUESTS = arg('--requests', 200);
const WARMUP = 20;

interface Timed {
  ms: number;
  bytes: number;
  status: number;
}

function get(agent: http.Agent, url: string, headers: Record<string, string> = {}): Promise<Timed> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

interface Result {
  name: string;
  path: string;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  bytes: number;
}

async function measure(
  agent: http.Agent,
  name: string,
  urls: () => string,
  base: string,
  /** Runs before each request, untimed (e.g. a change to the store). */
  before?: () => Promise<unknown>,
  headers: Record<string, string> = {},
): Promise<Result> {
  for (let i = 0; i < WARMUP; i++) await get(agent, base + urls(), headers);
  const times: number[] = [];
  let bytes = 0;
  let example = '';
  for (let i = 0; i < REQUESTS; i++) {
    await before?.();
    const url = urls();
    example ||= url;
    const r = await get(agent, base + url, headers);
    if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
    times.push(r.ms);
    bytes = Math.max(bytes, r.bytes);
  }
  times.sort((a, b) => a - b);
  return {
    name,
    path: example,
    requests: REQUESTS,
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    p99: quantile(times, 0.99),
    max: times.at(-1) as number,
    bytes,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-api-bench-'));
  let server: http.Server | undefined;
  const cleanup: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    writeFileSync(
      path.join(dir, 'tandem.yaml'),
      seedConfig({ services: SERVICES, environments: ENVIRONMENTS }),
    );
    const now = Date.now();
    const store = await openStore(dir);
    cleanup.unshift(() => store.close());
    let t0 = performance.now();
    const seeded = await seedStore(store, {
      services: SERVICES,
      environments: ENVIRONMENTS,
      events: EVENTS,
      now,
    });
    const seedMs = performance.now() - t0;
    const metrics = openSqliteMetricsStore({ file: path.join(stateDir(dir), 'metrics.sqlite') });
    cleanup.unshift(() => metrics.close());
    const samples = seedMetrics(metrics, seeded.services, ENVIRONMENTS, now);
    console.log(
      `Seeded ${seeded.events} events, ${seeded.deployments} deployments, ${seeded.rollouts} rollouts, ${seeded.runs} runs, ${seeded.releases} releases, ${seeded.openIncidents} open incidents, ${seeded.firingAlerts} firing alerts (${(seedMs / 1000).toFixed(1)} s); ${samples} metric samples`,
    );

    t0 = performance.now();
    const loaded = await loadConfig({ cwd: dir });
    const plane = new ControlPlane({ loaded, store, agent: new FakeAgent(), env: {}, metrics });
    console.log(
      `Config of ${SERVICES} services × ${ENVIRONMENTS.length} environments loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    server = createApiServer({
      plane,
      onShutdown: () => undefined,
      extraRoutes: insightRoutes({ store, plane }),
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    cleanup.unshift(
      () =>
        new Promise<void>((resolve) => {
          listening.closeAllConnections();
          listening.close(() => resolve());
        }),
    );
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/api/v1`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanup.unshift(() => agent.destroy());

    // A state change (an event) before a request: the overview reads again what it changed.
    let k = 0;
    const changeIn = (environments: string[], type: 'alert.firing' | 'deployment.succeeded') => async () => {
      for (const environment of environments) {
        const service = seeded.services[k++ % seeded.services.length] as string;
        await store.events.append(store.db, {
          type,
          subjectKind: 'bench',
          subjectId: `${environment}.${service}`,
          data: type === 'alert.firing' ? { rule: 'bench', environment, service } : { environment },
        });
      }
    };
    // The very first overview reads every environment and waits for the first traffic sweep.
    const t1 = performance.now();
    const firstBody = (await (await fetch(`${base}/overview`)).json()) as { trafficAt: string | null };
    const first = { ms: performance.now() - t1, withTraffic: firstBody.trafficAt !== null };
    let n = 0;
    const service = () => seeded.services[(n++ * 7919) % seeded.services.length] as string;
    // A timeline's second page: the cursor of a first page.
    const firstPage = (await (
      await fetch(`${base}/services/${seeded.services[0]}/timeline?environment=production&limit=50`)
    ).json()) as { next: string };
    const loadBefore = os.loadavg()[0] ?? 0;
    const results = [
      await measure(
        agent,
        'GET /overview (all services × environments), store unchanged',
        () => '/overview',
        base,
      ),
      await measure(
        agent,
        'GET /overview, store unchanged, gzipped (Accept-Encoding: gzip, as browsers send)',
        () => '/overview',
        base,
        undefined,
        { 'accept-encoding': 'gzip' },
      ),
      await measure(
        agent,
        'GET /overview, each after an alert in production',
        () => '/overview',
        base,
        changeIn(['production'], 'alert.firing'),
      ),
      await measure(
        agent,
        'GET /overview, each after a deployment finished in every environment',
        () => '/overview',
        base,
        changeIn(ENVIRONMENTS, 'deployment.succeeded'),
      ),
      await measure(
        agent,
        'GET /overview?environment=production',
        () => '/overview?environment=production',
        base,
      ),
      await measure(
        agent,
        'GET /services/:s/timeline (first page of 50)',
        () => `/services/${service()}/timeline?environment=production&limit=50`,
        base,
      ),
      await measure(
        agent,
        'GET /services/:s/timeline (next page)',
        () =>
          `/services/${seeded.services[0]}/timeline?environment=production&limit=50&cursor=${firstPage.next}`,
        base,
      ),
      await measure(agent, 'GET /runs (first page of 20)', () => '/runs', base),
    ];

    const ms = (v: number) => v.toFixed(1);
    const kb = (v: number) => `${Math.round(v / 1024)} KB`;
    const ok = (r: Result) => (r.p95 < TARGET_P95_MS ? 'yes' : '**no**');
    const table = [
      '| Request | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | Response | p95 < 50 ms |',
      '|---|---:|---:|---:|---:|---:|:---:|',
      ...results.map(
        (r) =>
          `| ${r.name} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${kb(r.bytes)} | ${ok(r)} |`,
      ),
    ];
    const block = [
      `Store: ${SERVICES} services in each of ${ENVIRONMENTS.length} environments (${SERVICES * ENVIRONMENTS.length} overview rows), ${seeded.events.toLocaleString('en-US')} events, ${seeded.deployments} deployments with ${seeded.rollouts.toLocaleString('en-US')} rollouts (the last one a canary in progress in production), ${seeded.runs} pipeline runs; one minute of metrics for every service.`,
      `${REQUESTS} sequential requests per row after ${WARMUP} warm-up ones, over one keep-alive connection to the real API server on 127.0.0.1; timed at the client to the last byte. ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; load average ${loadBefore.toFixed(1)} before and ${(os.loadavg()[0] ?? 0).toFixed(1)} after the run.`,
      '',
      ...table,
      '',
      `The first overview after the server started took ${Math.round(first.ms)} ms (${first.withTraffic ? 'with' : 'without'} traffic figures): it reads every environment and waits at most 300 ms for the first sweep of the traffic figures (one metrics-store window per service and environment, ${(SERVICES * ENVIRONMENTS.length).toLocaleString('en-US')} here; sweeps run in the background in 2 ms slices, and the overview says when its figures are from).`,
    ].join('\n');
    console.log(`\n${block}\n`);
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify({ at: new Date().toISOString(), services: SERVICES, environments: ENVIRONMENTS, seeded, requests: REQUESTS, firstOverview: first, results }, null, 2)}\n`,
    );
    console.log(`Raw numbers: ${path.relative(REPO, RESULTS_FILE)}`);
    const slow = results.filter((r) => r.p95 >= TARGET_P95_MS);
    if (slow.length > 0)
      console.log(`\np95 at or above ${TARGET_P95_MS} ms: ${slow.map((r) => r.name).join('; ')}`);
    process.exitCode = slow.length > 0 ? 1 : 0;
  } finally {
    for (const step of cleanup) await step();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
