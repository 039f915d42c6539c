import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OverviewRow } from '../../web/src/api/types.js';
import { coalesce } from '../../web/src/lib/coalesce.js';
import { filterRows, needsAttention } from '../../web/src/lib/overview-filter.js';
import { actionsForState, hasRole, visibleActions } from '../../web/src/lib/roles.js';
import { hrefOf, parseRoute, type Route, safeNext } from '../../web/src/lib/routes.js';
import { reconnectDelay, topicOf } from '../../web/src/lib/stream-topics.js';
import { otherTheme, resolveTheme } from '../../web/src/lib/theme.js';
import {
  deployMarkers,
  filterKinds,
  kindOf,
  mergeTimeline,
  type TimelineItem,
  toneOf,
} from '../../web/src/lib/timeline.js';

const item = (id: string, at: number, type: string, over: Partial<TimelineItem> = {}): TimelineItem => ({
  id,
  at,
  type,
  kind: kindOf(undefined, type),
  title: type,
  environment: 'production',
  service: 'web',
  release: null,
  data: {},
  analysis: [],
  ...over,
});

describe('rollout controls per role', () => {
  it('shows viewers nothing, developers unprotected environments, operators everything', () => {
    const env = (p: boolean, s: string | null) => ({ protected: p, rolloutState: s });
    expect(visibleActions(['viewer'], env(false, 'paused'))).toEqual([]);
    expect(visibleActions(['developer'], env(false, 'paused'))).toEqual(['promote', 'resume', 'abort']);
    expect(visibleActions(['developer'], env(true, 'paused'))).toEqual([]);
    expect(visibleActions(['operator'], env(true, 'paused'))).toEqual(['promote', 'resume', 'abort']);
    expect(visibleActions(['admin'], env(true, 'awaiting-approval'))).toEqual(['approve', 'abort']);
    expect(visibleActions(['viewer', 'operator'], env(true, null))).toEqual(['rollback']);
    expect(visibleActions([], env(false, null))).toEqual([]);
    expect(visibleActions(['superuser'], env(false, null))).toEqual([]);
  });

  it('shows approve to the roles the environment names (and admins), whatever its protection', () => {
    const held = (approval: string[] | null) => ({
      protected: true,
      rolloutState: 'awaiting-approval',
      approval,
    });
    expect(visibleActions(['developer'], held(['developer']))).toEqual(['approve']);
    expect(visibleActions(['operator'], held(['developer']))).toEqual(['abort']);
    expect(visibleActions(['admin'], held(['developer']))).toEqual(['approve', 'abort']);
    expect(visibleActions(['operator'], held(null))).toEqual(['approve', 'abort']);
    expect(visibleActions(['viewer'], held(['viewer']))).toEqual([]);
  });

  it('offers the actions a rollout state allows; rollback only when nothing is in flight', () => {
    expect(actionsForState('progressing')).toEqual(['promote', 'pause', 'abort']);
    expect(actionsForState('pending')).toEqual(['abort']);
    for (const done of ['promoted', 'aborted', 'rolled-back', null, undefined])
      expect(actionsForState(done)).toEqual(['rollback']);
    expect(hasRole(['operator'], 'developer')).toBe(true);
    expect(hasRole(['developer'], 'operator')).toBe(false);
  });
});

describe('timeline', () => {
  it('gives each event its stage from its kind or type', () => {
    expect(kindOf(undefined, 'pipeline.run.finished')).toBe('run');
    expect(kindOf(undefined, 'deployment.started')).toBe('rollout');
    expect(kindOf(undefined, 'service.scaled')).toBe('autoscale');
    expect(kindOf(undefined, 'incident.opened')).toBe('incident');
    expect(kindOf(undefined, 'rollout.analysis.measurement')).toBe('analysis');
    expect(kindOf('deployment', 'x')).toBe('rollout');
    expect(kindOf('pipeline', 'x')).toBe('run');
    expect(kindOf('scale', 'service.scaled')).toBe('autoscale');
    expect(kindOf(undefined, 'webhook.received')).toBe('commit');
    expect(kindOf('commit', 'x')).toBe('commit');
    expect(kindOf(undefined, 'secret.set')).toBe('other');
  });

  it('tells good news from bad', () => {
    expect(toneOf('rollout.rolled-back')).toBe('bad');
    expect(toneOf('alert.firing')).toBe('bad');
    expect(toneOf('rollout.paused')).toBe('warn');
    expect(toneOf('rollout.promoted')).toBe('ok');
    expect(toneOf('pipeline.run.finished', { status: 'failed' })).toBe('bad');
    expect(toneOf('pipeline.run.finished', { status: 'passed' })).toBe('ok');
    expect(toneOf('rollout.started')).toBe('info');
  });

  it('merges live items into a page once each, newest first', () => {
    const merged = mergeTimeline(
      [item('3', 300, 'a'), item('1', 100, 'a')],
      [item('4', 400, 'b'), item('3', 300, 'a', { title: 'updated' }), item('2', 300, 'c')],
    );
    expect(merged.map((i) => i.id)).toEqual(['4', '3', '2', '1']);
    expect(merged[1]?.title).toBe('updated');
  });

  it('marks deploys (start, promotion, rollback) within the chart window', () => {
    const items = [
      item('1', 100, 'rollout.started'),
      item('2', 200, 'alert.firing'),
      item('3', 300, 'rollout.rolled-back'),
      item('4', 900, 'rollout.promoted'),
    ];
    expect(deployMarkers(items, 50, 500).map((m) => [m.at, m.tone])).toEqual([
      [100, 'info'],
      [300, 'bad'],
    ]);
    expect(filterKinds(items, new Set(['alert'])).map((i) => i.id)).toEqual(['2']);
    expect(filterKinds(items, new Set())).toHaveLength(4);
  });
});

describe('routes', () => {
  it('round-trips every page through its URL', () => {
    const routes: Route[] = [
      { name: 'overview' },
      { name: 'pipelines' },
      { name: 'run', id: 'run 1/x', job: 'smoke (lang=fr)' },
      { name: 'run', id: 'r2', job: null },
      { name: 'service', service: 'web', environment: 'production', range: '6h' },
      { name: 'service', service: 'web', environment: null, range: null },
      { name: 'audit' },
      { name: 'login', next: '/pipelines' },
    ];
    for (const r of routes) {
      const href = hrefOf(r);
      const [path, search] = href.split('?');
      expect(parseRoute(path as string, search === undefined ? '' : `?${search}`)).toEqual(r);
    }
    expect(parseRoute('/nope/x').name).toBe('not-found');
    expect(parseRoute('/services/%E0%A4%A').name).toBe('not-found');
  });

  it('only returns to same-site paths after login', () => {
    expect(safeNext('/services/web')).toBe('/services/web');
    for (const bad of [
      '//evil.example',
      'https://evil.example',
      '/\\evil',
      'javascript:alert(1)',
      '/login',
      null,
    ])
      expect(safeNext(bad)).toBeNull();
  });
});

describe('stream, theme and refresh helpers', () => {
  afterEach(() => vi.useRealTimers());

  it('tells log messages from events', () => {
    expect(topicOf('logs', {})).toBe('logs');
    expect(topicOf('events', { line: 'x' })).toBe('events');
    expect(topicOf('message', { line: 'x' })).toBe('logs');
    expect(topicOf('message', { type: 'rollout.step', text: 'x' })).toBe('events');
    expect(topicOf('message', { topic: 'logs' })).toBe('logs');
    expect(topicOf('message', { instance: 'web-1', lines: ['a'] })).toBe('logs');
    expect([0, 1, 2, 10].map(reconnectDelay)).toEqual([1000, 2000, 4000, 30_000]);
  });

  it('uses the stored theme, else the system one', () => {
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme(null, true)).toBe('dark');
    expect(resolveTheme('purple', false)).toBe('light');
    expect(otherTheme('dark')).toBe('light');
  });

  it('refreshes once after a burst of events', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const trigger = coalesce(fn, 500);
    for (let i = 0; i < 20; i++) trigger();
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
    trigger();
    trigger.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('overview filter (pure)', () => {
  const row = (over: Partial<OverviewRow>): OverviewRow =>
    ({
      service: 'web',
      environment: 'production',
      owners: [],
      health: 'healthy',
      rollout: null,
      firingAlerts: 0,
      openIncidents: 0,
      ...over,
    }) as OverviewRow;

  it('matches service, environment or owner, and keeps only the troubled when asked', () => {
    const rows = [
      row({ service: 'web' }),
      row({ service: 'api', owners: ['payments'] }),
      row({ service: 'worker', health: 'degraded' }),
      row({ service: 'cron', rollout: { state: 'progressing', active: true } as OverviewRow['rollout'] }),
      row({ service: 'mail', firingAlerts: 1 }),
    ];
    expect(filterRows(rows, 'PAY', false).map((r) => r.service)).toEqual(['api']);
    expect(filterRows(rows, '', true).map((r) => r.service)).toEqual(['worker', 'cron', 'mail']);
    expect(filterRows(rows, 'w', true).map((r) => r.service)).toEqual(['worker']);
    expect(needsAttention(row({ openIncidents: 2 }))).toBe(true);
    expect(needsAttention(row({}))).toBe(false);
  });
});
