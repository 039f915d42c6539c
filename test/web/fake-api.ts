/**
 * A small stand-in for Tandem's /api/v1 (issue 6's contract) on 127.0.0.1, serving the built
 * dashboard next to it: session cookie + CSRF, overview, status, timeline, runs, metrics, rollout
 * controls, audit and the SSE stream. For the dashboard's tests, and to develop the dashboard
 * without a control plane: `npx tsx test/web/fake-api.ts [port]` (token: tdm_fake).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createStaticSite } from '../../src/server/static.js';

export interface FakeJob {
  name: string;
  needs: string[];
  status: string;
  durationMs: number | null;
  attempts: number;
  startedAt?: string;
  reason?: string;
  log: string[];
}

export interface FakeRun {
  id: string;
  status: string;
  branch: string;
  commit: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  jobs: FakeJob[];
}

export interface FakeEvent {
  id: number;
  at: string;
  kind: string;
  type: string;
  title: string;
  environment: string;
  service: string;
  release?: string;
  data: Record<string, unknown>;
}

export interface FakeState {
  token: string;
  principal: { name: string; roles: string[] };
  rollout: { state: string; step: number; weight: number; release: string; from: string } | null;
  release: string;
  runs: FakeRun[];
  events: FakeEvent[];
  audit: Array<Record<string, unknown>>;
}

export interface FakeApi {
  url: string;
  state: FakeState;
  /** Every request the fake answered (method, path, the CSRF header, the JSON body). */
  requests: Array<{ method: string; path: string; csrf: string | undefined; body: unknown }>;
  /** Sends one SSE message to every open stream. */
  emit(topic: 'events' | 'logs', data: unknown): void;
  /** Streams an instance's new log lines, as the real `logs` topic does. */
  emitLogs(instance: string, lines: string[]): void;
  /** Appends a timeline event and streams it. */
  addEvent(e: Omit<FakeEvent, 'id' | 'at'>): FakeEvent;
  /** Moves the newest run one job forward (its log lines and events streamed). */
  advanceRun(): FakeRun;
  close(): Promise<void>;
}

const PIPELINE: Array<[string, string[]]> = [
  ['install', []],
  ['lint', ['install']],
  ['test', ['install']],
  ['build', ['lint', 'test']],
  ['smoke (lang=en)', ['build']],
  ['smoke (lang=fr)', ['build']],
];

export async function startFakeApi(
  opts: { webRoot?: string; roles?: string[]; port?: number } = {},
): Promise<FakeApi> {
  const now = Date.now();
  const state: FakeState = {
    token: 'tdm_fake',
    principal: { name: 'local', roles: opts.roles ?? ['admin'] },
    rollout: { state: 'paused', step: 0, weight: 10, release: 'r-0002', from: 'r-0001' },
    release: 'r-0001',
    runs: [finishedRun('run-0001', now - 3_600_000)],
    events: [],
    audit: [],
  };
  const sessions = new Map<string, string>(); // cookie → csrf
  const streams = new Set<ServerResponse>();
  const requests: FakeApi['requests'] = [];
  let nextEvent = 1;
  const site = opts.webRoot === undefined ? undefined : createStaticSite({ root: opts.webRoot });

  const emit = (topic: 'events' | 'logs', data: unknown) => {
    const id = nextEvent++;
    for (const res of streams) res.write(`id: ${id}\nevent: ${topic}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  /** As the real stream sends a stored event about a run (src/server/sse.ts). */
  const pipelineEvent = (type: string, runId: string, data: Record<string, unknown>) => ({
    id: nextEvent,
    at: new Date().toISOString(),
    type,
    kind: 'pipeline',
    title: `${type} ${runId}`,
    environment: null,
    service: null,
    subjectKind: 'pipeline_run',
    subjectId: runId,
    data,
  });
  const addEvent = (e: Omit<FakeEvent, 'id' | 'at'>): FakeEvent => {
    const event = { ...e, id: nextEvent++, at: new Date().toISOString() };
    state.events.push(event);
    emit('events', event);
    return event;
  };
  for (const [i, e] of [
    { kind: 'commit', type: 'webhook.received', title: 'push to main (abc1234)' },
    { kind: 'pipeline', type: 'pipeline.run.finished', title: 'pipeline run run-0001 passed in 9.0 s' },
    { kind: 'release', type: 'release.created', title: 'Release r-0002 created', release: 'r-0002' },
    { kind: 'rollout', type: 'rollout.started', title: 'Canary of r-0002 started', release: 'r-0002' },
    { kind: 'rollout', type: 'rollout.paused', title: 'Canary paused at 10%: waiting for promote' },
  ].entries()) {
    state.events.push({
      ...e,
      id: nextEvent++,
      at: new Date(now - (10 - i) * 60_000).toISOString(),
      environment: 'production',
      service: 'web',
      data: {},
    });
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { code: 'FAKE', detail: String(err), status: 500 });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/api/v1/')) {
      if (site !== undefined && (await site.handle(req, res))) return;
      return send(res, 404, problem(404, 'TANDEM_NO_ROUTE', `no route ${req.method} ${url.pathname}`));
    }
    const p = url.pathname.slice('/api/v1'.length);
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const csrfHeader = req.headers['x-csrf-token'];
    requests.push({
      method: req.method ?? 'GET',
      path: p + url.search,
      csrf: typeof csrfHeader === 'string' ? csrfHeader : undefined,
      body,
    });
    const cookie = /(?:^|;\s*)tandem_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const csrf = cookie === undefined ? undefined : sessions.get(cookie);

    if (p === '/session' && req.method === 'POST') {
      const token = (body as { token?: unknown } | undefined)?.token;
      if (token !== state.token)
        return send(res, 401, problem(401, 'TANDEM_UNAUTHENTICATED', 'unknown token'));
      const id = randomBytes(12).toString('hex');
      const newCsrf = randomBytes(12).toString('hex');
      sessions.set(id, newCsrf);
      res.setHeader('set-cookie', `tandem_session=${id}; HttpOnly; SameSite=Strict; Path=/`);
      return send(res, 201, { principal: state.principal, csrf: newCsrf });
    }
    if (csrf === undefined) return send(res, 401, problem(401, 'TANDEM_UNAUTHENTICATED', 'log in first'));
    if (req.method !== 'GET' && csrfHeader !== csrf)
      return send(res, 403, problem(403, 'TANDEM_CSRF', 'missing or wrong X-CSRF-Token'));
    if (p === '/session' && req.method === 'GET') return send(res, 200, { principal: state.principal, csrf });
    if (p === '/session' && req.method === 'DELETE') {
      sessions.delete(cookie as string);
      res.writeHead(204).end();
      return;
    }
    if (p === '/overview') return send(res, 200, overview(state));
    if (p === '/status') return send(res, 200, status(state));
    if (p === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    let m = /^\/services\/([^/]+)\/timeline$/.exec(p);
    if (m !== null) {
      const env = url.searchParams.get('environment');
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const all = state.events
        .filter((e) => e.service === decodeURIComponent(m![1]!) && (env === null || e.environment === env))
        .reverse();
      const items = all.slice(offset, offset + limit);
      return send(res, 200, { items, next: offset + limit < all.length ? String(offset + limit) : null });
    }
    if (p === '/runs') {
      const runs = [...state.runs].reverse().map(({ jobs, ...r }) => {
        const byStatus: Record<string, number> = {};
        for (const j of jobs) byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
        return { ...r, project: 'hello', release: null, jobs: { total: jobs.length, byStatus } };
      });
      return send(res, 200, { items: runs, next: null });
    }
    m = /^\/runs\/([^/]+)(\/rerun|\/jobs\/([^/]+)\/log)?$/.exec(p);
    if (m !== null) {
      const run = state.runs.find((r) => r.id === decodeURIComponent(m![1]!));
      if (run === undefined) return send(res, 404, problem(404, 'TANDEM_UNKNOWN_RUN', `no run "${m[1]}"`));
      if (m[2] === '/rerun') {
        const fresh = startedRun(`run-${String(state.runs.length + 1).padStart(4, '0')}`);
        state.runs.push(fresh);
        emit('events', pipelineEvent('pipeline.run.started', fresh.id, {}));
        return send(res, 202, { status: 'started', commit: fresh.commit, release: null, runId: fresh.id });
      }
      if (m[3] !== undefined) {
        const job = run.jobs.find((j) => j.name === decodeURIComponent(m![3]!));
        if (job === undefined) return send(res, 404, problem(404, 'TANDEM_JOB_NOT_FOUND', 'no such job'));
        const bytes = Buffer.byteLength(job.log.map((l) => `${l}\n`).join(''));
        return send(res, 200, {
          run: run.id,
          job: job.name,
          status: job.status,
          lines: job.log,
          start: 0,
          offset: bytes,
          truncated: false,
          complete: job.status !== 'running' && job.status !== 'pending',
        });
      }
      return send(res, 200, {
        ...run,
        project: 'hello',
        release: null,
        needsFrom: 'config',
        jobs: run.jobs.map(({ log: _log, ...j }, position) => ({
          ...j,
          position,
          cached: j.status === 'cached',
          reason: j.reason ?? null,
          finishedAt: null,
          cacheKey: null,
          logPath: null,
        })),
        attempts: [],
      });
    }
    if (p === '/metrics/query') return send(res, 200, { points: points(Date.now()) });
    if (p === '/audit') return send(res, 200, { items: [...state.audit].reverse(), next: null });
    m = /^\/environments\/([^/]+)\/(promote|pause|resume|abort|approve|rollback)$/.exec(p);
    if (m !== null && req.method === 'POST') {
      state.audit.push({
        id: String(state.audit.length + 1),
        at: new Date().toISOString(),
        principal: state.principal.name,
        role: state.principal.roles[0],
        action: `POST /api/v1/environments/:env/${m[2]}`,
        target: { env: m[1] },
        address: '127.0.0.1',
        status: 200,
      });
      return send(res, 200, control(m[2]!, body as Record<string, unknown>));
    }
    return send(res, 404, problem(404, 'TANDEM_NO_ROUTE', `no route ${req.method} ${p}`));
  }

  function control(action: string, body: Record<string, unknown>): unknown {
    const r = state.rollout;
    const ev = (type: string, title: string) =>
      addEvent({
        kind: 'rollout',
        type,
        title,
        environment: 'production',
        service: 'web',
        data: { ...body },
        ...(r ? { release: r.release } : {}),
      });
    if (action === 'promote' && r !== null) {
      state.release = r.release;
      r.state = 'promoted';
      r.weight = 100;
      ev('rollout.promoted', `Canary of ${r.release} promoted to 100%`);
    } else if (action === 'pause' && r !== null) {
      r.state = 'paused';
      ev('rollout.paused', 'Paused by local');
    } else if (action === 'resume' && r !== null) {
      r.state = 'progressing';
      ev('rollout.progressing', 'Resumed by local');
    } else if (action === 'abort' && r !== null) {
      r.state = 'aborted';
      ev('rollout.aborted', `Canary of ${r.release} aborted`);
    } else if (action === 'rollback') {
      const to = typeof body.to === 'string' ? body.to : 'r-0001';
      state.rollout = { state: 'rolled-back', step: 0, weight: 100, release: to, from: state.release };
      state.release = to;
      ev('rollout.rolled-back', `Rolled back to ${to}`);
    }
    return { ok: true };
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    emit,
    addEvent,
    emitLogs: (instance, lines) => emit('logs', { instance, lines }),
    advanceRun() {
      const run = state.runs.at(-1)!;
      const job =
        run.jobs.find((j) => j.status === 'running') ?? run.jobs.find((j) => j.status === 'pending');
      if (job === undefined) return run;
      if (job.status === 'pending') {
        job.status = 'running';
        job.attempts = 1;
        job.startedAt = new Date().toISOString();
        emit('events', pipelineEvent('pipeline.job.attempt.started', run.id, { job: job.name, attempt: 1 }));
      } else {
        job.log.push(`$ npm run ${job.name}`, `${job.name}: ok`);
        job.status = 'passed';
        job.durationMs = 1234;
        if (run.jobs.every((j) => j.status === 'passed')) {
          run.status = 'passed';
          run.finishedAt = new Date().toISOString();
          run.durationMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
        }
        emit('events', pipelineEvent('pipeline.job.finished', run.id, { job: job.name, status: 'passed' }));
      }
      return run;
    },
    async close() {
      for (const res of streams) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The shape of the real GET /api/v1/overview (src/control/overview.ts). */
function overview(state: FakeState) {
  const r = state.rollout;
  const row = (environment: string, service: string, extra: Record<string, unknown>) => ({
    environment,
    service,
    release: 'r-0001',
    revision: 'r-0001',
    health: { status: 'healthy', ready: 2, desired: 2 },
    replicas: 2,
    traffic: { rps: 41.5, errorRate: 0.0012, p95Ms: 23.4 },
    rollout: null,
    owners: { team: 'team-web' },
    incidents: { open: 0 },
    alerts: { firing: 0 },
    autoscale: { min: 2, max: 6 },
    ...extra,
  });
  const rollout = (
    state: string,
    release: string,
    active: boolean,
    step: number | null,
    weight: number | null,
  ) => ({
    deployment: 'dep-1',
    kind: 'deploy',
    state,
    strategy: 'canary',
    release,
    active,
    step,
    weight,
    steps: 3,
    startedAt: new Date(Date.now() - 7 * 60_000).toISOString(),
  });
  return {
    at: new Date().toISOString(),
    windowMs: 60_000,
    environments: [
      { name: 'staging', protected: false, approval: [], strategy: 'rolling', deployment: null },
      { name: 'production', protected: true, approval: ['operator'], strategy: 'canary', deployment: null },
    ],
    services: [
      row('staging', 'web', { release: 'r-0002', rollout: rollout('promoted', 'r-0002', false, null, null) }),
      row('production', 'web', {
        release: state.release,
        rollout:
          r === null
            ? null
            : rollout(r.state, r.release, ['paused', 'progressing'].includes(r.state), r.step, r.weight),
      }),
      row('production', 'worker', {
        health: { status: 'down', ready: 0, desired: 1 },
        replicas: 1,
        traffic: { rps: null, errorRate: null, p95Ms: null },
        owners: { team: 'jobs' },
        incidents: { open: 1 },
        alerts: { firing: 2 },
        autoscale: null,
      }),
    ],
  };
}

function status(state: FakeState) {
  const r = state.rollout;
  return {
    environments: [
      {
        name: 'production',
        listen: 8080,
        listeners: { web: 8080 },
        rollout:
          r === null
            ? null
            : {
                id: 'dep-1',
                state: r.state,
                strategy: 'canary',
                release: r.release,
                kind: 'deploy',
                from: r.from,
                reason: null,
                startedAt: new Date().toISOString(),
                finishedAt: null,
                services: [
                  {
                    name: 'web',
                    state: r.state,
                    step: r.step,
                    replicas: 2,
                    weight: r.weight,
                    ...(r.state === 'paused' ? { pausedReason: 'step 1 waits for promote' } : {}),
                    analysis: { failures: 0, inconclusive: 1, measurements: 4, last: null },
                  },
                ],
              },
        services: [
          {
            name: 'web',
            release: state.release,
            revision: `${state.release}@abc`,
            replicas: { desired: 2, ready: 2 },
            listen: 8080,
            instances: [
              {
                id: 'web-1',
                release: state.release,
                revision: '',
                state: 'running',
                healthy: true,
                inTraffic: true,
                pid: 1,
                port: 9001,
                restarts: 0,
              },
              {
                id: 'web-2',
                release: state.release,
                revision: '',
                state: 'running',
                healthy: true,
                inTraffic: true,
                pid: 2,
                port: 9002,
                restarts: 1,
              },
            ],
          },
        ],
      },
    ],
  };
}

function points(now: number) {
  const out = [];
  for (let i = 119; i >= 0; i--) {
    const at = now - i * 30_000;
    const wave = Math.sin(i / 9);
    out.push({
      at,
      rps: i === 60 ? null : 40 + 10 * wave,
      errorRate: 0.001 + 0.0005 * wave,
      p50Ms: 8 + wave,
      p95Ms: 22 + 4 * wave,
      p99Ms: 41 + 8 * wave,
      cpuCores: 0.2 + 0.05 * wave,
      rssBytes: 80e6 + 5e6 * wave,
      healthy: 2,
      instances: 2,
    });
  }
  return out;
}

function finishedRun(id: string, startedAt: number): FakeRun {
  return {
    id,
    status: 'passed',
    branch: 'main',
    commit: 'abc1234def5678',
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(startedAt + 9000).toISOString(),
    durationMs: 9000,
    jobs: PIPELINE.map(([name, needs]) => ({
      name,
      needs,
      status: name === 'install' ? 'cached' : name === 'smoke (lang=fr)' ? 'skipped' : 'passed',
      durationMs: 1500,
      attempts: 1,
      ...(name === 'install' ? { reason: 'cache hit: inputs unchanged' } : {}),
      ...(name === 'smoke (lang=fr)' ? { reason: "if: matrix.lang == 'en' was false" } : {}),
      log: name === 'smoke (lang=fr)' ? [] : [`$ npm run ${name}`, `${name}: ok`],
    })),
  };
}

function startedRun(id: string): FakeRun {
  return {
    id,
    status: 'running',
    branch: 'main',
    commit: 'fff0000aaa1111',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    durationMs: null,
    jobs: PIPELINE.map(([name, needs]) => ({
      name,
      needs,
      status: 'pending',
      durationMs: null,
      attempts: 0,
      log: [],
    })),
  };
}

function problem(status: number, code: string, detail: string) {
  return { type: `https://tandem.dev/problems/${code.toLowerCase()}`, title: code, status, code, detail };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');
  const api = await startFakeApi({ webRoot: root, port: Number(process.argv[2] ?? 7071) });
  // A live pipeline to watch: a new run every 30 s, one step a second.
  setInterval(() => {
    api.advanceRun();
    api.emitLogs('web-1', [`GET / 200 ${new Date().toISOString()}`]);
  }, 1000);
  console.log(`fake API and dashboard on ${api.url} (token ${api.state.token}); serving ${root}`);
}
