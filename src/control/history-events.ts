/**
 * What `tandem history ENV` shows besides deployments (issue 5): the autoscaler's scale changes
 * (`service.scaled` events by the autoscaler, carrying the decision) and the incidents opened and
 * resolved in the environment. Pure: the control plane reads the events and incidents.
 */

import type { StoredEvent } from '../store/repositories/events.js';
import type { Incident } from '../store/repositories/incidents.js';
import type { DeploymentView } from './control-plane.js';

export interface AutoscaledEvent {
  kind: 'autoscaled';
  /** ISO-8601 UTC. */
  at: string;
  service: string;
  /** The count before; null when the record does not say. */
  from: number | null;
  to: number;
  reason: string;
  /** The decision as recorded: inputs, ratio, policy, limitedBy (see decisionRecord()). */
  decision: Record<string, unknown>;
  /** `autoscaled web 2 → 4: rps 412/instance vs target 200: ratio 2.06 → 5; …` */
  summary: string;
}

export interface IncidentEvent {
  kind: 'incident.opened' | 'incident.resolved';
  at: string;
  service: string;
  incident: string;
  title: string;
  severity: string;
  /** Resolved: a principal, or `tandem` when its alerts cleared. */
  by?: string;
  summary: string;
}

export type HistoryEvent = AutoscaledEvent | IncidentEvent;

/** Deployments and events in one list, newest first (for the text of `tandem history`). */
export type HistoryEntry =
  | { kind: 'deployment'; at: string; view: DeploymentView }
  | { kind: 'event'; at: string; event: HistoryEvent };

/**
 * The events of an environment's history, newest first, at most `limit`. `since` (ISO): leave
 * out what is older (the oldest deployment shown, when the deployment list was cut by its limit).
 */
export function historyEventsOf(input: {
  scaled: readonly StoredEvent[];
  incidents: readonly Incident[];
  since?: string;
  limit: number;
}): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const e of input.scaled) {
    const a = autoscaledOf(e);
    if (a !== undefined) out.push(a);
  }
  for (const i of input.incidents) out.push(...incidentEventsOf(i));
  const since = input.since === undefined ? Number.NEGATIVE_INFINITY : Date.parse(input.since);
  return out
    .filter((e) => Date.parse(e.at) >= since)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, Math.max(0, input.limit));
}

/** A `service.scaled` event made by the autoscaler as a history entry; undefined for others. */
export function autoscaledOf(e: StoredEvent): AutoscaledEvent | undefined {
  if (e.type !== 'service.scaled' || e.data.by !== 'autoscaler') return undefined;
  const decision =
    typeof e.data.decision === 'object' && e.data.decision !== null && !Array.isArray(e.data.decision)
      ? (e.data.decision as Record<string, unknown>)
      : {};
  const service = typeof e.data.service === 'string' ? e.data.service : e.subjectId;
  const to = typeof e.data.replicas === 'number' ? e.data.replicas : Number(decision.to);
  const from = typeof decision.from === 'number' ? decision.from : null;
  const reason = typeof decision.reason === 'string' ? decision.reason : '';
  return {
    kind: 'autoscaled',
    at: e.at,
    service,
    from,
    to,
    reason,
    decision,
    summary: `autoscaled ${service} ${from ?? '?'} → ${to}${reason ? `: ${reason}` : ''}`,
  };
}

/** An incident's opening, and its resolution when resolved. */
export function incidentEventsOf(i: Incident): IncidentEvent[] {
  const base = { service: i.service, incident: i.id, title: i.title, severity: i.severity };
  const out: IncidentEvent[] = [
    {
      kind: 'incident.opened',
      at: i.openedAt,
      ...base,
      summary: `incident ${i.id} opened on ${i.service} (${i.severity}): ${i.title}`,
    },
  ];
  if (i.resolvedAt !== null) {
    const by = i.resolvedBy ?? 'tandem';
    const took = formatDuration(Date.parse(i.resolvedAt) - Date.parse(i.openedAt));
    out.push({
      kind: 'incident.resolved',
      at: i.resolvedAt,
      ...base,
      by,
      summary: `incident ${i.id} resolved by ${by} after ${took}: ${i.title}`,
    });
  }
  return out;
}

/** Deployments (by start) and events, newest first; on a tie the deployment comes first. */
export function mergeHistory(
  deployments: readonly DeploymentView[],
  events: readonly HistoryEvent[],
): HistoryEntry[] {
  const entries: HistoryEntry[] = [
    ...deployments.map((view): HistoryEntry => ({ kind: 'deployment', at: view.deployment.startedAt, view })),
    ...events.map((event): HistoryEntry => ({ kind: 'event', at: event.at, event })),
  ];
  // Array.prototype.sort is stable: deployments keep their order, and precede events at equal times.
  return entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** `45s`, `4m 12s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}
