import type { AlertGroupData, AlertPayload, Notification } from '../types.js';

/**
 * The body of an alert-group Slack message: one line per alert with what it says (its summary)
 * and where to start (its runbook link), so the person paged does not have to open anything to
 * know what broke.
 */

/** Alerts listed before "… and N more": a page must stay readable on a phone. */
export const MAX_LISTED_ALERTS = 20;

const STATUS_EMOJI = { firing: ':red_circle:', resolved: ':large_green_circle:' } as const;

/** The notification's data as an alert group, or undefined when it is not shaped like one. */
export function alertGroupData(n: Notification): AlertGroupData | undefined {
  const data = n.data as Partial<AlertGroupData>;
  if (!Array.isArray(data.alerts) || (data.status !== 'firing' && data.status !== 'resolved'))
    return undefined;
  const alerts = data.alerts.filter(
    (a): a is AlertPayload =>
      typeof a === 'object' && a !== null && typeof a.labels === 'object' && a.labels !== null,
  );
  return { ...(data as AlertGroupData), alerts, commonLabels: data.commonLabels ?? {} };
}

/**
 * `• :red_circle: *HighErrorRate* `instance=web-2` — error rate 31% > 1% · <https://…|runbook>`
 * lines, at most `maxChars` (Slack's section limit): whole lines are dropped, never cut, so a
 * link is never left half open.
 */
export function alertLines(data: AlertGroupData, esc: (text: string) => string, maxChars = 3000): string {
  const lines = data.alerts.slice(0, MAX_LISTED_ALERTS).map((a) => alertLine(a, data.commonLabels, esc));
  const more = () => data.alerts.length - lines.length + (data.truncatedAlerts ?? 0);
  const text = () => [...lines, ...(more() > 0 ? [`… and ${more()} more`] : [])].join('\n');
  while (lines.length > 1 && text().length > maxChars) lines.pop();
  return text();
}

function alertLine(a: AlertPayload, common: Record<string, string>, esc: (text: string) => string): string {
  const name = a.labels.alertname ?? a.fingerprint ?? 'alert';
  // The labels that tell this alert from the others of its group (instance, revision …).
  const distinct = Object.entries(a.labels)
    .filter(([k, v]) => k !== 'alertname' && common[k] !== v)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `\`${esc(`${k}=${v}`)}\``);
  const annotations = a.annotations ?? {};
  const summary = annotations.summary ?? annotations.description;
  const runbook = runbookLink(annotations.runbook ?? annotations.runbook_url, esc);
  const status = a.status === 'resolved' ? STATUS_EMOJI.resolved : STATUS_EMOJI.firing;
  return [
    `• ${status} *${esc(name)}*`,
    a.status === 'resolved' ? ' resolved' : '',
    a.flapping === true ? ' _(flapping: changes held back until stable)_' : '',
    distinct.length === 0 ? '' : ` ${distinct.join(' ')}`,
    summary === undefined || summary === '' ? '' : ` — ${esc(summary)}`,
    runbook === undefined ? '' : ` · ${runbook}`,
  ].join('');
}

/** A Slack link for an http(s) runbook URL; anything else is shown as text, never as markup. */
function runbookLink(url: string | undefined, esc: (text: string) => string): string | undefined {
  if (url === undefined || url === '') return undefined;
  if (/^https?:\/\/[^\s<>|]+$/.test(url)) return `<${esc(url)}|runbook>`;
  return `runbook: ${esc(url)}`;
}
