import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { canaryEnvironment, SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

const ANALYSIS =
  '{ interval: 2s, minRequests: 20, errorRate: { max: 1% }, p95: { max: 300ms, maxRatio: 2 } }';

describe('a healthy canary (real processes, real load)', () => {
  it('passes its analysis and is promoted to all replicas; no request fails', async () => {
    // A 10 s hold (not 30 s) keeps the test short; it still needs a passing window measured
    // entirely at the step before it may advance.
    t = await TandemUp.create({
      replicas: 2,
      environment: canaryEnvironment({ steps: '[{ weight: 20, pause: 10s }]', analysis: ANALYSIS }),
    });
    await t.up();
    const old = TandemUp.web(await t.waitSteady(2)).web.release;

    t.commit({ 'server.js': `// v2\n${SERVER_JS}` }, 'v2');
    const load = startLoad({ port: t.listenPort, concurrency: 4 });
    let result: LoadResult;
    let deploy: Awaited<ReturnType<TandemUp['cli']>>;
    try {
      await load.moreOk(100);
      deploy = await t.cli(['deploy', 'production'], { timeoutMs: 90_000 });
      await load.moreOk(100);
    } finally {
      result = await load.stop();
    }
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(0);
    expect(deploy.stdout).toMatch(/: promoted/);
    expect(deploy.stderr).toContain('web progressing (step 1/1, 20%)');
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);

    const status = await t.waitSteady(2);
    const { env, web } = TandemUp.web(status);
    const next = web.release;
    expect(next).not.toBe(old);
    expect(env.rollout).toMatchObject({ state: 'promoted', strategy: 'canary', release: next, reason: null });
    expect(web.replicas).toEqual({ desired: 2, ready: 2 });
    expect(web.instances.map((i) => i.release)).toEqual([next, next]);
    // The analysis really ran: the step advanced on a passing window, never on a failed one.
    const analysis = env.rollout?.services[0]?.analysis;
    expect(analysis?.failures).toBe(0);
    expect(analysis?.measurements).toBeGreaterThanOrEqual(1);
    expect(analysis?.last?.verdict).toBe('pass');
    expect(analysis?.last?.canary.requests).toBeGreaterThanOrEqual(20);
    // Both releases answered during the rollout, and the new one only.
    const releases = new Set(Object.keys(result.bodies).map((b) => b.split(' ')[0]));
    expect([...releases].sort()).toEqual([old, next].sort());

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 120_000);
});
