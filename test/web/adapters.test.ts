import { describe, expect, it } from 'vitest';
import {
  adaptAudit,
  adaptJobLog,
  adaptLogLines,
  adaptMetrics,
  adaptOverview,
  adaptRun,
  adaptSession,
  adaptStatus,
  adaptStreamEvent,
  adaptTimeline,
  healthOf,
  time,
} from '../../web/src/api/adapters.js';

describe('API adapters', () => {
  it('normalises overview rows whatever list key and owner shape the server uses', () => {
    const rows = adaptOverview({
      items: [
        {
          environment: 'production',
          service: 'web',
          release: 'r-2',
          ready: 2,
          desired: 3,
          rps: 41.5,
          errorRate: 0.001,
          p95Ms: 23,
          rollout: { state: 'paused', step: 0, weight: 10 },
          owners: { team: 'web', oncall: 'https://chat/web' },
          openIncidents: 0,
          firingAlerts: 0,
          autoscale: { min: 2, max: 6 },
          protected: true,
        },
        { environment: 'staging', name: 'worker', replicas: { ready: 1, desired: 1 }, alerts: { firing: 2 } },
        { service: 'no-environment' },
      ],
    });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      service: 'web',
      owners: ['web', 'https://chat/web'],
      rollout: { state: 'paused', step: 0, weight: 10 },
      autoscale: { min: 2, max: 6 },
      protected: true,
      health: 'degraded',
    });
    expect(rows[1]).toMatchObject({
      service: 'worker',
      ready: 1,
      desired: 1,
      rps: null,
      rollout: null,
      owners: [],
      firingAlerts: 2,
      protected: false,
      health: 'degraded',
    });
    expect(adaptOverview([{ environment: 'e', service: 's' }])).toHaveLength(1);
    expect(adaptOverview({ rows: [{ environment: 'e', service: 's' }] })).toHaveLength(1);
  });

  it('reads the real overview: environments (protection, approval) joined to nested service rows', () => {
    const rows = adaptOverview({
      at: '2025-01-01T00:00:00Z',
      windowMs: 60_000,
      environments: [
        { name: 'staging', protected: false, approval: [], strategy: 'rolling', deployment: null },
        { name: 'production', protected: true, approval: ['operator'], strategy: 'canary', deployment: null },
      ],
      services: [
        {
          environment: 'production',
          service: 'web',
          release: 'r-2',
          revision: 'r-2',
          health: { status: 'degraded', ready: 1, desired: 2 },
          replicas: 2,
          traffic: { rps: 12.5, errorRate: 0.02, p95Ms: 80 },
          rollout: {
            deployment: 'd1',
            kind: 'deploy',
            state: 'paused',
            strategy: 'canary',
            release: 'r-2',
            active: true,
            step: 1,
            weight: 50,
            steps: 3,
            startedAt: '2025-01-01T00:00:00Z',
          },
          owners: { team: 'web' },
          incidents: { open: 1 },
          alerts: { firing: 2 },
          autoscale: null,
        },
        {
          environment: 'staging',
          service: 'web',
          release: null,
          revision: null,
          health: { status: 'not-deployed', ready: null, desired: 2 },
          replicas: 2,
          traffic: { rps: null, errorRate: null, p95Ms: null },
          rollout: null,
          owners: { team: null },
          incidents: { open: 0 },
          alerts: { firing: 0 },
          autoscale: { min: 1, max: 4 },
        },
      ],
    });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      environment: 'production',
      ready: 1,
      desired: 2,
      rps: 12.5,
      errorRate: 0.02,
      p95Ms: 80,
      health: 'degraded',
      protected: true,
      approval: ['operator'],
      owners: ['web'],
      openIncidents: 1,
      firingAlerts: 2,
      rollout: { state: 'paused', step: 1, weight: 50, steps: 3, active: true },
    });
    expect(rows[1]).toMatchObject({
      health: 'not-deployed',
      protected: false,
      approval: [],
      owners: [],
      release: null,
    });
  });

  it('tells healthy from degraded, down, stopped and unknown', () => {
    const h = (ready: number | null, desired: number | null, firingAlerts = 0) =>
      healthOf({ ready, desired, firingAlerts, openIncidents: 0 });
    expect(h(2, 2)).toBe('healthy');
    expect(h(1, 2)).toBe('degraded');
    expect(h(2, 2, 1)).toBe('degraded');
    expect(h(0, 2)).toBe('down');
    expect(h(0, 0)).toBe('stopped');
    expect(h(null, 2)).toBe('unknown');
  });

  it('reads sessions with the principal nested or flat, keeping a stored CSRF token', () => {
    expect(adaptSession({ principal: { name: 'ann', roles: ['operator'] }, csrf: 'c1' })).toEqual({
      principal: { name: 'ann', roles: ['operator'] },
      csrf: 'c1',
    });
    expect(adaptSession({ name: 'bob', role: 'viewer' }, 'kept')).toEqual({
      principal: { name: 'bob', roles: ['viewer'] },
      csrf: 'kept',
    });
  });

  it('reads the analysis measurements a rollout item carries', () => {
    const page = adaptTimeline({
      items: [
        {
          id: 3,
          at: '2025-03-04T10:00:00Z',
          kind: 'rollout',
          type: 'rollout.step',
          title: 'web canary at 50% (step 2) · analysis: 1 passed, 1 failed',
          environment: 'production',
          service: 'web',
          data: {
            analysis: [
              {
                at: 1_741_082_400_000,
                windowMs: 10_000,
                verdict: 'pass',
                canary: { requests: 120, errorRate: 0, p95Ms: 20 },
                stable: null,
                reasons: [],
              },
              {
                at: 1_741_082_410_000,
                verdict: 'fail',
                canary: { requests: 80, errorRate: 0.3, p95Ms: 25 },
                reasons: ['error rate 30.0% > max 1.0%'],
              },
              { verdict: 'pass' },
            ],
          },
        },
      ],
      next: null,
    });
    expect(page.items[0]?.analysis).toEqual([
      { at: 1_741_082_400_000, verdict: 'pass', requests: 120, errorRate: 0, p95Ms: 20, reasons: [] },
      {
        at: 1_741_082_410_000,
        verdict: 'fail',
        requests: 80,
        errorRate: 0.3,
        p95Ms: 25,
        reasons: ['error rate 30.0% > max 1.0%'],
      },
    ]);
  });

  it('reads timeline pages: kinds from types, ISO or epoch times, the cursor', () => {
    const page = adaptTimeline({
      items: [
        {
          id: 7,
          at: '2025-03-04T10:00:00Z',
          type: 'rollout.rolled-back',
          title: 'Rolled back',
          environment: 'production',
          service: 'web',
          data: { to: 'r-1' },
        },
        { id: '8', at: 1_741_082_400, kind: 'autoscaler', type: 'service.scaled', summary: 'web 2 → 4' },
        { id: '9', type: 'no time' },
      ],
      next: 'abc',
    });
    expect(page.next).toBe('abc');
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({
      id: '7',
      kind: 'rollout',
      title: 'Rolled back',
      at: Date.parse('2025-03-04T10:00:00Z'),
    });
    expect(page.items[1]).toMatchObject({ kind: 'autoscale', title: 'web 2 → 4', at: 1_741_082_400_000 });
    expect(adaptTimeline({ items: [], next: null }).next).toBeNull();
  });

  it('reads a run with its jobs: needs, cached and skipped reasons, derived duration', () => {
    const run = adaptRun({
      run: {
        id: 'r1',
        status: 'failed',
        startedAt: '2025-01-01T00:00:00Z',
        finishedAt: '2025-01-01T00:00:05Z',
      },
      jobs: [
        {
          name: 'install',
          status: 'passed',
          cached: true,
          cachedReason: 'inputs unchanged',
          needs: null,
          startedAt: '2025-01-01T00:00:01Z',
        },
        {
          name: 'test',
          status: 'failed',
          needs: ['install'],
          reason: 'exit code 1',
          attempts: 2,
          durationMs: 900,
        },
        { name: 'deploy', status: 'weird', needs: ['test'], skippedReason: 'a job it needs failed' },
      ],
    });
    expect(run?.durationMs).toBe(5000);
    expect(run?.jobs.map((j) => [j.name, j.status, j.reason])).toEqual([
      ['install', 'cached', 'inputs unchanged'],
      ['test', 'failed', 'exit code 1'],
      ['deploy', 'pending', 'a job it needs failed'],
    ]);
    expect(run?.jobs[1]?.needs).toEqual(['install']);
    expect(run?.jobs[0]).toMatchObject({ needs: [], startedAt: Date.parse('2025-01-01T00:00:01Z') });
    expect(adaptRun({ nothing: true })).toBeUndefined();
  });

  it('reads metric points sorted by time, keeping gaps as null', () => {
    const points = adaptMetrics({
      points: [{ at: 2000, rps: 1, errorRate: null }, { at: '1970-01-01T00:00:01Z', rps: '2' }, { rps: 3 }],
    });
    // 2000 is read as epoch seconds (a millisecond time that small would be in 1970).
    expect(points.map((p) => [p.at, p.rps, p.errorRate])).toEqual([
      [1000, 2, null],
      [2_000_000, 1, null],
    ]);
    expect(time(1_700_000_000_000)).toBe(1_700_000_000_000);
  });

  it('reads one service × environment from the status contract, with its rollout step', () => {
    const status = adaptStatus({
      environments: [
        {
          name: 'production',
          rollout: {
            id: 'd1',
            state: 'paused',
            strategy: 'canary',
            release: 'r-2',
            from: 'r-1',
            startedAt: '2025-01-01T00:00:00Z',
            services: [
              {
                name: 'web',
                state: 'paused',
                step: 1,
                weight: 50,
                pausedReason: 'manual',
                analysis: { failures: 0, inconclusive: 1, measurements: 3 },
              },
            ],
          },
          services: [
            {
              name: 'web',
              release: 'r-1',
              replicas: { desired: 2, ready: 1 },
              instances: [
                { id: 'i1', release: 'r-1', state: 'running', healthy: true, inTraffic: true, restarts: 0 },
              ],
            },
            { name: 'api', release: '', replicas: { desired: 1, ready: 0 }, instances: [] },
          ],
        },
      ],
    });
    expect(status).toHaveLength(2);
    expect(status[0]?.rollout).toMatchObject({
      state: 'paused',
      step: 1,
      weight: 50,
      pausedReason: 'manual',
      analysis: { measurements: 3 },
    });
    expect(status[0]?.instances[0]).toMatchObject({ id: 'i1', healthy: true });
    expect(status[1]).toMatchObject({
      release: null,
      rollout: { state: 'paused', step: null, weight: null },
    });
  });

  it('reads audit rows with targets as objects or strings', () => {
    const page = adaptAudit({
      items: [
        {
          id: 1,
          at: '2025-01-01T00:00:00Z',
          principal: 'ann',
          role: 'operator',
          action: 'POST /api/v1/environments/:env/promote',
          target: { env: 'production' },
          address: '127.0.0.1',
          status: 200,
        },
      ],
      next: null,
    });
    expect(page.items[0]).toMatchObject({ id: '1', target: 'env=production', status: 200 });
  });

  it('reads stream messages: stored events of a run, and log lines', () => {
    const e = adaptStreamEvent({
      id: 41,
      at: '2025-01-01T00:00:00Z',
      type: 'pipeline.job.finished',
      subjectKind: 'pipeline_run',
      subjectId: 'run-9',
      data: { job: 'test' },
    });
    expect(e).toMatchObject({ id: '41', runId: 'run-9', type: 'pipeline.job.finished', service: null });
    expect(e.item.kind).toBe('run');
    const r = adaptStreamEvent(
      { type: 'rollout.promoted', data: { environment: 'production', service: 'web' } },
      '12',
    );
    expect(r).toMatchObject({ id: '12', environment: 'production', service: 'web' });
    // The real `logs` topic: several lines per message, a gap and errors said in words.
    expect(adaptLogLines({ instance: 'web-1', lines: ['a', 'b'] }).map((l) => [l.instance, l.text])).toEqual([
      ['web-1', 'a'],
      ['web-1', 'b'],
    ]);
    expect(adaptLogLines({ instance: 'web-1', lines: ['c'], gap: true }).map((l) => l.text)).toEqual([
      '… (lines were missed here)',
      'c',
    ]);
    expect(adaptLogLines({ instance: 'web-1', lines: [], error: 'instance is gone' })[0]?.text).toBe(
      '(instance is gone)',
    );
    expect(adaptLogLines({ runId: 'run-9', job: 'test', line: 'ok' })[0]).toMatchObject({
      runId: 'run-9',
      job: 'test',
      text: 'ok',
    });
    expect(adaptLogLines('plain text')[0]?.text).toBe('plain text');
    expect(adaptLogLines({ nothing: 1 })).toEqual([]);
    expect(adaptJobLog('a\nb\n')).toEqual({
      lines: ['a', 'b'],
      offset: null,
      complete: true,
      truncated: false,
    });
    expect(adaptJobLog({ lines: ['x', { text: 'y' }], offset: 4, complete: false })).toEqual({
      lines: ['x', 'y'],
      offset: 4,
      complete: false,
      truncated: false,
    });
  });
});
