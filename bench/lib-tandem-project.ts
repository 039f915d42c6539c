/**
 * One temporary Tandem project under `tandem up --detach`, for the benchmarks of issue 5
 * (bench/autoscale.bench.ts, bench/metrics-overhead.bench.ts): a git project with a node:http app
 * (`/`, `/healthz`, `/metrics` in the Prometheus text format, `/scrapes`: how many times this
 * instance's /metrics was read), `tandem up` on free ports, waits on `GET /v1/status`, a new
 * tandem.yaml committed and applied, `tandem down` with every remembered pid reaped. Processes are tracked by bench/lib-tandem-bench.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  commitAll,
  copyTandemLogs,
  fail,
  fetchStatus,
  freePorts,
  initGitProject,
  type Run,
  reapDaemons,
  rememberTandemFiles,
  run,
  tandemEnv,
  verbFailure,
  waitFor,
} from './lib-tandem-bench.js';

/** node:http; PORT from the environment; SIGTERM finishes in-flight requests, then exits. */
export const APP_SOURCE = `// The benchmark's app: answers 200 at once; /healthz; /metrics (Prometheus text); /scrapes.
import { createServer } from 'node:http';

const body = Buffer.from(\`\${process.env.TANDEM_RELEASE ?? 'dev'} \${process.env.TANDEM_INSTANCE ?? process.pid}\\n\`);
let served = 0;
let scrapes = 0;
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\\n');
    return;
  }
  if (req.url === '/metrics') {
    scrapes++;
    const text = [
      '# HELP app_requests_total Requests served.',
      '# TYPE app_requests_total counter',
      \`app_requests_total{path="/"} \${served}\`,
      '# HELP app_heap_bytes Heap used.',
      '# TYPE app_heap_bytes gauge',
      \`app_heap_bytes \${process.memoryUsage().heapUsed}\`,
      '',
    ].join('\\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
    return;
  }
  if (req.url === '/scrapes') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(\`\${scrapes}\\n\`);
    return;
  }
  served++;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;

export interface ProjectStatus {
  environments: Array<{
    name: string;
    rollout: null | { id: string; state: string };
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

export type ProductionWeb = ProjectStatus['environments'][number]['services'][number];

/** production.web in a status (fails when missing). */
export function productionWeb(s: ProjectStatus): ProductionWeb {
  const web = s.environments.find((e) => e.name === 'production')?.services.find((x) => x.name === 'web');
  if (web === undefined) fail('no production.web in the status');
  return web;
}

/**
 * tandem.yaml: service `web` (`node app.mjs`, health every 500 ms, plus `service` lines), one
 * environment `production` (rolling) on `listen`, then the top-level `extra` lines.
 */
export function projectYaml(opts: {
  name: string;
  listen: number;
  service: string[];
  extra?: string[];
}): string {
  return [
    `project: ${opts.name}`,
    'server: { auth: false } # a loopback bench: the API is polled without a token',
    'pipeline:',
    '  jobs:',
    '    build:',
    '      run: node -e 0',
    'services:',
    '  web:',
    '    run: node app.mjs',
    '    health: { path: /healthz, interval: 500ms }',
    ...opts.service.map((l) => `    ${l}`),
    'environments:',
    '  production:',
    `    listen: ${opts.listen}`,
    '    strategy: rolling',
    ...(opts.extra ?? []),
    '',
  ].join('\n');
}

export class BenchProject {
  private upCalled = false;

  private constructor(
    readonly dir: string,
    readonly work: string,
    readonly main: string,
    readonly apiPort: number,
    readonly listenPort: number,
  ) {}

  /** A git project in `<work>/<name>` with tandem.yaml from `yaml(listenPort)` and the app. */
  static async create(opts: {
    work: string;
    name: string;
    main: string;
    yaml: (listen: number) => string;
  }): Promise<BenchProject> {
    const dir = path.join(opts.work, opts.name);
    mkdirSync(dir);
    const [apiPort, listenPort] = (await freePorts(2)) as [number, number];
    initGitProject(dir, { 'tandem.yaml': opts.yaml(listenPort), 'app.mjs': APP_SOURCE }, 'v1');
    return new BenchProject(dir, opts.work, opts.main, apiPort, listenPort);
  }

  tandem(...args: string[]): Promise<Run> {
    return run(process.execPath, [this.main, ...args], { cwd: this.dir, env: tandemEnv(this.work) });
  }

  status(): Promise<ProjectStatus> {
    return fetchStatus<ProjectStatus>(this.apiPort);
  }

  /** `tandem up --detach`, then waits until production.web has `replicas` ready instances in traffic. */
  async up(replicas: number): Promise<void> {
    this.upCalled = true;
    const up = await this.tandem('up', '--detach', '--port', String(this.apiPort));
    rememberTandemFiles(this.dir);
    if (up.code !== 0) fail(verbFailure('tandem up --detach', up));
    await this.waitReady(replicas, 120_000);
    rememberTandemFiles(this.dir);
  }

  /** Waits until the latest rollout is promoted and exactly `n` instances are ready and in traffic. */
  waitReady(n: number, timeoutMs: number): Promise<true> {
    return waitFor(`${n} ready instance(s) of production.web`, timeoutMs, async () => {
      const s = await this.status();
      const env = s.environments.find((e) => e.name === 'production');
      const web = productionWeb(s);
      const ok =
        env?.rollout?.state === 'promoted' &&
        web.replicas.ready === n &&
        web.instances.length === n &&
        web.instances.every((i) => i.state === 'running' && i.healthy && i.inTraffic);
      return ok ? true : undefined;
    });
  }

  /** Commits a new tandem.yaml (from `yaml(listenPort)`) and runs `tandem apply`; fails unless it exits 0. */
  async apply(yaml: (listen: number) => string, message: string): Promise<void> {
    writeFileSync(path.join(this.dir, 'tandem.yaml'), yaml(this.listenPort));
    commitAll(this.dir, message);
    const r = await this.tandem('apply');
    if (r.code !== 0) fail(verbFailure('tandem apply', r));
  }

  /** `tandem down` (if `up` ran), then waits for every remembered process to go; kills what is left. */
  async down(keep: boolean): Promise<void> {
    if (!this.upCalled) return;
    this.upCalled = false;
    rememberTandemFiles(this.dir);
    const down = await this.tandem('down');
    if (down.code !== 0) console.error(verbFailure('tandem down', down));
    const left = await reapDaemons(20_000);
    if (left.length > 0) console.error(`killed what \`tandem down\` left: pids ${left.join(', ')}`);
    if (keep) copyTandemLogs(this.dir, this.dir);
  }
}
