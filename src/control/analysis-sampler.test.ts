import { describe, expect, it } from 'vitest';
import { FakeRevisionTraffic } from '../delivery/analysis/fake-traffic.js';
import { DEFAULT_ANALYSIS } from '../delivery/analysis/index.js';
import type { RevisionCounters } from '../delivery/analysis/types.js';
import type { ProxyStats, TrafficStats } from '../proxy/types.js';
import { AnalysisSampler } from './analysis-sampler.js';

function traffic(c: RevisionCounters): TrafficStats {
  return {
    requests: c.requests,
    responses: {
      '2xx': c.requests - c.errors5xx - c.connectionFailures,
      '3xx': 0,
      '4xx': 0,
      '5xx': c.errors5xx,
    },
    connectionFailures: c.connectionFailures,
    inFlight: 0,
    latency: c.latency,
  };
}

function stats(revisions: Record<string, FakeRevisionTraffic>): ProxyStats {
  const out: ProxyStats = {
    total: traffic(new FakeRevisionTraffic().counters()),
    revisions: {},
    instances: {},
  };
  for (const [name, t] of Object.entries(revisions)) out.revisions[name] = traffic(t.counters());
  return out;
}

const config = { ...DEFAULT_ANALYSIS, intervalMs: 2000, minRequests: 20, errorRate: { max: 0.01 } };
const revisions = { canary: 'r2-bbbbbbb', stable: 'r1-aaaaaaa' };

describe('analysis sampler', () => {
  it('measures each interval over the window since the last snapshot, canary against stable', () => {
    const canary = new FakeRevisionTraffic();
    const stable = new FakeRevisionTraffic();
    const sampler = new AnalysisSampler();
    const snap = () => stats({ 'r2-bbbbbbb': canary, 'r1-aaaaaaa': stable });

    canary.answer(500, 3, '5xx'); // before the first snapshot: not counted
    expect(sampler.sample('d1.web', config, revisions, snap(), 0)).toBeUndefined();
    canary.answer(70, 3).answer(30, 3, '5xx');
    stable.answer(400, 3);
    expect(sampler.sample('d1.web', config, revisions, snap(), 1000)).toBeUndefined();
    const m = sampler.sample('d1.web', config, revisions, snap(), 2000);
    expect(m).toMatchObject({ verdict: 'fail', windowMs: 2000, canary: { requests: 100, errorRate: 0.3 } });
    expect(m?.stable?.requests).toBe(400);

    canary.answer(100, 3);
    expect(sampler.sample('d1.web', config, revisions, snap(), 4000)).toMatchObject({
      verdict: 'pass',
      canary: { requests: 100, errorRate: 0 },
    });
  });

  it('a canary that got no request yet is inconclusive, not a pass', () => {
    const sampler = new AnalysisSampler();
    sampler.sample('d1.web', config, revisions, undefined, 0);
    expect(sampler.sample('d1.web', config, revisions, undefined, 2500)?.verdict).toBe('inconclusive');
  });
});
