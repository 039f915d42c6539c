/**
 * The service timeline's vocabulary: which stage an event belongs to (commit → run → release →
 * rollout → analysis → alert → incident → autoscale), whether it is good or bad news, merging
 * live events into a loaded page, and the deploy markers drawn on the charts. Pure.
 */

export const TIMELINE_KINDS = [
  'commit',
  'run',
  'release',
  'rollout',
  'analysis',
  'alert',
  'incident',
  'autoscale',
  'other',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const KIND_LABEL: Record<TimelineKind, string> = {
  commit: 'Commit',
  run: 'Pipeline',
  release: 'Release',
  rollout: 'Rollout',
  analysis: 'Analysis',
  alert: 'Alert',
  incident: 'Incident',
  autoscale: 'Scaling',
  other: 'Event',
};

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

export interface TimelineItem {
  id: string;
  /** Epoch milliseconds. */
  at: number;
  kind: TimelineKind;
  /** The event type, e.g. `rollout.rolled-back`. */
  type: string;
  title: string;
  environment: string | null;
  service: string | null;
  release: string | null;
  data: Record<string, unknown>;
  /** Canary analysis measurements of the step a rollout item ends (empty for other items). */
  analysis: AnalysisMeasurement[];
}

export interface AnalysisMeasurement {
  at: number;
  verdict: string;
  requests: number | null;
  errorRate: number | null;
  p95Ms: number | null;
  reasons: string[];
}

const PREFIX_KIND: Array<[RegExp, TimelineKind]> = [
  [/^(commit|push|git|webhook)\b/, 'commit'],
  [/^pipeline\b|^run\b/, 'run'],
  [/^release\b/, 'release'],
  [/^(analysis|verification)\b|\.(analysis|measurement)\b/, 'analysis'],
  [/^(rollout|deployment|deploy)\b/, 'rollout'],
  [/^alert\b/, 'alert'],
  [/^incident\b/, 'incident'],
  [/^(autoscale|autoscaler)\b|^service\.scaled\b/, 'autoscale'],
];

/** The stage of an event: its `kind` when the server gave a known one, else from its type. */
export function kindOf(kind: unknown, type: string): TimelineKind {
  if (typeof kind === 'string') {
    const k = kind.toLowerCase();
    if ((TIMELINE_KINDS as readonly string[]).includes(k)) return k as TimelineKind;
    const aliases: Record<string, TimelineKind> = {
      pipeline: 'run',
      deployment: 'rollout',
      deploy: 'rollout',
      autoscaler: 'autoscale',
      autoscaled: 'autoscale',
      scale: 'autoscale',
      measurement: 'analysis',
    };
    if (aliases[k] !== undefined) return aliases[k];
  }
  for (const [re, k] of PREFIX_KIND) if (re.test(type)) return k;
  return 'other';
}

const BAD = /(rolled-back|rollback|aborted|failed|failure|firing|opened|crash|timed-out|cancelled|error)/;
const WARN = /(paused|awaiting-approval|pending|inconclusive|nodata|superseded|silenced)/;
const OK = /(promoted|succeeded|passed|resolved|ready|approved|healthy|created|finished)/;

/** Good or bad news, for colour (always paired with a text label). */
export function toneOf(type: string, data: Record<string, unknown> = {}): Tone {
  const status = typeof data.status === 'string' ? data.status : '';
  const subject = `${type} ${status}`.toLowerCase();
  if (BAD.test(subject)) return 'bad';
  if (WARN.test(subject)) return 'warn';
  if (OK.test(subject)) return 'ok';
  return 'info';
}

/** Adds live items to a loaded list: one copy of each id, newest first (ties by id, descending). */
export function mergeTimeline(
  current: readonly TimelineItem[],
  incoming: readonly TimelineItem[],
): TimelineItem[] {
  const byId = new Map<string, TimelineItem>();
  for (const item of current) byId.set(item.id, item);
  for (const item of incoming) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => b.at - a.at || compareIds(b.id, a.id));
}

function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DeployMarker {
  at: number;
  label: string;
  tone: Tone;
}

/** Types that mark a deploy on the charts: a rollout starting, finishing, or going back. */
const MARKER = /^(rollout|deployment)\.(started|promoted|succeeded|rolled-back|aborted|failed)$/;

/** Deploy markers within [from, to], oldest first. */
export function deployMarkers(items: readonly TimelineItem[], from: number, to: number): DeployMarker[] {
  return items
    .filter((i) => i.at >= from && i.at <= to && (MARKER.test(i.type) || /rollback/.test(i.type)))
    .sort((a, b) => a.at - b.at)
    .map((i) => ({ at: i.at, label: i.title, tone: toneOf(i.type, i.data) }));
}

/** Keeps the kinds that are switched on (all when none is). */
export function filterKinds(items: readonly TimelineItem[], on: ReadonlySet<TimelineKind>): TimelineItem[] {
  return on.size === 0 ? [...items] : items.filter((i) => on.has(i.kind));
}
