import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeProject, removeProject } from '../../../test/helpers/cli.js';
import { loadConfig } from '../../config/load.js';
import { ControlPlane } from '../../control/control-plane.js';
import { FakeAgent } from '../../control/fake-agent.js';
import { logFileName } from '../../pipeline/run/job-log-file.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { createApiServer } from '../api-server.js';
import { type InsightDeps, insightRoutes, streamQuery } from './insight-routes.js';
import type { RouteContext, RouteDef } from './types.js';

const CONFIG = `project: shop
pipeline:
  jobs:
    build: { run: "true" }
    test: { run: "true", needs: build }
services:
  web: { run: node web.js, replicas: 2 }
  api: { run: node api.js }
environments:
  staging:
    listen: { web: 18181 }
  production:
    listen: { web: 18180 }
`;

let dir: string;
let store: Store;
let plane: ControlPlane;

beforeEach(async () => {
  dir = makeProject({ 'tandem.yaml': CONFIG });
  store = await openStore(dir);
  const loaded = await loadConfig({ cwd: dir });
  plane = new ControlPlane({ loaded, store, agent: new FakeAgent(), env: {} });
  await seed();
});
afterEach(async () => {
  await store.close();
  removeProject(dir);
});

async function seed(): Promise<void> {
  const at = new Date('2025-03-01T10:00:00.000Z');
  await store.runs.runStarted({
    id: 'run-1',
    project: 'shop',
    branch: 'main',
    commit: 'abc1234',
    jobs: ['build', 'test'],
    startedAt: at,
  });
  await store.runs.runFinished('run-1', { status: 'passed', durationMs: 10, jobs: [] }, at);
  for (const environment of ['staging', 'production']) {
    await store.deployments.start({
      id: `d-${environment}`,
      environment,
      kind: 'deploy',
      release: 'r1-abc1234',
      fromRelease: null,
      rollouts: [],
      supersede: [],
      at,
    });
    await store.deployments.finish(
      `d-${environment}`,
      'succeeded',
      null,
      [{ service: 'web', release: 'r1-abc1234', replicas: 2 }],
      at,
    );
  }
}

const viewer = { id: 't1', name: 'ci', roles: ['viewer' as const], via: 'bearer' as const };

function route(routes: RouteDef[], method: string, path: string): RouteDef {
  const r = routes.find((x) => x.method === method && x.path === path);
  if (r === undefined) throw new Error(`no route ${method} ${path}`);
  return r;
}

/** Calls a handler as the pipeline would: the query validated by the route's schema. */
async function call(
  r: RouteDef,
  params: Record<string, string> = {},
  rawQuery: Record<string, string> = {},
  rawBody: unknown = undefined,
) {
  const ctx: RouteContext = {
    params,
    query: r.query === undefined ? rawQuery : r.query.parse(rawQuery),
    body: r.body === undefined ? rawBody : r.body.parse(rawBody),
    principal: viewer,
    req: {} as IncomingMessage,
    res: {} as ServerResponse,
    address: '127.0.0.1',
  };
  const out = await r.handler(ctx);
  if (out === undefined) throw new Error('the handler wrote the response itself');
  // The documented response schema matches what is answered.
  if (r.response !== undefined) r.response.parse(out.body);
  return out;
}

const deps = (): InsightDeps => ({ store, plane });

const MATRIX_JOB = 'test (node=20)';

/** A running run whose `test (node=20)` job is running with a log file; returns the file. */
async function runningJob(content: string): Promise<string> {
  await store.runs.runStarted({
    id: 'run-2',
    project: 'shop',
    branch: 'main',
    commit: 'def5678',
    jobs: ['build', MATRIX_JOB],
    startedAt: new Date(),
  });
  await store.runs.attemptStarted('run-2', MATRIX_JOB, 1, new Date());
  const file = path.join(dir, '.tandem', 'runs', 'run-2', logFileName(MATRIX_JOB));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const finishJob = () =>
  store.runs.jobFinished(
    'run-2',
    { name: MATRIX_JOB, status: 'passed', durationMs: 5, attempts: 1, cacheKey: 'k' },
    `.tandem/runs/run-2/${logFileName(MATRIX_JOB)}`,
    new Date(),
  );

describe('insight routes', () => {
  it('declares each route with its least role and documents its response', () => {
    const routes = insightRoutes(deps());
    expect(routes.map((r) => `${r.method} ${r.path} ${r.role}`)).toEqual([
      'GET /overview viewer',
      'GET /services/:service/timeline viewer',
      'GET /runs viewer',
      'POST /runs developer',
      'GET /runs/:id viewer',
      'GET /runs/:id/jobs/:job/log viewer',
      'POST /runs/:id/rerun developer',
      'GET /stream viewer',
    ]);
    for (const r of routes) if (r.path !== '/stream') expect(r.response).toBeDefined();
    expect(route(routes, 'GET', '/stream').produces).toBe('text/event-stream');
  });

  it('answers the overview, and a timeline with a clear 404 for a name that is not configured', async () => {
    const routes = insightRoutes(deps());
    const overview = await call(route(routes, 'GET', '/overview'), {}, { environment: 'production' });
    expect((overview.body as { services: unknown[] }).services).toHaveLength(2);
    await expect(call(route(routes, 'GET', '/overview'), {}, { environment: 'prod' })).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_UNKNOWN_ENVIRONMENT',
    });
    const timeline = route(routes, 'GET', '/services/:service/timeline');
    const page = await call(timeline, { service: 'web' }, { environment: 'production', limit: '2' });
    expect(page.body).toMatchObject({
      items: [{ type: 'deployment.succeeded' }, { type: 'deployment.started' }],
    });
    const next = (page.body as { next: string }).next;
    const rest = await call(timeline, { service: 'web' }, { environment: 'production', cursor: next });
    expect((rest.body as { items: Array<{ type: string }> }).items.map((i) => i.type)).toEqual([
      'pipeline.run.finished',
      'pipeline.run.started',
    ]);
    expect(() => timeline.query?.parse({})).toThrow(/environment/);
    await expect(call(timeline, { service: 'web' }, { environment: 'prod' })).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_UNKNOWN_ENVIRONMENT',
    });
    await expect(call(timeline, { service: 'wbe' }, { environment: 'production' })).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_UNKNOWN_SERVICE',
    });
    // A service no longer configured keeps its timeline.
    await store.events.append(store.db, {
      type: 'alert.firing',
      subjectKind: 'alert',
      subjectId: 'fp-old',
      data: { environment: 'production', service: 'legacy', rule: 'errors' },
    });
    const legacy = await call(timeline, { service: 'legacy' }, { environment: 'production' });
    expect((legacy.body as { items: Array<{ type: string }> }).items[0]?.type).toBe('alert.firing');
    // A configured service without history is an empty page, not an error.
    expect((await call(timeline, { service: 'api' }, { environment: 'staging' })).body).toMatchObject({
      next: null,
    });
  });

  it('lists runs and shows one as a DAG; an unknown run is a 404', async () => {
    const routes = insightRoutes(deps());
    const list = await call(route(routes, 'GET', '/runs'), {}, { limit: '10' });
    expect(list.body).toMatchObject({ items: [{ id: 'run-1', status: 'passed' }], next: null });
    const one = await call(route(routes, 'GET', '/runs/:id'), { id: 'run-1' });
    expect(one.body).toMatchObject({
      needsFrom: 'config',
      jobs: [
        { name: 'build', needs: [] },
        { name: 'test', needs: ['build'] },
      ],
    });
    await expect(call(route(routes, 'GET', '/runs/:id'), { id: 'nope' })).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_RUN_NOT_FOUND',
    });
    expect(() => route(routes, 'GET', '/runs').query?.parse({ limit: '0' })).toThrow();
  });

  it("answers a job's log: the tail, pages by offset, whole lines until the job is final", async () => {
    const file = await runningJob('npm test\nok 1 - adds\nok 2 - sub');
    const log = route(insightRoutes(deps()), 'GET', '/runs/:id/jobs/:job/log');
    const params = { id: 'run-2', job: MATRIX_JOB };
    const tail = await call(log, params);
    expect(tail.body).toEqual({
      run: 'run-2',
      job: MATRIX_JOB,
      status: 'running',
      lines: ['npm test', 'ok 1 - adds'],
      start: 0,
      offset: 21,
      truncated: false,
      complete: false,
    });
    expect((await call(log, params, { limit: '23' })).body).toMatchObject({
      lines: ['ok 1 - adds'],
      start: 9,
      truncated: true,
    });
    expect((await call(log, params, { offset: '0', limit: '12' })).body).toMatchObject({
      lines: ['npm test'],
      start: 0,
      offset: 9,
      truncated: false,
    });
    appendFileSync(file, '\n# done');
    await finishJob();
    expect((await call(log, params, { offset: '21' })).body).toMatchObject({
      status: 'passed',
      lines: ['ok 2 - sub', '# done'],
      start: 21,
      offset: 38,
      complete: true,
    });
    // A job that has not started has no log yet.
    expect((await call(log, { id: 'run-2', job: 'build' })).body).toMatchObject({
      status: 'pending',
      lines: [],
      offset: 0,
      complete: false,
    });
    await expect(call(log, params, { offset: '39' })).rejects.toMatchObject({
      status: 400,
      code: 'TANDEM_BAD_QUERY',
    });
    expect(() => log.query?.parse({ limit: String(2 * 1024 * 1024) })).toThrow(/limit/);
    expect(() => log.query?.parse({ offset: '-1' })).toThrow(/offset/);
    await expect(call(log, { id: 'nope', job: 'build' })).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_RUN_NOT_FOUND',
    });
    await expect(call(log, { id: 'run-2', job: 'tset' })).rejects.toMatchObject({
      status: 404,
      code: 'TANDEM_JOB_NOT_FOUND',
      message: expect.stringContaining(`build, ${MATRIX_JOB}`),
    });
  });

  it('re-runs through the injected re-run, answering 202', async () => {
    const asked: string[] = [];
    const routes = insightRoutes({
      ...deps(),
      rerun: async (id) => {
        asked.push(id);
        return { status: 'started', commit: 'abc1234', release: 'r2-abc1234', runId: 'run-2' };
      },
    });
    const out = await call(route(routes, 'POST', '/runs/:id/rerun'), { id: 'run-1' });
    expect(out).toEqual({
      status: 202,
      body: { status: 'started', commit: 'abc1234', release: 'r2-abc1234', runId: 'run-2' },
    });
    expect(asked).toEqual(['run-1']);
  });

  it('starts the pipeline of a ref through the injected starter; HEAD when none is given', async () => {
    const asked: Array<string | undefined> = [];
    const routes = insightRoutes({
      ...deps(),
      startRun: async (ref) => {
        asked.push(ref);
        return { status: 'started', commit: 'abc1234', release: 'r3-abc1234', runId: 'run-3' };
      },
    });
    const start = route(routes, 'POST', '/runs');
    expect(await call(start, {}, {}, { ref: ' main ' })).toMatchObject({
      status: 202,
      body: { runId: 'run-3' },
    });
    await call(start, {}, {}, {});
    expect(asked).toEqual(['main', undefined]);
    expect(() => start.body?.parse({ ref: '' })).toThrow();
    expect(() => start.body?.parse({ branch: 'main' })).toThrow();
  });

  it('parses the stream query: topics, type prefixes, afterId', () => {
    expect(streamQuery.parse({})).toMatchObject({ topics: ['events'], types: [] });
    expect(
      streamQuery.parse({
        topics: 'events, logs,joblog',
        types: 'rollout.,alert.',
        afterId: '12',
        instance: 'i1',
        run: 'run-1',
        job: 'build',
        offset: '40',
      }),
    ).toMatchObject({
      topics: ['events', 'logs', 'joblog'],
      types: ['rollout.', 'alert.'],
      afterId: 12,
      instance: 'i1',
      run: 'run-1',
      job: 'build',
      offset: 40,
    });
    expect(() => streamQuery.parse({ topics: 'events,bogus' })).toThrow(/unknown topic/);
  });
});

describe('insight routes in the API server', () => {
  let server: http.Server;
  let base: string;

  beforeEach(async () => {
    server = createApiServer({
      plane,
      onShutdown: () => undefined,
      extraRoutes: insightRoutes({ ...deps(), stream: { pollMs: 20 } }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves them under /api/v1 with validated queries, problem+json errors and a live stream', async () => {
    const overview = await fetch(`${base}/overview`);
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { services: unknown[] }).services).toHaveLength(4);
    const timeline = await fetch(`${base}/services/web/timeline?environment=staging&limit=1`);
    expect(((await timeline.json()) as { items: unknown[]; next: string }).items).toHaveLength(1);
    const bad = await fetch(`${base}/runs?limit=abc`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(((await bad.json()) as { code: string }).code).toBe('TANDEM_BAD_QUERY');
    expect((await fetch(`${base}/runs/nope`)).status).toBe(404);

    const controller = new AbortController();
    const stream = await fetch(`${base}/stream?topics=events&environment=staging`, {
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await store.events.append(store.db, {
      type: 'alert.firing',
      subjectKind: 'alert',
      subjectId: 'fp',
      data: { environment: 'staging', service: 'web', rule: 'errors' },
    });
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes('alert.firing') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toMatch(/id: \d+\nevent: events\ndata: \{.*"type":"alert.firing"/);
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });

  it("serves a job's log as it grows, and follows it on the stream", async () => {
    const file = await runningJob('one\n');
    const job = encodeURIComponent(MATRIX_JOB);
    const get = async (query = '') => {
      const res = await fetch(`${base}/runs/run-2/jobs/${job}/log${query}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await get()).toMatchObject({ status: 200, body: { lines: ['one'], offset: 4 } });
    appendFileSync(file, 'two\nthr');
    expect(await get('?offset=4')).toMatchObject({ status: 200, body: { lines: ['two'], offset: 8 } });
    const missing = await fetch(`${base}/runs/run-2/jobs/lint/log`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(((await missing.json()) as { code: string }).code).toBe('TANDEM_JOB_NOT_FOUND');
    expect(((await get('?offset=x')).body as { code: string }).code).toBe('TANDEM_BAD_QUERY');

    // The stream refuses a missing or unknown job before it starts.
    const noJob = await fetch(`${base}/stream?topics=joblog&run=run-2`);
    expect([noJob.status, ((await noJob.json()) as { code: string }).code]).toEqual([
      400,
      'TANDEM_BAD_QUERY',
    ]);
    const noRun = await fetch(`${base}/stream?topics=joblog&run=run-9&job=build`);
    expect([noRun.status, ((await noRun.json()) as { code: string }).code]).toEqual([
      404,
      'TANDEM_RUN_NOT_FOUND',
    ]);

    const controller = new AbortController();
    const stream = await fetch(`${base}/stream?topics=joblog&run=run-2&job=${job}&offset=4`, {
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const readUntil = async (what: string) => {
      const deadline = Date.now() + 5000;
      while (!text.includes(what) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain(what);
    };
    await readUntil('"lines":["two"]');
    appendFileSync(file, 'ee');
    await finishJob();
    await readUntil('"done":true');
    expect(text).toContain(
      `event: joblog\ndata: {"run":"run-2","job":"${MATRIX_JOB}","lines":["three"],"offset":13}\n\n`,
    );
    expect(text).toContain(
      `event: joblog\ndata: {"run":"run-2","job":"${MATRIX_JOB}","lines":[],"offset":13,"done":true,"status":"passed"}`,
    );
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
});
