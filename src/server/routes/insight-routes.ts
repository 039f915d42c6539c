/**
 * The dashboard's read side (issue 6): the overview of every service × environment, a service's
 * timeline, pipeline runs with their DAG (and re-running one), a job's log, and the live stream (SSE).
 * Reads need viewer; re-running a pipeline needs developer.
 */
import { z } from 'zod';
import {
  DEFAULT_JOB_LOG_LIMIT,
  type JobLogRead,
  MAX_JOB_LOG_LIMIT,
  readJobLog,
  runJobState,
} from '../../control/job-log.js';
import { type Overview, OverviewModel, type OverviewSource } from '../../control/overview.js';
import { TrafficCache } from '../../control/overview-traffic.js';
import type { AgentApi } from '../../control/ports.js';
import {
  createRerun,
  createStartRun,
  listRunViews,
  MAX_RUNS_LIMIT,
  type ProjectLocation,
  type Rerun,
  type RerunResult,
  type RunDetail,
  type RunPage,
  runDetail,
  type StartRun,
} from '../../control/runs-view.js';
import { MAX_TIMELINE_LIMIT, serviceTimeline, type TimelinePage } from '../../control/timeline.js';
import type { EnvironmentPlan } from '../../delivery/environment-plan.js';
import type { Store } from '../../store/store.js';
import { HttpProblem } from '../problem.js';
import { STREAM_TOPICS, type StreamTopic, streamEvents } from '../sse.js';
import { limitParam } from './pagination.js';
import { defineRoute, type RouteDef } from './types.js';

export interface InsightDeps {
  store: Store;
  /** The control plane (ControlPlane implements both). */
  plane: OverviewSource & ProjectLocation;
  /** The agent client, for the `logs` topic of the stream. */
  agent?: Pick<AgentApi, 'logs'>;
  /** The environment of pipeline re-runs (process.env by default). */
  env?: Record<string, string | undefined>;
  /** The overview's traffic figures (a TrafficCache over plane.metrics() by default). */
  traffic?: Pick<TrafficCache, 'read'>;
  /** Replaces the re-run (tests). */
  rerun?: Rerun;
  /** Replaces starting a ref's pipeline (tests). */
  startRun?: StartRun;
  /** Stream timings (tests: short heartbeats). */
  stream?: { pollMs?: number; heartbeatMs?: number };
}

const overviewQuery = z.object({
  environment: z.string().min(1).optional().describe('only this environment'),
});

const timelineQuery = z.object({
  environment: z
    .string({ error: 'the timeline needs ?environment=' })
    .min(1, 'the timeline needs ?environment='),
  limit: limitParam({ fallback: 50, max: MAX_TIMELINE_LIMIT, what: 'items' }),
  cursor: z.string().min(1).optional().describe('the `next` of the previous page'),
});

const runsQuery = z.object({
  limit: limitParam({ fallback: 20, max: MAX_RUNS_LIMIT, what: 'runs' }),
  cursor: z.string().min(1).optional().describe('the `next` of the previous page'),
});

const byteOffset = (what: string) =>
  z.coerce
    .number({ error: 'offset must be a whole number of bytes from 0' })
    .int('offset must be a whole number of bytes from 0')
    .min(0, 'offset must be a whole number of bytes from 0')
    .optional()
    .describe(what);

const jobLogLimitMessage = `limit must be a whole number of bytes from 1 to ${MAX_JOB_LOG_LIMIT}`;
const jobLogQuery = z.object({
  offset: byteOffset('read from this byte offset (the `offset` of the previous answer); the tail without it'),
  limit: z.coerce
    .number({ error: jobLogLimitMessage })
    .int(jobLogLimitMessage)
    .min(1, jobLogLimitMessage)
    .max(MAX_JOB_LOG_LIMIT, jobLogLimitMessage)
    .optional()
    .describe(`at most this many bytes (${DEFAULT_JOB_LOG_LIMIT} by default, at most ${MAX_JOB_LOG_LIMIT})`),
});

const commaList = (what: string) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .describe(what);

export const streamQuery = z.object({
  topics: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const topics = (v ?? 'events')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      for (const t of topics) {
        if (!(STREAM_TOPICS as readonly string[]).includes(t)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown topic "${t}" (topics: ${STREAM_TOPICS.join(', ')})`,
          });
          return z.NEVER;
        }
      }
      return topics as StreamTopic[];
    })
    .describe(
      'comma-separated: events (the event log), logs (an instance’s log lines), joblog (a pipeline job’s log); events by default',
    ),
  environment: z.string().min(1).optional().describe('events about this environment only'),
  service: z.string().min(1).optional().describe('events about this service only'),
  types: commaList('event type prefixes, comma-separated (e.g. `rollout.,alert.`)'),
  instance: z.string().min(1).optional().describe('the instance whose log lines the logs topic follows'),
  run: z.string().min(1).optional().describe('the pipeline run whose job the joblog topic follows'),
  job: z.string().min(1).optional().describe('the job whose log the joblog topic follows'),
  offset: byteOffset('the byte offset the joblog topic starts at (the tail without it)'),
  afterId: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('replay the events after this id (a Last-Event-ID header wins)'),
});

// ---- response schemas (for the OpenAPI document; checked against the types at compile time) ----

const nullableString = z.string().nullable();
const nullableNumber = z.number().nullable();
const data = z.record(z.string(), z.unknown());

const overviewResponse: z.ZodType<Overview> = z.object({
  at: z.string(),
  windowMs: z.number(),
  trafficAt: nullableString,
  environments: z.array(
    z.object({
      name: z.string(),
      protected: z.boolean(),
      approval: z.array(z.string()),
      strategy: z.string(),
      deployment: z
        .object({
          id: z.string(),
          kind: z.enum(['deploy', 'rollback', 'restart', 'scale']),
          release: z.string(),
          state: z.enum(['progressing', 'succeeded', 'failed', 'superseded']),
          rolloutState: z.string(),
          strategy: nullableString,
          steps: nullableNumber,
          startedAt: z.string(),
          finishedAt: nullableString,
        })
        .nullable(),
    }),
  ),
  services: z.array(
    z.object({
      environment: z.string(),
      service: z.string(),
      release: nullableString,
      revision: nullableString,
      health: z.object({
        status: z.enum(['healthy', 'degraded', 'down', 'unknown', 'not-deployed']),
        ready: nullableNumber,
        desired: z.number(),
      }),
      replicas: z.number(),
      traffic: z.object({ rps: nullableNumber, errorRate: nullableNumber, p95Ms: nullableNumber }),
      rollout: z
        .object({
          state: z.string(),
          step: nullableNumber,
          weight: nullableNumber,
          steps: nullableNumber,
          active: z.boolean(),
        })
        .nullable(),
      owners: z.object({ team: nullableString }),
      incidents: z.object({ open: z.number() }),
      alerts: z.object({ firing: z.number() }),
      autoscale: z.object({ min: z.number(), max: z.number() }).nullable(),
    }),
  ),
});

const timelineResponse: z.ZodType<TimelinePage> = z.object({
  items: z.array(
    z.object({
      id: z.number(),
      at: z.string(),
      kind: z.enum([
        'commit',
        'pipeline',
        'release',
        'deployment',
        'rollout',
        'alert',
        'incident',
        'autoscale',
        'scale',
        'other',
      ]),
      type: z.string(),
      title: z.string(),
      environment: nullableString,
      service: nullableString,
      release: z.string().optional(),
      data,
    }),
  ),
  next: nullableString,
});

const runStatus = z.enum(['running', 'passed', 'failed', 'cancelled']);
const jobStatus = z.enum(['pending', 'running', 'passed', 'failed', 'cached', 'skipped', 'cancelled']);
const runFields = {
  id: z.string(),
  project: z.string(),
  branch: nullableString,
  commit: nullableString,
  status: runStatus,
  startedAt: z.string(),
  finishedAt: nullableString,
  durationMs: nullableNumber,
  release: nullableString,
};

const runsResponse: z.ZodType<RunPage> = z.object({
  items: z.array(
    z.object({
      ...runFields,
      jobs: z.object({ total: z.number(), byStatus: z.partialRecord(jobStatus, z.number()) }),
    }),
  ),
  next: nullableString,
});

const runResponse: z.ZodType<RunDetail> = z.object({
  ...runFields,
  needsFrom: z.enum(['release', 'config']).nullable(),
  jobs: z.array(
    z.object({
      name: z.string(),
      position: z.number(),
      status: jobStatus,
      needs: z.array(z.string()).nullable(),
      cached: z.boolean(),
      reason: nullableString,
      attempts: z.number(),
      startedAt: nullableString,
      finishedAt: nullableString,
      durationMs: nullableNumber,
      cacheKey: nullableString,
      logPath: nullableString,
    }),
  ),
  attempts: z.array(
    z.object({
      runId: z.string(),
      job: z.string(),
      attempt: z.number(),
      status: z.enum(['running', 'passed', 'failed', 'timed-out', 'cancelled']),
      exitCode: nullableNumber,
      startedAt: z.string(),
      finishedAt: nullableString,
      durationMs: nullableNumber,
    }),
  ),
});

/** GET /runs/:id/jobs/:job/log. */
export type JobLogAnswer = JobLogRead & {
  run: string;
  job: string;
  status: RunDetail['jobs'][number]['status'];
};

const jobLogResponse: z.ZodType<JobLogAnswer> = z.object({
  run: z.string(),
  job: z.string(),
  status: jobStatus,
  lines: z
    .array(z.string())
    .describe('whole lines without their newline (and the last one once the job is final)'),
  start: z.number().describe('the byte offset of the first line'),
  offset: z.number().describe('the byte offset after the last byte answered: the next call’s ?offset='),
  truncated: z.boolean().describe('the tail left earlier bytes out'),
  complete: z.boolean().describe('the job is final and the answer reaches the end of its log'),
});

const rerunResponse: z.ZodType<RerunResult> = z.object({
  status: z.enum(['started', 'reused']),
  commit: z.string(),
  release: nullableString,
  runId: nullableString,
});

export const startRunBody = z.strictObject({
  ref: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .optional()
    .describe('a branch, tag or commit of the project’s repository; HEAD by default'),
});

export function insightRoutes(deps: InsightDeps): RouteDef[] {
  const { store, plane } = deps;
  const launch = {
    store,
    get root() {
      return plane.root;
    },
    get configFile() {
      return plane.configFile;
    },
    env: deps.env ?? process.env,
  };
  const rerun = deps.rerun ?? createRerun(launch);
  const startRun = deps.startRun ?? createStartRun(launch);
  // Per-service metric windows are refreshed in the background, not read per request.
  const traffic = deps.traffic ?? new TrafficCache({ metrics: () => plane.metrics() });
  const overviews = new OverviewModel(store, plane);
  return [
    defineRoute({
      method: 'GET',
      path: '/overview',
      summary: 'Every service × environment: release, health, traffic, rollout, owners, incidents, alerts',
      tag: 'insights',
      role: 'viewer',
      query: overviewQuery,
      response: overviewResponse,
      handler: async ({ query }) => {
        if (query.environment !== undefined) environmentOf(plane, query.environment);
        return {
          status: 200,
          body: await overviews.get({
            ...(query.environment === undefined ? {} : { environment: query.environment }),
            traffic: await traffic.read(),
          }),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/services/:service/timeline',
      summary: "A service's timeline in an environment, newest first: pipeline runs to autoscaler decisions",
      tag: 'insights',
      role: 'viewer',
      query: timelineQuery,
      response: timelineResponse,
      handler: async ({ params, query }) => {
        const service = params.service as string;
        if (query.cursor === undefined) await refuseUnknown(store, plane, query.environment, service);
        const page = await serviceTimeline(store, {
          environment: query.environment,
          service,
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          cursor: query.cursor,
        });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/runs',
      summary: 'Pipeline runs, newest first, with their job counts',
      tag: 'pipelines',
      role: 'viewer',
      query: runsQuery,
      response: runsResponse,
      handler: async ({ query }) => ({
        status: 200,
        body: await listRunViews(store, {
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          cursor: query.cursor,
        }),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/runs',
      summary:
        'Run the pipeline of a ref: builds a release of its commit (reused when one is ready: nothing runs)',
      tag: 'pipelines',
      role: 'developer',
      status: 202,
      body: startRunBody,
      response: rerunResponse,
      handler: async ({ body }) => ({ status: 202, body: await startRun(body.ref) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/runs/:id',
      summary: 'A pipeline run with its jobs as a DAG (needs, status, cached and skipped reasons, durations)',
      tag: 'pipelines',
      role: 'viewer',
      response: runResponse,
      handler: async ({ params }) => {
        const detail = await runDetail(store, plane, params.id as string);
        if (detail === undefined) {
          throw new HttpProblem(
            404,
            'TANDEM_RUN_NOT_FOUND',
            `no pipeline run "${params.id}" (see GET /runs)`,
          );
        }
        return { status: 200, body: detail };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/runs/:id/jobs/:job/log',
      summary:
        "A pipeline job's masked log: its tail, or the whole lines from a byte offset (for paging and polling)",
      tag: 'pipelines',
      role: 'viewer',
      query: jobLogQuery,
      response: jobLogResponse,
      handler: async ({ params, query }) => {
        const run = params.id as string;
        const job = params.job as string;
        // 404 unless the store has this run and job: the file name is made from those only.
        const state = await runJobState(store, run, job);
        const read = await readJobLog(plane.root, run, job, {
          ...(query.offset === undefined ? {} : { offset: query.offset }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          final: state.final,
        });
        return { status: 200, body: { run, job, status: state.status, ...read } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/runs/:id/rerun',
      summary: "Re-run a pipeline run: builds a release of its commit, which runs the commit's pipeline",
      tag: 'pipelines',
      role: 'developer',
      status: 202,
      response: rerunResponse,
      handler: async ({ params }) => ({ status: 202, body: await rerun(params.id as string) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/stream',
      summary:
        'Live updates (Server-Sent Events): the event log, an instance’s log lines, a pipeline job’s log',
      tag: 'insights',
      role: 'viewer',
      produces: 'text/event-stream',
      query: streamQuery,
      handler: async (ctx) => {
        const q = ctx.query;
        await streamEvents(ctx, {
          store,
          ...(deps.agent === undefined ? {} : { agent: deps.agent }),
          topics: q.topics,
          ...(q.afterId === undefined ? {} : { afterId: q.afterId }),
          ...(q.environment === undefined ? {} : { environment: q.environment }),
          ...(q.service === undefined ? {} : { service: q.service }),
          ...(q.types.length === 0 ? {} : { types: q.types }),
          ...(q.instance === undefined ? {} : { instance: q.instance }),
          ...(q.run === undefined ? {} : { run: q.run }),
          ...(q.job === undefined ? {} : { job: q.job }),
          ...(q.offset === undefined ? {} : { offset: q.offset }),
          root: plane.root,
          ...deps.stream,
        });
        return undefined;
      },
    }),
  ];
}

/**
 * A name that is not in the running config and has no history is most likely a typo: a 404
 * that lists the names. (A service removed from the config keeps its timeline.)
 */
async function refuseUnknown(
  store: Store,
  plane: OverviewSource,
  environment: string,
  service: string,
): Promise<void> {
  const configured = plane.environments().find((e) => e.name === environment);
  if (configured?.services.some((s) => s.name === service)) return;
  const [known] = await store.events.listScoped({ environment, service, limit: 1 });
  if (known !== undefined) return;
  const names = environmentOf(plane, environment).services.map((s) => s.name);
  throw new HttpProblem(
    404,
    'TANDEM_UNKNOWN_SERVICE',
    `"${service}" is not a service of "${environment}" (services: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''})`,
  );
}

/** The environment of the running config; a 404 naming the ones there are when it is not one. */
function environmentOf(plane: OverviewSource, environment: string): EnvironmentPlan {
  const env = plane.environments().find((e) => e.name === environment);
  if (env !== undefined) return env;
  const names = plane.environments().map((e) => e.name);
  throw new HttpProblem(
    404,
    'TANDEM_UNKNOWN_ENVIRONMENT',
    `unknown environment "${environment}" (environments: ${names.join(', ') || 'none'})`,
  );
}
