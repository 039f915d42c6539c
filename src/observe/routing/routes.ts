import { createHash } from 'node:crypto';
import { TandemError } from '../../errors.js';
import type { GroupTiming, MatchValue, RouteMatch, RoutingConfig } from './types.js';

/**
 * Which receivers an alert goes to, and in which group. Routes are tried in order; the first
 * that matches wins, unless it says `continue`. The default receiver is the last route: it gets
 * every alert the search reaches the end with, i.e. that no route matched or that only matched
 * `continue` routes. (Alertmanager's root route only gets alerts no child matched; here
 * `{ match: {severity: page}, receiver: pager, continue: true }` pages *and* posts to the default
 * channel, which is what such a route is usually written for.)
 */

export const DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'environment', 'service'];
export const DEFAULT_TIMING: GroupTiming = {
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 60 * 60_000,
};

/** Who owns a service (the config's per-service or top-level `owners`); undefined when nobody. */
export type OwnerOf = (service: string | undefined) => string | undefined;

/** One route an alert took, with its settings resolved. */
export interface RouteDecision extends GroupTiming {
  /** Index in `routes`; -1 for the default receiver. */
  route: number;
  receiver: string;
  groupBy: readonly string[];
  sendResolved: boolean;
}

export function routeAlert(
  config: RoutingConfig,
  labels: Record<string, string>,
  ownerOf: OwnerOf = () => undefined,
): RouteDecision[] {
  const owner = labels.owner ?? ownerOf(labels.service);
  const decisions: RouteDecision[] = [];
  for (const [i, route] of config.routes.entries()) {
    if (!routeMatches(route.match, labels, owner)) continue;
    decisions.push(decide(config, i, route.receiver, route));
    if (route.continue !== true) return decisions;
  }
  decisions.push(decide(config, -1, config.defaultReceiver, {}));
  return decisions;
}

export function routeMatches(
  match: RouteMatch | undefined,
  labels: Record<string, string>,
  owner: string | undefined,
): boolean {
  if (match === undefined) return true;
  const checks: Array<[MatchValue | undefined, string | undefined]> = [
    [match.severity, labels.severity],
    [match.service, labels.service],
    [match.environment, labels.environment],
    [match.owner, owner],
    ...Object.entries(match.labels ?? {}).map(([k, v]): [MatchValue, string | undefined] => [v, labels[k]]),
  ];
  return checks.every(([want, got]) => want === undefined || valueMatches(want, got));
}

function valueMatches(want: MatchValue, got: string | undefined): boolean {
  if (got === undefined) return false;
  return typeof want === 'string' ? want === got : want.includes(got);
}

function decide(
  config: RoutingConfig,
  route: number,
  receiver: string,
  settings: Partial<GroupTiming> & { groupBy?: readonly string[] },
): RouteDecision {
  return {
    route,
    receiver,
    groupBy: settings.groupBy ?? config.groupBy ?? DEFAULT_GROUP_BY,
    groupWaitMs: settings.groupWaitMs ?? config.groupWaitMs ?? DEFAULT_TIMING.groupWaitMs,
    groupIntervalMs: settings.groupIntervalMs ?? config.groupIntervalMs ?? DEFAULT_TIMING.groupIntervalMs,
    repeatIntervalMs: settings.repeatIntervalMs ?? config.repeatIntervalMs ?? DEFAULT_TIMING.repeatIntervalMs,
    sendResolved: config.receivers[receiver]?.sendResolved ?? true,
  };
}

export interface GroupIdentity {
  /** Alertmanager-style: `route/receiver:{alertname="X",service="web"}`. */
  key: string;
  labels: Record<string, string>;
}

/** The group an alert joins on a route: its values of the route's groupBy labels. */
export function groupOf(decision: RouteDecision, labels: Record<string, string>): GroupIdentity {
  const names = decision.groupBy.includes('...') ? Object.keys(labels) : decision.groupBy;
  const groupLabels: Record<string, string> = {};
  for (const name of [...names].sort()) {
    const value = labels[name];
    if (value !== undefined) groupLabels[name] = value;
  }
  const inner = Object.entries(groupLabels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  const route = decision.route < 0 ? 'default' : `route${decision.route}`;
  return { key: `${route}/${decision.receiver}:{${inner}}`, labels: groupLabels };
}

/**
 * A short, header-safe id for a group (labels can hold any text; X-Tandem-Delivery cannot).
 * `createdAt` tells a group apart from an earlier one with the same key.
 */
export function groupId(key: string, createdAt: number): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `${hash}-${createdAt.toString(36)}`;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws a TandemError naming the first mistake: an unknown receiver, a bad timing or label. */
export function validateRoutingConfig(config: RoutingConfig): void {
  const invalid = (message: string) =>
    new TandemError('TANDEM_ALERT_ROUTING_INVALID', message, { exitCode: 2 });
  const names = Object.keys(config.receivers);
  const known = (receiver: string, where: string) => {
    if (config.receivers[receiver] === undefined) {
      throw invalid(
        `${where} names receiver "${receiver}", which is not configured; receivers: ${names.join(', ') || '(none)'}`,
      );
    }
  };
  for (const [name, r] of Object.entries(config.receivers)) {
    if (r.kind !== 'webhook' && r.kind !== 'slack') {
      throw invalid(`receiver "${name}" has kind "${String(r.kind)}"; use webhook or slack`);
    }
  }
  known(config.defaultReceiver, 'the default route');
  checkSettings(config, 'the routing defaults', invalid);
  for (const [i, route] of config.routes.entries()) {
    known(route.receiver, `route ${i + 1}`);
    checkSettings(route, `route ${i + 1}`, invalid);
  }
}

function checkSettings(
  s: Partial<GroupTiming> & { groupBy?: readonly string[] },
  where: string,
  invalid: (message: string) => TandemError,
): void {
  for (const key of ['groupWaitMs', 'groupIntervalMs', 'repeatIntervalMs'] as const) {
    const v = s[key];
    const min = key === 'groupWaitMs' ? 0 : 1;
    if (v !== undefined && !(Number.isFinite(v) && v >= min)) {
      throw invalid(`${where}: ${key} must be a duration${min === 0 ? '' : ' above 0'}, not ${v}`);
    }
  }
  for (const label of s.groupBy ?? []) {
    if (label !== '...' && !LABEL_NAME.test(label)) {
      throw invalid(`${where}: groupBy "${label}" is not a label name`);
    }
  }
}
