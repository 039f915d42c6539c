import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../store/repositories/events.js';
import type { Incident } from '../store/repositories/incidents.js';
import type { DeploymentView } from './control-plane.js';
import { formatDuration, historyEventsOf, mergeHistory } from './history-events.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function scaled(at: number, from: number, to: number, by = 'autoscaler', id = at): StoredEvent {
  return {
    id,
    at: iso(at),
    type: 'service.scaled',
    subjectKind: 'service',
    subjectId: 'production.web',
    data: {
      environment: 'production',
      service: 'web',
      replicas: to,
      by,
      ...(by === 'autoscaler'
        ? { decision: { from, to, reason: `rps ${to * 100}/instance vs target 100`, ratio: to / from } }
        : {}),
    },
  };
}

function incident(
  id: string,
  openedAt: number,
  resolvedAt: number | null,
  resolvedBy: string | null = null,
): Incident {
  return {
    id,
    seq: Number(id.slice(4)),
    environment: 'production',
    service: 'web',
    title: 'web-down: healthy 0 < 1',
    severity: 'page',
    state: resolvedAt === null ? 'open' : 'resolved',
    openedAt: iso(openedAt),
    resolvedAt: resolvedAt === null ? null : iso(resolvedAt),
    resolvedBy,
    cause: { kind: 'alert', ref: 'fp' },
    releases: [],
    alerts: ['fp'],
    resolution: null,
  };
}

function deployment(id: string, startedAt: number): DeploymentView {
  return {
    deployment: {
      id,
      environment: 'production',
      kind: 'deploy',
      release: `r-${id}`,
      fromRelease: null,
      state: 'succeeded',
      reason: null,
      startedAt: iso(startedAt),
      finishedAt: iso(startedAt + 5000),
    },
    rollouts: [],
    state: 'promoted',
    trigger: null,
  };
}

describe('historyEventsOf', () => {
  it('turns autoscaler scale changes and incidents into entries, newest first', () => {
    const events = historyEventsOf({
      scaled: [scaled(T0 + 10 * MIN, 2, 4), scaled(T0 + 20 * MIN, 4, 5, 'ada')],
      incidents: [
        incident('inc-2', T0 + 30 * MIN, null),
        incident('inc-1', T0, T0 + 4 * MIN + 12_000, 'tandem'),
      ],
      limit: 20,
    });
    expect(events.map((e) => [e.kind, e.at])).toEqual([
      ['incident.opened', iso(T0 + 30 * MIN)],
      ['autoscaled', iso(T0 + 10 * MIN)],
      ['incident.resolved', iso(T0 + 4 * MIN + 12_000)],
      ['incident.opened', iso(T0)],
    ]);
    // An operator's `tandem scale` is not an autoscaler change.
    expect(events.some((e) => e.kind === 'autoscaled' && e.to === 5)).toBe(false);
    const auto = events[1];
    expect(auto).toMatchObject({ kind: 'autoscaled', service: 'web', from: 2, to: 4 });
    expect(auto?.summary).toBe('autoscaled web 2 → 4: rps 400/instance vs target 100');
    expect(events[2]).toMatchObject({ incident: 'inc-1', by: 'tandem', title: 'web-down: healthy 0 < 1' });
    expect(events[2]?.summary).toBe(
      'incident inc-1 resolved by tandem after 4m 12s: web-down: healthy 0 < 1',
    );
    expect(events[3]?.summary).toBe('incident inc-1 opened on web (page): web-down: healthy 0 < 1');
  });

  it('leaves out what is older than `since` and keeps at most `limit`', () => {
    const scales = [1, 2, 3, 4, 5].map((i) => scaled(T0 + i * MIN, i, i + 1));
    const events = historyEventsOf({ scaled: scales, incidents: [], since: iso(T0 + 2 * MIN), limit: 3 });
    expect(events.map((e) => e.at)).toEqual([iso(T0 + 5 * MIN), iso(T0 + 4 * MIN), iso(T0 + 3 * MIN)]);
    const all = historyEventsOf({ scaled: scales, incidents: [], since: iso(T0 + 2 * MIN), limit: 20 });
    expect(all.map((e) => e.at).at(-1)).toBe(iso(T0 + 2 * MIN));
  });

  it('a scale event without a decision still reads (from unknown)', () => {
    const e: StoredEvent = { ...scaled(T0, 1, 3), data: { service: 'web', replicas: 3, by: 'autoscaler' } };
    const [entry] = historyEventsOf({ scaled: [e], incidents: [], limit: 5 });
    expect(entry).toMatchObject({ kind: 'autoscaled', from: null, to: 3, summary: 'autoscaled web ? → 3' });
  });
});

describe('mergeHistory', () => {
  it('interleaves deployments and events by time, newest first, deployments first on a tie', () => {
    const deployments = [deployment('d2', T0 + 20 * MIN), deployment('d1', T0)];
    const events = historyEventsOf({
      scaled: [scaled(T0 + 30 * MIN, 2, 4), scaled(T0 + 20 * MIN, 4, 6, 'autoscaler', 99)],
      incidents: [incident('inc-1', T0 + 5 * MIN, T0 + 8 * MIN)],
      limit: 20,
    });
    const merged = mergeHistory(deployments, events);
    expect(merged.map((m) => (m.kind === 'deployment' ? m.view.deployment.id : m.event.kind))).toEqual([
      'autoscaled',
      'd2',
      'autoscaled',
      'incident.resolved',
      'incident.opened',
      'd1',
    ]);
  });

  it('with no events is the deployments as they were', () => {
    const deployments = [deployment('d2', T0 + MIN), deployment('d1', T0)];
    expect(mergeHistory(deployments, []).map((m) => m.kind === 'deployment' && m.view)).toEqual(deployments);
  });
});

describe('formatDuration', () => {
  it('says durations the way people read them', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(4 * MIN + 12_000)).toBe('4m 12s');
    expect(formatDuration(2 * 60 * MIN)).toBe('2h');
    expect(formatDuration(26 * 60 * MIN + 5 * MIN)).toBe('1d 2h');
  });
});
