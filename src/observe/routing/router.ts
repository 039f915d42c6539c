import type { AlertPayload } from '../../notify/types.js';
import {
  type FlapOptions,
  type FlapState,
  flapOptions,
  recordChange,
  settle,
  stableState,
} from './flapping.js';
import { checkMatcher } from './matchers.js';
import { alertGroupNotification, ZERO_TIME } from './render.js';
import {
  groupId,
  groupOf,
  type OwnerOf,
  type RouteDecision,
  routeAlert,
  validateRoutingConfig,
} from './routes.js';
import { activeSilences, type Silence, silencedBy } from './silences.js';
import type { AlertUpdate, AlertView, RoutedNotification, RoutingConfig } from './types.js';

/**
 * Alert routing with Alertmanager's grouping semantics, as a pure state machine on a clock the
 * caller passes in (no timers): the control plane feeds each evaluation's alerts to `ingest`,
 * calls `tick(now)` every second, and sends what tick returns through the notify dispatcher.
 *
 * - A new group waits `groupWaitMs` before its first notification, so alerts that fire
 *   together arrive in one message.
 * - After that the group is looked at every `groupIntervalMs`, and notified when it changed
 *   since the receiver last heard: an alert started firing, one the receiver was told about
 *   resolved, or one started or stopped flapping. Otherwise, a still-firing group is sent again
 *   once `repeatIntervalMs` has passed since the last notification (Alertmanager waits for the
 *   first look strictly after that; here the first look at or after it sends).
 * - Resolved alerts leave the group after each look; a group with no alert left is dropped, so
 *   its next alert starts a new group with a new group_wait.
 * - Silenced alerts stay in their groups but are left out of every notification, as in
 *   Alertmanager: when a silence expires, a still-firing alert the receiver was never told
 *   about is notified at the group's next look.
 * - Flapping alerts are held as firing (flapping.ts).
 *
 * State lives in memory: after a restart, alerts still firing are notified again (after
 * group_wait), which errs on the side of telling.
 */

export interface AlertRouterOptions {
  config: RoutingConfig;
  /** The service's owner, for routes that match `owner`. */
  ownerOf?: OwnerOf;
  flap?: Partial<FlapOptions>;
  silences?: readonly Silence[];
}

export interface AlertRouter {
  /** One evaluation's alerts. Only the alerts given change; a missing alert is not resolved. */
  ingest(updates: readonly AlertUpdate[], now: number): void;
  /**
   * Replaces the silences (all of them, expired ones included: expiry is by time). A silence
   * whose matchers are invalid is ignored; its id is returned.
   */
  setSilences(silences: readonly Silence[]): string[];
  /** The notifications due at `now` (ms since epoch), in group order. */
  tick(now: number): RoutedNotification[];
  /** Every alert the router holds, silenced and flapping ones included, for status views. */
  alerts(now: number): AlertView[];
}

interface AlertRecord {
  alert: AlertUpdate;
  flap: FlapState;
  /** Keys of the groups it is in. */
  groups: Set<string>;
}

interface Group {
  key: string;
  id: string;
  decision: RouteDecision;
  labels: Record<string, string>;
  members: Set<string>;
  nextFlushAt: number;
  seq: number;
  /** What the receiver was last told: when, and which alerts were firing (and whether flapping). */
  last: { at: number; firing: Map<string, boolean> } | undefined;
}

export function createAlertRouter(options: AlertRouterOptions): AlertRouter {
  const config = options.config;
  validateRoutingConfig(config);
  const flap = flapOptions(options.flap);
  const records = new Map<string, AlertRecord>();
  const groups = new Map<string, Group>();
  let silences: Silence[] = [];

  /** The state owners are told: a flapping alert counts as firing until it settles. */
  const shown = (r: AlertRecord): 'firing' | 'resolved' => (r.flap.flapping ? 'firing' : r.alert.state);

  function join(r: AlertRecord, now: number): void {
    for (const decision of routeAlert(config, r.alert.labels, options.ownerOf)) {
      const { key, labels } = groupOf(decision, r.alert.labels);
      let group = groups.get(key);
      if (group === undefined) {
        group = {
          key,
          id: groupId(key, now),
          decision,
          labels,
          members: new Set(),
          nextFlushAt: now + decision.groupWaitMs,
          seq: 0,
          last: undefined,
        };
        groups.set(key, group);
      }
      group.members.add(r.alert.fingerprint);
      r.groups.add(key);
    }
  }

  function payload(r: AlertRecord, now: number): AlertPayload {
    const status = shown(r);
    return {
      status,
      labels: r.alert.labels,
      annotations: r.alert.annotations,
      startsAt: r.alert.startsAt,
      endsAt: status === 'firing' ? ZERO_TIME : (r.alert.endsAt ?? new Date(now).toISOString()),
      fingerprint: r.alert.fingerprint,
      flapping: r.flap.flapping,
    };
  }

  function needsUpdate(group: Group, firing: AlertRecord[], resolved: AlertRecord[], now: number): boolean {
    const last = group.last;
    const toldFiring = (r: AlertRecord) => last?.firing.has(r.alert.fingerprint) === true;
    if (firing.length === 0) {
      // All clear: say so once, if the receiver wants it and was told something was firing.
      return group.decision.sendResolved && resolved.some(toldFiring);
    }
    if (last === undefined) return true;
    if (firing.some((r) => last.firing.get(r.alert.fingerprint) !== r.flap.flapping)) return true;
    if (group.decision.sendResolved && resolved.some(toldFiring)) return true;
    return now - last.at >= group.decision.repeatIntervalMs;
  }

  function flush(group: Group, now: number, active: Silence[], out: RoutedNotification[]): void {
    group.nextFlushAt = now + group.decision.groupIntervalMs;
    const members = [...group.members].flatMap((fp) => records.get(fp) ?? []);
    const visible = members.filter((r) => silencedBy(active, r.alert.labels).length === 0);
    const firing = visible.filter((r) => shown(r) === 'firing').sort(byName);
    const resolved = visible.filter((r) => shown(r) === 'resolved').sort(byName);

    if (needsUpdate(group, firing, resolved, now)) {
      group.seq++;
      const alerts = [...firing, ...(group.decision.sendResolved ? resolved : [])].map((r) =>
        payload(r, now),
      );
      out.push({
        receiver: group.decision.receiver,
        notification: alertGroupNotification({
          key: group.key,
          id: `alert-${group.id}-${group.seq}`,
          receiver: group.decision.receiver,
          groupLabels: group.labels,
          alerts,
          at: now,
        }),
      });
      group.last = { at: now, firing: new Map(firing.map((r) => [r.alert.fingerprint, r.flap.flapping])) };
    }

    for (const r of members) {
      if (shown(r) !== 'resolved') continue;
      group.members.delete(r.alert.fingerprint);
      // Forgotten, so that when it fires again the receiver hears about it again.
      group.last?.firing.delete(r.alert.fingerprint);
      r.groups.delete(group.key);
    }
    if (group.members.size === 0) groups.delete(group.key);
  }

  return {
    ingest(updates, now) {
      for (const update of updates) {
        if (update.state !== 'firing' && update.state !== 'resolved') continue;
        let r = records.get(update.fingerprint);
        if (r === undefined) {
          // Resolved before we ever saw it fire: nobody needs to hear about it.
          if (update.state === 'resolved') continue;
          r = { alert: update, flap: recordChange(stableState(), now, flap), groups: new Set() };
          records.set(update.fingerprint, r);
        } else {
          if (r.alert.state !== update.state) r.flap = recordChange(r.flap, now, flap);
          r.alert = update;
        }
        if (shown(r) === 'firing') join(r, now);
      }
    },

    setSilences(list) {
      const ignored: string[] = [];
      silences = list.filter((s) => {
        try {
          for (const m of s.matchers) checkMatcher(m);
          return true;
        } catch {
          ignored.push(s.id);
          return false;
        }
      });
      return ignored;
    },

    tick(now) {
      for (const r of records.values()) r.flap = settle(r.flap, now, flap);
      const active = activeSilences(silences, now);
      const out: RoutedNotification[] = [];
      for (const group of [...groups.values()]) {
        if (group.nextFlushAt <= now) flush(group, now, active, out);
      }
      // Forget resolved alerts once they are in no group and their flap history has aged out.
      for (const [fp, r] of records) {
        if (r.groups.size === 0 && shown(r) === 'resolved' && r.flap.changes.length === 0) records.delete(fp);
      }
      return out;
    },

    alerts(now) {
      const active = activeSilences(silences, now);
      return [...records.values()].sort(byName).map((r) => ({
        fingerprint: r.alert.fingerprint,
        labels: r.alert.labels,
        annotations: r.alert.annotations,
        state: r.alert.state,
        startsAt: r.alert.startsAt,
        ...(r.alert.endsAt === undefined ? {} : { endsAt: r.alert.endsAt }),
        silencedBy: silencedBy(active, r.alert.labels),
        flapping: r.flap.flapping,
        receivers: [
          ...new Set([...r.groups].flatMap((key) => groups.get(key)?.decision.receiver ?? [])),
        ].sort(),
      }));
    },
  };

  function byName(a: AlertRecord, b: AlertRecord): number {
    const x = `${a.alert.labels.alertname ?? ''}\u0000${a.alert.fingerprint}`;
    const y = `${b.alert.labels.alertname ?? ''}\u0000${b.alert.fingerprint}`;
    return x < y ? -1 : x > y ? 1 : 0;
  }
}
