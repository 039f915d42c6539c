import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

const CRASHING = `console.error('boom: DATABASE_URL is not set, cannot start');\nprocess.exit(1);\n${SERVER_JS}`;

describe('a release that crashes at start (real processes, real load)', () => {
  it('fails the deploy with the last log lines; the old release keeps serving with all its replicas', async () => {
    t = await TandemUp.create({ replicas: 2, environment: { progressDeadline: '40s' } });
    await t.up();
    const old = TandemUp.web(await t.waitSteady(2)).web;

    t.commit({ 'server.js': CRASHING }, 'crash at start');
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
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(1);
    // The app's own last words, not only "it failed".
    expect(deploy.stderr).toContain('boom: DATABASE_URL is not set, cannot start');
    expect(deploy.stderr).toMatch(/crashlooping|not healthy|no progress/);
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);
    // Every answer came from the old release.
    for (const body of Object.keys(result.bodies))
      expect(body.startsWith(`${old.release} `), body).toBe(true);

    const status = await t.waitSteady(2, { release: old.release });
    const { env, web } = TandemUp.web(status);
    expect(web.replicas).toEqual({ desired: 2, ready: 2 });
    expect(web.instances.map((i) => i.release)).toEqual([old.release, old.release]);
    expect(env.rollout?.release).not.toBe(old.release); // the failed deploy is the latest one
    expect(env.rollout?.state).toBe('rolled-back');
    expect(deploy.stdout).toMatch(/: rolled-back/);

    const history = await t.cli(['history', 'production', '--json']);
    expect(history.code, history.stderr).toBe(0);
    const deployments = JSON.parse(history.stdout).deployments as Array<{
      state: string;
      deployment: { state: string; reason: string | null };
    }>;
    expect(deployments.map((d) => d.deployment.state)).toEqual(['failed', 'succeeded']);
    expect(deployments[0]?.deployment.reason).toContain('boom: DATABASE_URL is not set');

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 120_000);
});
