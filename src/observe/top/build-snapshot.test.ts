import { describe, expect, it } from 'vitest';
import type { InstanceStatus } from '../../runtime/local/types.js';
import type { Subject, WindowStats } from '../metrics/types.js';
import { emptyWindow } from '../metrics/window-math.js';
import { type BuildTopInput, buildTopSnapshot } from './build-snapshot.js';

const NOW = 1_700_000_000_000;
const FROM = NOW - 60_000;
const MB = 1024 * 1024;

function instance(
  over: Partial<InstanceStatus> & Pick<InstanceStatus, 'id' | 'environment' | 'service'>,
): InstanceStatus {
  return {
    revision: 'r2-abc1234',
    state: 'running',
    healthy: true,
    pid: 10,
    port: 4000,
    restarts: 0,
    createdAt: NOW - 600_000,
    startedAt: NOW - 90_000,
    lastExit: null,
    logFile: '/tmp/x.log',
    ...over,
  };
}

/** A window of 6 ticks over 60 s: `requests` of which `errors` failed, all answered within 10 ms (bucket 5..10 ms). */
function busy(
  requests: number,
  errors: number,
  cpuSeconds: number | null,
  rssAvg: number | null,
): WindowStats {
  const w = emptyWindow(FROM, NOW);
  w.ticks = 6;
  w.upTicks = 6;
  w.coveredMs = 60_000;
  w.requests = requests;
  w.errors = errors;
  w.latency[3] = requests;
  w.latencySumMs = requests * 7;
  w.cpuSeconds = cpuSeconds;
  w.rssAvg = rssAvg;
  return w;
}

const key = (s: Subject) => `${s.environment}.${s.service}.${s.instance}`;

function input(over: Partial<BuildTopInput> = {}): BuildTopInput {
  const windows: Record<string, WindowStats> = {
    'production.web.': busy(600, 12, 12, 200 * MB),
    'production.web.production-web-a': busy(600, 12, 6, 100 * MB),
    // Just started: the store has nothing on it yet.
    'production.web.production-web-b': emptyWindow(FROM, NOW),
  };
  return {
    now: NOW,
    state: {
      instances: [
        instance({
          id: 'production-web-b',
          environment: 'production',
          service: 'web',
          state: 'starting',
          healthy: false,
          startedAt: NOW - 2_000,
        }),
        instance({ id: 'production-web-a', environment: 'production', service: 'web', restarts: 2 }),
        instance({
          id: 'staging-api-a',
          environment: 'staging',
          service: 'api',
          state: 'exited',
          healthy: false,
        }),
      ],
    },
    windows: (s) => windows[key(s)],
    desiredReplicas: { 'production.web': 3, 'production.worker': 1 },
    autoscale: { 'production.web': { min: 2, max: 6, lastDecision: 'scale up: rps 10/5 per instance' } },
    ...over,
  };
}

describe('buildTopSnapshot', () => {
  it('lists environments, services and instances by name with their window figures', () => {
    const snap = buildTopSnapshot(input());
    expect(snap.at).toBe(NOW);
    expect(snap.windowMs).toBe(60_000);
    expect(snap.environments.map((e) => [e.name, e.services.map((s) => s.name)])).toEqual([
      ['production', ['web', 'worker']],
      ['staging', ['api']],
    ]);

    const web = snap.environments[0]!.services[0]!;
    expect(web.replicas).toEqual({ running: 1, healthy: 1, desired: 3 });
    expect(web.rps).toBeCloseTo(10);
    expect(web.errorPct).toBeCloseTo(2);
    // All in the 5..10 ms bucket: p95 interpolates to 9.75 ms.
    expect(web.p95Ms).toBeCloseTo(9.75);
    expect(web.cpuPct).toBeCloseTo(20);
    expect(web.rssBytes).toBe(200 * MB);
    expect(web.autoscale).toEqual({ min: 2, max: 6, lastDecision: 'scale up: rps 10/5 per instance' });

    expect(web.instances.map((i) => i.id)).toEqual(['production-web-a', 'production-web-b']);
    const [a, b] = web.instances;
    expect(a).toEqual({
      id: 'production-web-a',
      revision: 'r2-abc1234',
      state: 'running',
      healthy: true,
      rps: 10,
      errorPct: 2,
      p95Ms: expect.closeTo(9.75),
      cpuPct: 10,
      rssBytes: 100 * MB,
      restarts: 2,
      uptimeMs: 90_000,
    });
    // No data is null, never 0.
    expect(b).toMatchObject({
      state: 'starting',
      healthy: false,
      rps: null,
      errorPct: null,
      p95Ms: null,
      cpuPct: null,
      rssBytes: null,
      uptimeMs: 2_000,
    });
  });

  it('shows wanted services with no instance, and services without a target or window', () => {
    const snap = buildTopSnapshot(input());
    const worker = snap.environments[0]!.services[1]!;
    expect(worker).toMatchObject({
      replicas: { running: 0, healthy: 0, desired: 1 },
      rps: null,
      autoscale: null,
      instances: [],
    });
    const api = snap.environments[1]!.services[0]!;
    expect(api.replicas).toEqual({ running: 0, healthy: 0, desired: null });
    expect(api.instances[0]).toMatchObject({ state: 'exited', uptimeMs: null, rps: null });
  });

  it('has no error rate without requests, and no window length when nothing was read', () => {
    const idle = busy(0, 0, null, null);
    const snap = buildTopSnapshot(
      input({ windows: (s) => (s.instance === '' ? idle : undefined), autoscale: undefined }),
    );
    const web = snap.environments[0]!.services[0]!;
    expect(web).toMatchObject({
      rps: 0,
      errorPct: null,
      p95Ms: null,
      cpuPct: null,
      rssBytes: null,
      autoscale: null,
    });
    expect(buildTopSnapshot(input({ windows: () => undefined })).windowMs).toBeNull();
  });

  it('keeps to one environment when asked', () => {
    const snap = buildTopSnapshot(input({ environment: 'staging' }));
    expect(snap.environments.map((e) => e.name)).toEqual(['staging']);
    expect(buildTopSnapshot(input({ environment: 'nowhere' })).environments).toEqual([]);
  });
});
