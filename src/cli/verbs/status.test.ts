import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeploymentView } from '../../control/control-plane.js';
import type { HistoryEvent } from '../../control/history-events.js';
import type {
  Status,
  StatusAutoscale,
  StatusAutoscaleDecision,
  StatusService,
} from '../../control/status.js';
import { formatHistory, formatStatus, observeLines } from './status.js';

beforeEach(() => {
  vi.stubEnv('NO_COLOR', '1');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const AT = '2025-01-01T09:50:12.000Z';

function web(over: Partial<StatusService> = {}): StatusService {
  return {
    name: 'web',
    release: 'r2-d89b4f4',
    revision: 'r2-d89b4f4',
    replicas: { desired: 4, ready: 4 },
    listen: 8080,
    instances: [],
    ...over,
  };
}

const DECISION: StatusAutoscaleDecision = {
  at: AT,
  from: 2,
  to: 4,
  reason: 'rps 412/instance vs target 200: ratio 2.06 → 5; scale-up policy allows 4',
  limitedBy: 'scale-up-policy',
  metric: 412,
  ratio: 2.06,
};
const SCALED: StatusAutoscale = {
  min: 2,
  max: 6,
  target: { kind: 'rps', value: 200 },
  desired: 4,
  lastDecision: DECISION,
};

describe('observeLines', () => {
  it('says what the autoscaler did, the firing alerts, the budget left and the uptime', () => {
    const lines = observeLines(
      web({
        autoscale: SCALED,
        alerts: { firing: 1, pending: 1, nodata: 0, names: ['web-down'] },
        slo: [{ objective: 'availability', target: 0.999, windowDays: 30, remaining: 0.8204 }],
        uptime: { '1d': 0.99984, '30d': 0.999, '90d': null },
      }),
    );
    expect(lines).toEqual({
      autoscale:
        'autoscale 2–6 (rps 200/instance): 2 → 4 at 09:50:12 — rps 412/instance vs target 200: ratio 2.06 → 5; scale-up policy allows 4',
      alerts: 'alerts: 1 firing (web-down), 1 pending',
      health: 'SLO availability 99.9%: 82% of budget left · uptime 1d 99.98%, 30d 99.9%',
    });
  });

  it('holds, spent budgets, missing data and long reasons read plainly', () => {
    const lines = observeLines(
      web({
        autoscale: {
          ...SCALED,
          target: { kind: 'p95', value: 300 },
          lastDecision: { ...DECISION, from: 3, to: 3, reason: `p95 ${'x'.repeat(200)}` },
        },
        alerts: { firing: 0, pending: 0, nodata: 2, names: [] },
        slo: [
          { objective: 'availability', target: 0.999, windowDays: 30, remaining: -0.4 },
          { objective: 'latency-p95', target: 0.99, windowDays: 30, remaining: null },
        ],
        uptime: { '1d': 0.99999, '30d': null, '90d': null },
      }),
    );
    expect(lines.autoscale).toMatch(/^autoscale 2–6 \(p95 300ms\): holding 3 at 09:50:12 — p95 x+…$/);
    expect(lines.autoscale?.length).toBeLessThan(160);
    expect(lines.alerts).toBe('alerts: 2 no data');
    // Rounded down: 99.999% is not 100%.
    expect(lines.health).toBe(
      'SLO availability 99.9%: budget spent (-40%) · SLO latency-p95 99%: no data yet · uptime 1d 99.99%',
    );
  });

  it('has nothing to say for a plain service, or one from an older control plane', () => {
    expect(
      observeLines(
        web({
          autoscale: null,
          alerts: { firing: 0, pending: 0, nodata: 0, names: [] },
          slo: [],
          uptime: { '1d': null, '30d': null, '90d': null },
        }),
      ),
    ).toEqual({});
    expect(observeLines(web())).toEqual({});
    expect(observeLines(web({ autoscale: { ...SCALED, lastDecision: null } })).autoscale).toBe(
      'autoscale 2–6 (rps 200/instance): no decision yet',
    );
  });
});

describe('formatStatus', () => {
  it('prints the operations lines under their service, before its instances', () => {
    const status: Status = {
      environments: [
        {
          name: 'production',
          listen: 8080,
          listeners: { web: 8080 },
          rollout: null,
          services: [
            web({
              autoscale: SCALED,
              alerts: { firing: 1, pending: 0, nodata: 0, names: ['web-down'] },
              instances: [
                {
                  id: 'production-web-1',
                  release: 'r2-d89b4f4',
                  revision: 'r2-d89b4f4',
                  state: 'running',
                  healthy: true,
                  inTraffic: true,
                  pid: 10,
                  port: 3000,
                  restarts: 0,
                },
              ],
            }),
          ],
        },
      ],
    };
    const lines = formatStatus(status).split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.trimStart().startsWith(prefix));
    expect(at('web  r2-d89b4f4')).toBeGreaterThan(0);
    expect(at('autoscale 2–6')).toBe(at('web  r2-d89b4f4') + 1);
    expect(lines[at('alerts:')]).toBe('    alerts: 1 firing (web-down)');
    expect(at('production-web-1')).toBe(at('alerts:') + 1);
  });
});

describe('formatHistory', () => {
  const deployment = (id: string, startedAt: string): DeploymentView => ({
    deployment: {
      id,
      environment: 'production',
      kind: 'deploy',
      release: `r-${id}`,
      fromRelease: null,
      state: 'succeeded',
      reason: null,
      startedAt,
      finishedAt: null,
    },
    rollouts: [],
    state: 'promoted',
    trigger: null,
  });
  const scaled: HistoryEvent = {
    kind: 'autoscaled',
    at: '2025-01-01T10:05:00.000Z',
    service: 'web',
    from: 2,
    to: 4,
    reason: 'rps 412/instance vs target 200',
    decision: {},
    summary: 'autoscaled web 2 → 4: rps 412/instance vs target 200',
  };

  it('interleaves autoscaler changes with the deployments by time', () => {
    const text = formatHistory(
      'production',
      [deployment('d2', '2025-01-01T11:00:00.000Z'), deployment('d1', '2025-01-01T10:00:00.000Z')],
      [scaled],
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^2025-01-01 11:00:00 {2}d2 /);
    expect(lines[1]).toBe('2025-01-01 10:05:00  autoscaled web 2 → 4: rps 412/instance vs target 200');
    expect(lines[2]).toMatch(/^2025-01-01 10:00:00 {2}d1 /);
  });

  it('says when there are no deployments, and still shows what happened', () => {
    expect(formatHistory('production', [], [])).toBe('no deployments to production yet\n');
    expect(formatHistory('production', [], [scaled]).split('\n')[1]).toContain('autoscaled web 2 → 4');
  });
});
