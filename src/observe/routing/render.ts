import type { AlertGroupData, AlertPayload, Notification } from '../../notify/types.js';

/**
 * An alert group's notification: Tandem's envelope (id, type, summary …) around Alertmanager's
 * webhook payload (`data`), which the Slack formatter also lists alert by alert.
 */

/** Alertmanager's "not ended" time, which its webhook sends as a firing alert's endsAt. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface GroupFlush {
  /** The group key (Alertmanager-style). */
  key: string;
  /** The notification id: the same on every retry, new for every notification. */
  id: string;
  receiver: string;
  groupLabels: Record<string, string>;
  /** Firing first, then resolved. */
  alerts: AlertPayload[];
  /** ms since epoch. */
  at: number;
}

export function alertGroupNotification(flush: GroupFlush): Notification {
  const status = flush.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
  const commonLabels = common(flush.alerts.map((a) => a.labels));
  const data: AlertGroupData = {
    version: '4',
    groupKey: flush.key,
    truncatedAlerts: 0,
    status,
    receiver: flush.receiver,
    groupLabels: flush.groupLabels,
    commonLabels,
    commonAnnotations: common(flush.alerts.map((a) => a.annotations)),
    alerts: flush.alerts,
  };
  const environment = commonLabels.environment;
  const service = commonLabels.service;
  const release = commonLabels.release;
  return {
    id: flush.id,
    type: status === 'firing' ? 'alert.firing' : 'alert.resolved',
    at: new Date(flush.at).toISOString(),
    ...(environment === undefined ? {} : { environment }),
    ...(service === undefined ? {} : { service }),
    ...(release === undefined ? {} : { release }),
    summary: summarizeAlertGroup(data),
    data,
  };
}

/**
 * The line a phone shows: "production: web — HighErrorRate firing: error rate 31% > 1%",
 * "production: web — 2 alerts firing: HighErrorRate, HighLatency (1 flapping)",
 * "production: web — HighErrorRate resolved".
 */
export function summarizeAlertGroup(data: AlertGroupData): string {
  const { environment, service } = data.commonLabels;
  const where =
    environment !== undefined && service !== undefined
      ? `${environment}: ${service} — `
      : environment !== undefined
        ? `${environment}: `
        : service !== undefined
          ? `${service} — `
          : '';
  const firing = data.alerts.filter((a) => a.status === 'firing');
  const resolved = data.alerts.filter((a) => a.status === 'resolved');
  const flapping = firing.filter((a) => a.flapping).length;
  let what: string;
  if (firing.length > 0 && resolved.length > 0) {
    what = `${firing.length} firing (${names(firing)}), ${resolved.length} resolved (${names(resolved)})`;
  } else if (firing.length === 1) {
    const a = firing[0]!;
    const summary = a.annotations.summary;
    what = `${nameOf(a)} ${a.flapping ? 'flapping' : 'firing'}${summary ? `: ${summary}` : ''}`;
  } else if (firing.length > 1) {
    what = `${firing.length} alerts firing: ${names(firing)}`;
  } else if (resolved.length === 1) {
    what = `${nameOf(resolved[0]!)} resolved`;
  } else {
    what = `${resolved.length} alerts resolved: ${names(resolved)}`;
  }
  const flaps =
    flapping > 0 && !(firing.length === 1 && resolved.length === 0) ? ` (${flapping} flapping)` : '';
  return `${where}${what}${flaps}`;
}

const nameOf = (a: AlertPayload) => a.labels.alertname ?? a.fingerprint;

/** Distinct alert names, at most five. */
function names(alerts: readonly AlertPayload[]): string {
  const distinct = [...new Set(alerts.map(nameOf))];
  return distinct.length <= 5 ? distinct.join(', ') : `${distinct.slice(0, 5).join(', ')}, …`;
}

/** The key/value pairs every map has. */
function common(maps: ReadonlyArray<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = maps;
  if (first === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (rest.every((m) => m[k] === v)) out[k] = v;
  }
  return out;
}
