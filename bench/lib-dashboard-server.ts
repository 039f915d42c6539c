/**
 * The server side of the dashboard first-load benchmark, in its own process (as `tandem up` is):
 * a temporary project with a seeded store (bench/lib-seed-store.ts) and metrics store, a viewer
 * token created in the store, and the real API server with auth on, the access routes (login
 * session, CSRF) and the built dashboard mounted the way src/server/serve.ts mounts them.
 *
 *   node --import tsx bench/lib-dashboard-server.ts WEB_ROOT SERVICES EVENTS CYCLES
 *
 * Prints one JSON line when it listens (`ServerReady`), then keeps the traffic figures fresh as an
 * agent would (one 10-second tick of samples for every service, every 10 s). Stops, removing the
 * project, when its stdin ends (the parent went away or wrote `stop`) or on SIGTERM/SIGINT.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/config/load.js';
import { ControlPlane } from '../src/control/control-plane.js';
import { FakeAgent } from '../src/control/fake-agent.js';
import { openSqliteMetricsStore } from '../src/observe/metrics/sqlite/index.js';
import type { MetricsStore } from '../src/observe/metrics/types.js';
import { createApiServer } from '../src/server/api-server.js';
import { createAuditLog, createRequestAuth } from '../src/server/auth/index.js';
import { accessRoutes } from '../src/server/routes/access-routes.js';
import { insightRoutes } from '../src/server/routes/insight-routes.js';
import { createStaticSite } from '../src/server/static.js';
import { openStore, stateDir } from '../src/store/open.js';
import { seedConfig, seedMetrics, seedStore, trafficTick } from './lib-seed-store.js';

const ENVIRONMENTS = ['staging', 'production'];

export interface ServerReady {
  url: string;
  /** A viewer token's plaintext, to log in with. */
  token: string;
  pid: number;
  services: number;
  environments: string[];
  events: number;
  deployments: number;
  rollouts: number;
  runs: number;
  seedMs: number;
  configMs: number;
}

const TICK_MS = 10_000;

/** One 10-second tick of traffic for every service aggregate (the shapes seedMetrics writes). */
function writeTick(metrics: MetricsStore, names: readonly string[], at: number): void {
  metrics.write(trafficTick(names, ENVIRONMENTS, at));
}

async function main(): Promise<void> {
  const [webRoot, servicesArg, eventsArg, cyclesArg] = process.argv.slice(2);
  const services = Number(servicesArg);
  const events = Number(eventsArg);
  const cycles = Number(cyclesArg);
  if (webRoot === undefined || !(services > 0) || !(events > 0) || !(cycles > 0))
    throw new Error('usage: lib-dashboard-server.ts WEB_ROOT SERVICES EVENTS CYCLES');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-dashboard-bench-'));
  const cleanup: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const step of cleanup) {
        try {
          await step();
        } catch {
          // keep cleaning
        }
      }
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  createInterface({ input: process.stdin }).on('close', () => void stop());

  writeFileSync(path.join(dir, 'tandem.yaml'), seedConfig({ services, environments: ENVIRONMENTS }));
  const now = Date.now();
  const store = await openStore(dir);
  cleanup.unshift(() => store.close());
  let t0 = performance.now();
  const seeded = await seedStore(store, { services, environments: ENVIRONMENTS, events, now, cycles });
  const seedMs = performance.now() - t0;
  const metrics = openSqliteMetricsStore({ file: path.join(stateDir(dir), 'metrics.sqlite') });
  cleanup.unshift(() => metrics.close());
  seedMetrics(metrics, seeded.services, ENVIRONMENTS, now);
  const ticker = setInterval(() => writeTick(metrics, seeded.services, Date.now()), TICK_MS);
  cleanup.unshift(() => clearInterval(ticker));
  const { plaintext } = await store.tokens.create({
    name: 'bench-viewer',
    role: 'viewer',
    createdBy: 'bench',
  });

  t0 = performance.now();
  const loaded = await loadConfig({ cwd: dir });
  const plane = new ControlPlane({ loaded, store, agent: new FakeAgent(), env: {}, metrics });
  const configMs = performance.now() - t0;

  // As serve.ts: auth on, the access routes, the audit log, the dashboard as the fallback.
  const site = createStaticSite({ root: webRoot });
  const server: http.Server = createApiServer({
    plane,
    auth: createRequestAuth({ store, authEnabled: true }),
    audit: createAuditLog(store).record,
    extraRoutes: [...accessRoutes({ store }), ...insightRoutes({ store, plane })],
    fallback: (req, res) => site.handle(req, res),
    onShutdown: () => undefined,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.unshift(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const ready: ServerReady = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: plaintext,
    pid: process.pid,
    services,
    environments: ENVIRONMENTS,
    events: seeded.events,
    deployments: seeded.deployments,
    rollouts: seeded.rollouts,
    runs: seeded.runs,
    seedMs,
    configMs,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
