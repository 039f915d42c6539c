/**
 * Notifications: what owners are told about a rollout, an alert group or an incident, and the
 * Notifier seam (DESIGN.md §2) every receiver (webhook, Slack-compatible) implements. Pure data,
 * no I/O.
 */

export const NOTIFICATION_TYPES = [
  'rollout.started',
  'rollout.step',
  'rollout.paused',
  'rollout.awaiting-approval',
  'rollout.promoted',
  'rollout.aborted',
  'rollout.rolled-back',
  'alert.firing',
  'alert.resolved',
  'incident.opened',
  'incident.resolved',
] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface Notification {
  /**
   * Stable per notification and the same on every retry (sent as `X-Tandem-Delivery`), so a
   * receiver can drop duplicates.
   */
  id: string;
  type: NotificationType;
  /** ISO-8601 UTC: when the thing happened, not when it was sent. */
  at: string;
  environment?: string;
  service?: string;
  release?: string;
  /** One concise human line, e.g. "production: rollout of r12-ab12cd3 aborted — error rate 31% > 1%". */
  summary: string;
  /** JSON-serialisable details (the event's data). Never a secret value. */
  data: Record<string, unknown>;
}

export interface SendOptions {
  /** Aborts the attempt (the dispatcher's shutdown); the per-attempt timeout is the notifier's own. */
  signal?: AbortSignal;
}

export interface Notifier {
  /**
   * How logs name this receiver: kind and host, never the URL's query string, credentials or
   * secret, e.g. `webhook https://hooks.example.com/tandem`.
   */
  readonly name: string;
  /**
   * Delivers one attempt. Resolves when the receiver accepted it; rejects otherwise, with a
   * NotificationDeliveryError telling whether a retry may help.
   */
  send(n: Notification, options?: SendOptions): Promise<void>;
}

export function isNotificationType(value: string): value is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/** The alert-group notifications, whose `data` is an AlertGroupData. */
export const ALERT_NOTIFICATION_TYPES = [
  'alert.firing',
  'alert.resolved',
] as const satisfies readonly NotificationType[];

export type AlertNotificationType = (typeof ALERT_NOTIFICATION_TYPES)[number];

/**
 * One alert as Alertmanager's webhook sends it (alertmanager docs/configuration.md), plus
 * Tandem's `flapping`. Times are ISO-8601; a firing alert's `endsAt` is Alertmanager's zero
 * time `0001-01-01T00:00:00Z`.
 */
export type AlertPayload = {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  /** Changing state too often: its changes are held back until it is stable (see observe/routing). */
  flapping: boolean;
};

/**
 * The `data` of an alert.firing / alert.resolved notification: Alertmanager's webhook payload
 * (version 4), so a receiver written for Alertmanager reads it unchanged inside Tandem's envelope.
 */
export type AlertGroupData = {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  alerts: AlertPayload[];
};

export function isAlertNotificationType(value: string): value is AlertNotificationType {
  return (ALERT_NOTIFICATION_TYPES as readonly string[]).includes(value);
}
