/**
 * A service's timeline (GET /services/:service/timeline): one merged, newest-first list of what
 * happened to service S in environment E and how it got there — pushes and pipeline runs,
 * releases, deployments and rollout steps (with the analysis measurements of each step),
 * alerts, incidents and autoscaler decisions. Read through the events index
 * (environment, service, id) with keyset pagination: the cursor is the last id returned.
 */
import { ApiError } from '../agent/http-io.js';
import type { Measurement } from '../delivery/analysis/types.js';
import type { Rollout } from '../delivery/types.js';
import type { ScopedEvent } from '../store/repositories/events.js';
import type { Store } from '../store/store.js';
import { releaseOfRevision } from './ports.js';

export type TimelineKind =
  | 'commit'
  | 'pipeline'
  | 'release'
  | 'deployment'
  | 'rollout'
  | 'alert'
  | 'incident'
  | 'autoscale'
  | 'scale'
  | 'other';

export interface TimelineItem {
  /** The event id (ascending in time of recording). */
  id: number;
  /** ISO-8601 UTC. */
  at: string;
  kind: TimelineKind;
  /** The event type, e.g. `rollout.step`. */
  type: string;
  /** One line for people. */
  title: string;
  /** null: about the whole project (a pipeline run, a release). */
  environment: string | null;
  /** null: about the whole environment (a deployment) or the project. */
  service: string | null;
  /** The release the item is about, when known. */
  release?: string;
  /** The event's data; a rollout item also has `analysis`: the measurements of the step it ends. */
  data: Record<string, unknown>;
}

export interface TimelinePage {
  items: TimelineItem[];
  /** Pass as `cursor` for the next (older) page; null when there is none. */
  next: string | null;
}

export interface TimelineQuery {
  environment: string;
  service: string;
  /** 50 by default, at most MAX_TIMELINE_LIMIT. */
  limit?: number;
  /** `next` of the previous page. */
  cursor?: string | undefined;
}

export const MAX_TIMELINE_LIMIT = 500;
const DEFAULT_LIMIT = 50;
/** A page is filled in at most this many reads (environment-wide events of other services are skipped). */
const MAX_ROUNDS = 4;

/** Events about the project that belong on every service's timeline: how a release came to be. */
export const PROJECT_TIMELINE_TYPES: readonly string[] = [
  'webhook.received',
  'pipeline.run.started',
  'pipeline.run.finished',
  'release.created',
  'release.ready',
  'release.failed',
];

export async function serviceTimeline(store: Store, query: TimelineQuery): Promise<TimelinePage> {
  const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)), MAX_TIMELINE_LIMIT);
  let before = parseCursor(query.cursor);
  const { environment, service } = query;
  const sources = [
    // The service's own events (rollouts, alerts, incidents, scaling).
    (beforeId: number | undefined, n: number) =>
      store.events.listScoped({ environment, service, order: 'desc', limit: n, ...opt(beforeId) }),
    // The environment's (deployments: they apply to each of their services).
    (beforeId: number | undefined, n: number) =>
      store.events.listScoped({ environment, service: null, order: 'desc', limit: n, ...opt(beforeId) }),
    // The project's: pushes, pipeline runs, releases.
    (beforeId: number | undefined, n: number) =>
      store.events.listScoped({
        environment: null,
        service: null,
        types: PROJECT_TIMELINE_TYPES,
        order: 'desc',
        limit: n,
        ...opt(beforeId),
      }),
  ];
  const events: ScopedEvent[] = [];
  let more = false;
  for (let round = 0; round < MAX_ROUNDS && events.length < limit; round++) {
    const want = limit - events.length;
    const fetched = (await Promise.all(sources.map((read) => read(before, want + 1)))).flat();
    fetched.sort((a, b) => b.id - a.id);
    const taken = fetched.slice(0, want);
    more = fetched.length > want;
    for (const e of taken) if (concerns(e, service)) events.push(e);
    const last = taken.at(-1);
    if (last !== undefined) before = last.id;
    if (!more) break;
  }
  return {
    items: await toItems(store, { environment, service }, events),
    next: more && before !== undefined ? String(before) : null,
  };
}

/** An environment-wide event naming its services (a deployment, an approval) concerns only those. */
function concerns(e: ScopedEvent, service: string): boolean {
  if (e.service !== null || e.environment === null) return true;
  const services = e.data.services;
  // A deployment that started no rollout (its release command failed) is about every service.
  return !Array.isArray(services) || services.length === 0 || services.includes(service);
}

function opt(beforeId: number | undefined): { beforeId?: number } {
  return beforeId === undefined ? {} : { beforeId };
}

function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^\d{1,15}$/.test(cursor)) {
    throw new ApiError(
      400,
      'TANDEM_BAD_CURSOR',
      `cursor "${cursor}" is not one this API returned; omit it to start from the newest`,
    );
  }
  return Number(cursor);
}

/** Items with titles, releases and the analysis of rollout steps: three batched reads per page. */
async function toItems(
  store: Store,
  scope: { environment: string; service: string },
  events: ScopedEvent[],
): Promise<TimelineItem[]> {
  const deploymentIds = unique(events.filter((e) => e.subjectKind === 'deployment').map((e) => e.subjectId));
  const rolloutIds = unique(
    events.map((e) => e.data.rollout).filter((r): r is string => typeof r === 'string'),
  );
  const [deployments, rollouts, rolloutEvents] = await Promise.all([
    deploymentIds.length === 0
      ? []
      : store.db
          .selectFrom('deployments')
          .select(['id', 'release'])
          .where('id', 'in', deploymentIds)
          .execute(),
    rolloutIds.length === 0
      ? []
      : store.db.selectFrom('rollouts').select(['id', 'record']).where('id', 'in', rolloutIds).execute(),
    // The service's rollout events of those deployments (through the scope index): each step's
    // analysis is the measurements since the previous one.
    rolloutIds.length === 0
      ? []
      : store.db
          .selectFrom('events')
          .select(['id', 'at', 'data'])
          .where('environment', '=', scope.environment)
          .where('service', '=', scope.service)
          .where('subject_kind', '=', 'deployment')
          .where('subject_id', 'in', deploymentIds)
          .where('type', 'like', 'rollout.%')
          .orderBy('id')
          .execute(),
  ]);
  const releaseOf = new Map(deployments.map((d) => [d.id, releaseOfRevision(d.release)]));
  const recordOf = new Map(rollouts.map((r) => [r.id, JSON.parse(r.record) as Rollout]));
  const previousAt = previousEventTimes(rolloutEvents);
  return events.map((e) => {
    const data = { ...e.data };
    let release: string | undefined;
    if (e.type.startsWith('release.')) release = e.subjectId;
    else if (e.subjectKind === 'deployment') release = releaseOf.get(e.subjectId);
    const record = typeof data.rollout === 'string' ? recordOf.get(data.rollout) : undefined;
    if (record !== undefined) {
      release = releaseOfRevision(record.to);
      if (e.type.startsWith('rollout.')) {
        const since = previousAt.get(e.id) ?? record.startedAt;
        const until = Date.parse(e.at);
        const analysis = (record.analysis?.measurements ?? []).filter((m) => m.at > since && m.at <= until);
        if (analysis.length > 0) data.analysis = analysis;
      }
    }
    const item: TimelineItem = {
      id: e.id,
      at: e.at,
      kind: kindOf(e),
      type: e.type,
      title: titleOf(e, data),
      environment: e.environment,
      service: e.service,
      data,
    };
    if (release !== undefined) item.release = release;
    return item;
  });
}

/** For each rollout event id, when the previous event of the same rollout happened (ms). */
function previousEventTimes(rows: Array<{ id: number; at: string; data: string }>): Map<number, number> {
  const lastOf = new Map<string, number>();
  const out = new Map<number, number>();
  for (const r of rows) {
    const rollout = (JSON.parse(r.data) as { rollout?: unknown }).rollout;
    if (typeof rollout !== 'string') continue;
    const previous = lastOf.get(rollout);
    if (previous !== undefined) out.set(r.id, previous);
    lastOf.set(rollout, Date.parse(r.at));
  }
  return out;
}

export function kindOf(e: { type: string; data: Record<string, unknown> }): TimelineKind {
  const [head] = e.type.split('.');
  switch (head) {
    case 'webhook':
      return 'commit';
    case 'pipeline':
      return 'pipeline';
    case 'release':
      return 'release';
    case 'deployment':
      return 'deployment';
    case 'rollout':
      return 'rollout';
    case 'alert':
      return 'alert';
    case 'incident':
      return 'incident';
    case 'autoscale':
      return 'autoscale';
    case 'service':
      if (e.type === 'service.scaled') return e.data.by === 'autoscaler' ? 'autoscale' : 'scale';
      return 'other';
    default:
      return 'other';
  }
}

/** One line for people, from the event's type and data. */
export function titleOf(e: { type: string; subjectId: string }, data: Record<string, unknown>): string {
  const s = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : undefined);
  const n = (k: string) => (typeof data[k] === 'number' ? (data[k] as number) : undefined);
  const short = (commit: string | undefined) => (commit === undefined ? '?' : commit.slice(0, 7));
  const firstLine = (text: string | undefined) => (text === undefined ? '' : text.split('\n')[0]);
  const why = (k = 'reason') => (s(k) === undefined ? '' : `: ${firstLine(s(k))}`);
  const service = s('service') ?? '';
  switch (e.type) {
    case 'webhook.received':
      return `push to ${s('branch') ?? '?'} (${short(s('commit'))})`;
    case 'pipeline.run.started':
      return `pipeline run ${e.subjectId} started${s('branch') ? ` on ${s('branch')}` : ''}${s('commit') ? ` at ${short(s('commit'))}` : ''}`;
    case 'pipeline.run.finished':
      return `pipeline run ${e.subjectId} ${s('status') ?? 'finished'}${n('durationMs') === undefined ? '' : ` in ${seconds(n('durationMs') as number)}`}`;
    case 'release.created':
      return `release ${e.subjectId} created from ${short(s('commit'))}${s('ref') && s('ref') !== 'HEAD' ? ` (${s('ref')})` : ''}`;
    case 'release.ready':
      return `release ${e.subjectId} ready`;
    case 'release.failed':
      return `release ${e.subjectId} failed${why()}`;
    case 'deployment.started': {
      const how = [s('strategy'), s('trigger') ?? 'manual'].filter((x) => x !== undefined).join(', ');
      return `${s('kind') ?? 'deploy'} of ${s('release') ?? '?'} to ${s('environment') ?? '?'} started (${how})`;
    }
    case 'deployment.succeeded':
      return `deployment ${e.subjectId} succeeded`;
    case 'deployment.failed':
      return `deployment ${e.subjectId} failed${why()}`;
    case 'deployment.superseded':
      return `deployment ${e.subjectId} superseded by ${s('by') ?? '?'}`;
    case 'deployment.approved':
      return `deployment ${e.subjectId} approved by ${s('by') ?? '?'}`;
    case 'rollout.step': {
      const analysis = data.analysis as Measurement[] | undefined;
      return `${service} canary at ${n('weight') ?? '?'}% (step ${(n('step') ?? 0) + 1})${analysisSummary(analysis)}`;
    }
    case 'alert.firing':
      return `alert ${s('rule') ?? e.subjectId} firing${n('value') === undefined ? '' : ` (value ${n('value')})`}`;
    case 'alert.resolved':
      return `alert ${s('rule') ?? e.subjectId} resolved`;
    case 'alert.nodata':
      return `alert ${s('rule') ?? e.subjectId}: no data`;
    case 'incident.opened':
      return `incident ${e.subjectId} opened: ${s('title') ?? ''}`.trimEnd();
    case 'incident.resolved':
      return `incident ${e.subjectId} resolved by ${s('by') ?? '?'}${s('note') ? `: ${firstLine(s('note'))}` : ''}`;
    case 'incident.alert-attached':
      return `alert ${s('alert') ?? '?'} attached to incident ${e.subjectId}`;
    case 'incident.rollback-attached':
      return `rollback ${s('deployment') ?? '?'} attached to incident ${e.subjectId}`;
    case 'incident.releases-linked':
      return `releases linked to incident ${e.subjectId}`;
    case 'service.scaled': {
      const d = (data.decision ?? {}) as Record<string, unknown>;
      const reason = typeof d.reason === 'string' ? `: ${d.reason}` : '';
      return `scaled to ${n('replicas') ?? '?'} by ${s('by') ?? 'an operator'}${reason}`;
    }
    case 'autoscale.decision':
      return `autoscaler: ${n('from') ?? '?'} → ${n('to') ?? '?'}${why()}`;
    default:
      if (e.type.startsWith('rollout.')) {
        const state = e.type.slice('rollout.'.length);
        return `${service} rollout ${state}${why()}${analysisSummary(data.analysis as Measurement[] | undefined)}`;
      }
      return e.type;
  }
}

function analysisSummary(measurements: Measurement[] | undefined): string {
  if (measurements === undefined || measurements.length === 0) return '';
  const count = (v: string) => measurements.filter((m) => m.verdict === v).length;
  const parts = [
    [count('pass'), 'passed'],
    [count('fail'), 'failed'],
    [count('inconclusive'), 'inconclusive'],
  ]
    .filter(([c]) => (c as number) > 0)
    .map(([c, w]) => `${c} ${w}`);
  return ` · analysis: ${parts.join(', ')}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
