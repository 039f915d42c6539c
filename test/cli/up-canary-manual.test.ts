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

/** The releases that answered, from the bodies (`<release> <instance>`). */
function releasesOf(r: LoadResult): string[] {
  return [...new Set(Object.keys(r.bodies).map((b) => b.split(' ')[0] ?? ''))].sort();
}

/** 2xx responses answered by `release`. */
function answersOf(r: LoadResult, release: string): number {
  return Object.entries(r.bodies)
    .filter(([body]) => body.startsWith(`${release} `))
    .reduce((sum, [, n]) => sum + n, 0);
}

describe('a canary step that waits for a human (real processes, real load)', () => {
  it('`tandem promote` completes it; on the next deploy `tandem abort` brings all traffic back to stable', async () => {
    t = await TandemUp.create({
      replicas: 2,
      environment: canaryEnvironment({ steps: '[{ weight: 50, pause: }]', analysis: ANALYSIS }),
    });
    await t.up();
    const r1 = TandemUp.web(await t.waitSteady(2)).web.release;

    const load = startLoad({ port: t.listenPort, concurrency: 4 });
    let result: LoadResult;
    let r2: string;
    let r3: string;
    try {
      await load.moreOk(100);

      // The deploy stops following once the step is in place and waits for promote: exit 0.
      t.commit({ 'server.js': `// v2\n${SERVER_JS}` }, 'v2');
      const deploy = await t.cli(['deploy', 'production'], { timeoutMs: 90_000 });
      expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(0);
      expect(deploy.stderr).toContain('paused: waiting for tandem promote');
      expect(deploy.stdout).toMatch(/: paused/);
      const paused = TandemUp.web(await t.status());
      expect(paused.env.rollout).toMatchObject({ state: 'paused', strategy: 'canary' });
      expect(paused.env.rollout?.services[0]).toMatchObject({
        state: 'paused',
        weight: 50,
        pausedReason: 'waiting for tandem promote',
      });
      r2 = paused.env.rollout?.release as string;
      // Both revisions serve while it waits.
      expect(paused.web.instances.filter((i) => i.inTraffic).map((i) => i.release)).toContain(r2);
      expect(paused.web.instances.filter((i) => i.inTraffic).map((i) => i.release)).toContain(r1);
      const canaryAnswers = () => answersOf(load.snapshot(), r2);
      const before = canaryAnswers();
      await load.moreOk(200);
      expect(canaryAnswers(), 'the canary answers while it waits').toBeGreaterThan(before);

      const promote = await t.cli(['promote', 'production'], { timeoutMs: 90_000 });
      expect(promote.code, `${promote.stdout}\n${promote.stderr}`).toBe(0);
      expect(promote.stdout).toMatch(/: promoted/);
      const promoted = TandemUp.web(await t.waitSteady(2, { release: r2 }));
      expect(promoted.env.rollout).toMatchObject({ state: 'promoted', release: r2 });
      expect(promoted.web.instances.map((i) => i.release)).toEqual([r2, r2]);
      await load.moreOk(100);

      // Next deploy: waits again, then an operator aborts it.
      t.commit({ 'server.js': `// v3\n${SERVER_JS}` }, 'v3');
      const deploy3 = await t.cli(['deploy', 'production'], { timeoutMs: 90_000 });
      expect(deploy3.code, `${deploy3.stdout}\n${deploy3.stderr}`).toBe(0);
      expect(deploy3.stderr).toContain('paused: waiting for tandem promote');
      r3 = TandemUp.web(await t.status()).env.rollout?.release as string;
      expect([r1, r2]).not.toContain(r3);
      const abort = await t.cli(['abort', 'production', '--reason', 'looks wrong'], { timeoutMs: 90_000 });
      expect(abort.code, `${abort.stdout}\n${abort.stderr}`).toBe(0);
      expect(abort.stdout).toMatch(/: rolled-back/);
      const back = TandemUp.web(await t.waitSteady(2, { release: r2 }));
      expect(back.env.rollout).toMatchObject({ state: 'rolled-back', release: r3 });
      expect(back.env.rollout?.reason).toContain('aborted by operator: looks wrong');
      expect(back.web.instances.map((i) => i.release)).toEqual([r2, r2]);
      await load.moreOk(100);
    } finally {
      result = await load.stop();
    }
    // No request failed through promote and abort; all three releases answered.
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);
    expect(releasesOf(result)).toEqual([r1, r2, r3].sort());

    // After the abort, all traffic is on r2 again.
    const after = startLoad({ port: t.listenPort, concurrency: 4 });
    let afterResult: LoadResult;
    try {
      await after.moreOk(200);
    } finally {
      afterResult = await after.stop();
    }
    expect(afterResult.failed + afterResult.non2xx, describeLoad(afterResult)).toBe(0);
    expect(releasesOf(afterResult)).toEqual([r2]);

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 150_000);
});
