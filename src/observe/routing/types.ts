import type { Notification } from '../../notify/types.js';

/**
 * The inputs and outputs of alert routing (issue 5): alert updates in, notifications per
 * receiver out. Pure types.
 */

/** One alert instance as the rule evaluator reports it at each evaluation. */
export interface AlertUpdate {
  /** Stable for the same rule and labels (the same alert across evaluations). */
  fingerprint: string;
  /** alertname, environment, service, severity, plus the rule's own labels. */
  labels: Record<string, string>;
  /** summary, runbook (a URL), and whatever else the rule carries. */
  annotations: Record<string, string>;
  state: 'firing' | 'resolved';
  /** ISO-8601: when it started firing. */
  startsAt: string;
  /** ISO-8601: when it resolved; absent while firing. */
  endsAt?: string;
}

/** A configured receiver; everything but `kind` and `sendResolved` is the notifier's (url, secret …). */
export interface ReceiverConfig {
  kind: 'webhook' | 'slack';
  /** Tell the receiver when its alerts resolve (default true, as in Alertmanager). */
  sendResolved?: boolean;
  [option: string]: unknown;
}

/** One value, or any of several (`severity: [page, critical]`). */
export type MatchValue = string | readonly string[];

export interface RouteMatch {
  severity?: MatchValue;
  service?: MatchValue;
  environment?: MatchValue;
  /** The service's owner: the alert's `owner` label, else `ownerOf(service)`. */
  owner?: MatchValue;
  /** Any other labels, by exact value. */
  labels?: Record<string, MatchValue>;
}

export interface GroupTiming {
  /** Before a new group's first notification, so alerts that fire together arrive together. */
  groupWaitMs: number;
  /** Between notifications about changes to a group. */
  groupIntervalMs: number;
  /** Before an unchanged firing group is sent again. */
  repeatIntervalMs: number;
}

export interface RouteConfig extends Partial<GroupTiming> {
  /** Every condition must hold; an absent `match` matches every alert. */
  match?: RouteMatch;
  receiver: string;
  /** Labels that make a group (default alertname, environment, service); `['...']` is all labels. */
  groupBy?: readonly string[];
  /** Keep looking at the next routes after this one matched (default false). */
  continue?: boolean;
}

export interface RoutingConfig extends Partial<GroupTiming> {
  receivers: Record<string, ReceiverConfig>;
  /** In order: the first match wins, unless it says `continue`. */
  routes: readonly RouteConfig[];
  /** Gets the alerts no route matched. */
  defaultReceiver: string;
  /** Default for every route. */
  groupBy?: readonly string[];
}

/** What tick() hands the caller: send `notification` to `receiver` (through the dispatcher). */
export interface RoutedNotification {
  receiver: string;
  notification: Notification;
}

/** An alert as the router sees it, for `tandem status` and the dashboard. */
export interface AlertView {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'resolved';
  startsAt: string;
  endsAt?: string;
  /** Ids of the active silences that hide it; not notified while non-empty. */
  silencedBy: string[];
  flapping: boolean;
  /** The receivers its groups notify. */
  receivers: string[];
}
