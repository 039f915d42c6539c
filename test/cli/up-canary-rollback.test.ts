import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { canaryEnvironment, serverFailingEvery, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

const ANALYSIS =
  '{ interval: 2s, minRequests: 20, errorRate: { max: 1% }, p95: { max: 300ms, maxRatio: 2 } }';

describe('a bad canary (real processes, real load)', () => {
  it('is rolled back by the analysis: only the canary answered 500, then stable takes all traffic back', async () => {
    t = await TandemUp.create({
      replicas: 2,
      environment: canaryEnvironment({ steps: '[{ weight: 20, pause: 30s }]', analysis: ANALYSIS }),
    });
    await t.up();
    const old = TandemUp.web(await t.waitSteady(2)).web.release;

    // Every 3rd request answered 500: a 33% error rate on the canary.
    t.commit({ 'server.js': serverFailingEvery(3) }, 'fails every 3rd request');
    const failedBodies: string[] = [];
    const load = startLoad({
      port: t.listenPort,
      concurrency: 4,
      onResponse: (r) => {
        if (r.status !== 200) failedBodies.push(`${r.status} ${r.body}`);
      },
    });
    let during: LoadResult;
    let deploy: Awaited<ReturnType<TandemUp['cli']>>;
    try {
      await load.moreOk(100);
      deploy = await t.cli(['deploy', 'production'], { timeoutMs: 90_000 });
    } finally {
      during = await load.stop();
    }
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(1);
    expect(deploy.stdout).toMatch(/: (rolled-back|aborted)/);
    expect(deploy.stderr).toMatch(/analysis failed: error rate/);

    // The canary took traffic and its 500s reached the load; nothing else failed.
    expect(during.failed, describeLoad(during)).toBe(0);
    expect(during.non2xx, describeLoad(during)).toBeGreaterThan(0);
    expect(Object.keys(during.byStatus).sort(), describeLoad(during)).toEqual(['200', '500']);
    const status = await t.waitSteady(2, { release: old });
    const { env, web } = TandemUp.web(status);
    const bad = env.rollout?.release;
    expect(bad).toBeDefined();
    expect(bad).not.toBe(old);
    expect(failedBodies.length).toBe(during.non2xx);
    for (const body of failedBodies) expect(body.startsWith(`500 ${bad} `), body).toBe(true);

    // On record: the rollout is over, why, and the measurement that failed.
    expect(['rolled-back', 'aborted']).toContain(env.rollout?.state);
    expect(env.rollout?.reason).toMatch(/error rate [\d.]+% > max 1\.0%/);
    const analysis = env.rollout?.services[0]?.analysis;
    expect(analysis?.failures).toBeGreaterThanOrEqual(1);
    expect(analysis?.last?.verdict).toBe('fail');
    expect(analysis?.last?.canary.errorRate).toBeGreaterThan(0.2);
    expect(web.replicas).toEqual({ desired: 2, ready: 2 });
    expect(web.instances.map((i) => i.release)).toEqual([old, old]);

    const history = await t.cli(['history', 'production', '--json']);
    expect(history.code, history.stderr).toBe(0);
    const deployments = JSON.parse(history.stdout).deployments as Array<{
      deployment: { state: string; reason: string | null; release: string };
    }>;
    expect(deployments.map((d) => d.deployment.state)).toEqual(['failed', 'succeeded']);
    expect(deployments[0]?.deployment.reason).toMatch(/analysis failed: error rate/);

    // An automatic rollback is a change that failed in front of users: it opens an incident,
    // linked to the release that caused it.
    const incidents = await t.cli(['incident', 'list', '--json']);
    expect(incidents.code, incidents.stderr).toBe(0);
    const { incidents: open } = JSON.parse(incidents.stdout) as {
      incidents: Array<{
        service: string;
        state: string;
        cause: { kind: string };
        releases: string[];
      }>;
    };
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ service: 'web', state: 'open', cause: { kind: 'rollback' } });
    expect(open[0]?.releases).toContain(deployments[0]?.deployment.release);

    // After the abort, all traffic is on the old release: a fresh load sees only its answers.
    const after = startLoad({ port: t.listenPort, concurrency: 4 });
    let afterResult: LoadResult;
    try {
      await after.moreOk(200);
    } finally {
      afterResult = await after.stop();
    }
    expect(afterResult.failed + afterResult.non2xx, describeLoad(afterResult)).toBe(0);
    for (const body of Object.keys(afterResult.bodies)) expect(body.startsWith(`${old} `), body).toBe(true);

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 120_000);
});
