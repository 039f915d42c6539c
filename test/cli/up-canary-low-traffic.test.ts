import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { canaryEnvironment, SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

// The load below sends ~10 requests/s, so the canary (20%) gets a handful per 2 s window, far
// from the 50 a verdict needs. The 2 s hold alone would let the step pass.
const ANALYSIS =
  '{ interval: 2s, minRequests: 50, errorRate: { max: 1% }, p95: { max: 300ms, maxRatio: 2 } }';

describe('a canary with too little traffic to judge (real processes, real load)', () => {
  it('pauses for a human after inconclusive windows, neither aborting nor passing; promote takes it on', async () => {
    t = await TandemUp.create({
      replicas: 2,
      environment: canaryEnvironment({ steps: '[{ weight: 20, pause: 2s }]', analysis: ANALYSIS }),
    });
    await t.up();
    const old = TandemUp.web(await t.waitSteady(2)).web.release;

    t.commit({ 'server.js': `// v2\n${SERVER_JS}` }, 'v2');
    const load = startLoad({ port: t.listenPort, concurrency: 1, gapMs: 100 });
    let result: LoadResult;
    try {
      await load.moreOk(5);
      const deploy = await t.cli(['deploy', 'production'], { timeoutMs: 90_000 });
      expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(0);
      expect(deploy.stdout).toMatch(/: paused/);
      expect(deploy.stderr).toMatch(/paused: too little traffic for analysis \(3 inconclusive windows\)/);

      const { env, web } = TandemUp.web(await t.status());
      const next = env.rollout?.release;
      expect(env.rollout?.state).toBe('paused');
      const service = env.rollout?.services[0];
      expect(service?.pausedReason).toMatch(/^too little traffic for analysis/);
      expect(service?.analysis?.failures).toBe(0);
      expect(service?.analysis?.inconclusive).toBeGreaterThanOrEqual(3);
      expect(service?.analysis?.last?.verdict).toBe('inconclusive');
      expect(service?.analysis?.last?.reasons[0]).toMatch(
        /^too little traffic: canary got \d+ of the 50 requests/,
      );
      // Held, not rolled back: stable and the canary both still serve.
      expect(web.release).toBe(old);
      const serving = web.instances.filter((i) => i.inTraffic).map((i) => i.release);
      expect(serving).toContain(old);
      expect(serving).toContain(next);

      // A human decides: promote takes it past the step.
      const promote = await t.cli(['promote', 'production'], { timeoutMs: 90_000 });
      expect(promote.code, `${promote.stdout}\n${promote.stderr}`).toBe(0);
      expect(promote.stdout).toMatch(/: promoted/);
      await t.waitSteady(2, { release: next });
      await load.moreOk(5);
    } finally {
      result = await load.stop();
    }
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 120_000);
});
