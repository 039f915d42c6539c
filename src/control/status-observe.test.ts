import { describe, expect, it } from 'vitest';
import { AutoscaleController, type AutoscaleSpec, type Evaluation } from '../autoscale/controller.js';
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import type { StoredEvent } from '../store/repositories/events.js';
import type { AlertRecord } from './alerting.js';
import { decisionRecord } from './autoscaling.js';
import type { Status, StatusService, StatusSlo, StatusUptime } from './status.js';
import { addObserveStatus, alertsOf, decisionOfEvent, type ObserveParts } from './status-observe.js';

const T0 = Date.UTC(2025, 0, 1, 9, 50, 12);
const SPEC: AutoscaleSpec = { min: 2, max: 6, target: { kind: 'rps', value: 200 }, policy: {} };

/** Only what addObserveStatus reads of a plan. */
function plans(): EnvironmentPlan[] {
  return [
    {
      name: 'production',
      services: [
        { name: 'web', autoscale: SPEC },
        { name: 'worker', autoscale: null },
      ],
    },
  ] as unknown as EnvironmentPlan[];
}

function service(name: string, desired: number): StatusService {
  return {
    name,
    release: 'r1',
    revision: 'r1',
    replicas: { desired, ready: desired },
    listen: null,
    instances: [],
  };
}

function status(): Status {
  return {
    environments: [
      {
        name: 'production',
        listen: 0,
        listeners: {},
        rollout: null,
        services: [service('web', 2), service('worker', 1)],
      },
    ],
  };
}

/** A real evaluation: 412 req/s per instance against a target of 200, from 2 instances. */
function evaluation(): Evaluation {
  return new AutoscaleController().evaluate({
    environment: 'production',
    service: 'web',
    spec: SPEC,
    now: T0,
    current: 2,
    metric: 412,
  });
}

function alert(status: AlertRecord['status'], name: string, env = 'production', svc = 'web'): AlertRecord {
  return {
    status,
    since: T0,
    lastEvalAt: T0,
    labels: { alertname: name, environment: env, service: svc, severity: 'page' },
    annotations: {},
    severity: 'page',
    condition: 'healthy < 1',
  };
}

function parts(over: Partial<ObserveParts> = {}): ObserveParts {
  return {
    environments: plans,
    lastEvaluation: () => undefined,
    alertStates: () => undefined,
    budgets: () => [],
    uptime: () => ({ '1d': null, '30d': null, '90d': null }),
    ...over,
  };
}

describe('addObserveStatus', () => {
  it('adds the autoscaler bounds, target and last decision with its inputs', () => {
    const e = evaluation();
    const s = addObserveStatus(
      status(),
      parts({ lastEvaluation: (env, svc) => (env === 'production' && svc === 'web' ? e : undefined) }),
    );
    const [web, worker] = s.environments[0]?.services ?? [];
    expect(web?.autoscale).toEqual({
      min: 2,
      max: 6,
      target: { kind: 'rps', value: 200 },
      desired: e.apply,
      lastDecision: {
        at: new Date(T0).toISOString(),
        from: 2,
        to: e.apply,
        reason: e.summary,
        limitedBy: e.decision.limitedBy ?? null,
        metric: 412,
        ratio: 2.06,
      },
    });
    expect(e.apply).toBeGreaterThan(2);
    expect(web?.autoscale?.lastDecision?.reason).toContain('rps 412/instance vs target 200');
    // A fixed count has no autoscale part.
    expect(worker?.autoscale).toBeNull();
  });

  it('without an evaluation since the start, shows the last recorded decision, else none', () => {
    const recorded = {
      at: new Date(T0 - 60_000).toISOString(),
      from: 4,
      to: 3,
      reason: 'rps 90/instance vs target 200: ratio 0.45 → 2; highest recommendation in the last 300s is 3',
      limitedBy: 'stabilisation',
      metric: 90,
      ratio: 0.45,
    };
    const withRecord = addObserveStatus(status(), parts(), new Map([['production.web', recorded]]));
    expect(withRecord.environments[0]?.services[0]?.autoscale).toMatchObject({
      desired: 2, // the deployed count: no evaluation to say otherwise
      lastDecision: recorded,
    });
    const without = addObserveStatus(status(), parts());
    expect(without.environments[0]?.services[0]?.autoscale?.lastDecision).toBeNull();
  });

  it('counts the service’s own alerts by state and names the firing ones', () => {
    const states = new Map<string, AlertRecord>([
      ['a', alert('firing', 'web-down')],
      ['b', alert('firing', 'errors')],
      ['c', alert('pending', 'latency')],
      ['d', alert('nodata', 'queue')],
      ['e', alert('inactive', 'old')],
      ['f', alert('firing', 'other-env', 'staging')],
      ['g', alert('firing', 'other-service', 'production', 'worker')],
    ]);
    const s = addObserveStatus(status(), parts({ alertStates: () => states }));
    expect(s.environments[0]?.services[0]?.alerts).toEqual({
      firing: 2,
      pending: 1,
      nodata: 1,
      names: ['errors', 'web-down'],
    });
    expect(s.environments[0]?.services[1]?.alerts).toEqual({
      firing: 1,
      pending: 0,
      nodata: 0,
      names: ['other-service'],
    });
  });

  it('no alert evaluator yet reads as no alerts', () => {
    expect(alertsOf(undefined, 'production', 'web')).toEqual({ firing: 0, pending: 0, nodata: 0, names: [] });
  });

  it('adds the error budget left and the uptime of each service, asked per service', () => {
    const asked: string[] = [];
    const slo: StatusSlo[] = [{ objective: 'availability', target: 0.999, windowDays: 30, remaining: 0.82 }];
    const up: StatusUptime = { '1d': 0.9998, '30d': 0.999, '90d': null };
    const s = addObserveStatus(
      status(),
      parts({
        budgets: (env, svc) => {
          asked.push(`${env}.${svc}`);
          return svc === 'web' ? slo : [];
        },
        uptime: (_env, svc) => (svc === 'web' ? up : { '1d': null, '30d': null, '90d': null }),
      }),
    );
    const [web, worker] = s.environments[0]?.services ?? [];
    expect(web?.slo).toEqual(slo);
    expect(web?.uptime).toEqual(up);
    expect(worker?.slo).toEqual([]);
    expect(worker?.uptime).toEqual({ '1d': null, '30d': null, '90d': null });
    expect(asked).toEqual(['production.web', 'production.worker']);
  });
});

describe('decisionOfEvent', () => {
  const ev = (type: string, data: Record<string, unknown>): StoredEvent => ({
    id: 1,
    at: new Date(T0).toISOString(),
    type,
    subjectKind: 'service',
    subjectId: 'production.web',
    data,
  });

  it('reads the decision a scale by the autoscaler carries', () => {
    const e = evaluation();
    const d = decisionOfEvent(
      ev('service.scaled', {
        environment: 'production',
        service: 'web',
        replicas: e.apply,
        by: 'autoscaler',
        decision: decisionRecord(e),
      }),
    );
    expect(d).toEqual({
      at: new Date(T0).toISOString(),
      from: 2,
      to: e.apply,
      reason: e.summary,
      limitedBy: e.decision.limitedBy ?? null,
      metric: 412,
      ratio: 2.06,
    });
  });

  it('reads a recorded hold, and ignores scales by an operator and other events', () => {
    const hold = decisionOfEvent(
      ev('autoscale.decision', {
        environment: 'production',
        service: 'web',
        from: 3,
        to: 3,
        metric: null,
        ratio: null,
        limitedBy: 'no-data',
        reason: 'rps: no data; holding 3',
      }),
    );
    expect(hold).toMatchObject({ from: 3, to: 3, metric: null, ratio: null, limitedBy: 'no-data' });
    expect(decisionOfEvent(ev('service.scaled', { replicas: 5, by: 'ada' }))).toBeUndefined();
    expect(decisionOfEvent(ev('deployment.started', {}))).toBeUndefined();
  });
});
