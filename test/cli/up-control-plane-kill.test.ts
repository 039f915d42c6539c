import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, isAlive, startCli } from '../helpers/cli.js';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

describe('kill -9 of the control plane during a rolling deploy (real processes, real load)', () => {
  it('drops no request; started again, it adopts the agent and the deploy completes or rolls back, once', async () => {
    // healthy: 3 checks 300ms apart: each new instance takes about a second, so the rollout lasts a while.
    t = await TandemUp.create({
      replicas: 2,
      strategy: 'rolling',
      health: '{ path: /healthz, interval: 300ms, healthy: 3 }',
    });
    await t.up();
    const old = TandemUp.web(await t.waitSteady(2)).web;
    const firstPlane = t.controlPlanePid();
    const agent = t.agentPid();

    t.commit({ 'server.js': `// v2\n${SERVER_JS}` }, 'v2');
    const load = startLoad({ port: t.listenPort, concurrency: 4 });
    let result: LoadResult;
    let deploy: Awaited<ReturnType<typeof collect>>;
    let deployId: string;
    try {
      await load.moreOk(100);
      const following = startCli(['deploy', 'production'], { cwd: t.dir, env: t.env });
      t.remember(following.pid);
      const deployed = collect(following, 120_000);

      // Mid-rollout: the new release has an instance, the rollout is not done.
      deployId = await t.waitFor('a rollout in progress with a new instance', (s) => {
        const { env, web } = TandemUp.web(s);
        const rollout = env.rollout;
        if (rollout === null || rollout.release === old.release || rollout.state !== 'progressing')
          return undefined;
        return web.instances.some((i) => i.release === rollout.release) ? rollout.id : undefined;
      });
      t.kill(firstPlane);
      for (let i = 0; i < 100 && isAlive(firstPlane); i++) await sleep(50);
      expect(isAlive(firstPlane)).toBe(false);
      // Without a control plane, the data plane keeps serving.
      await load.moreOk(200);

      await t.up();
      expect(t.controlPlanePid()).not.toBe(firstPlane);
      deploy = await deployed;
      await load.moreOk(100);
    } finally {
      result = await load.stop();
    }
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);

    // The deploy that was followed rode out the restart and reports how it ended.
    const output = `${deploy.stdout}\n${deploy.stderr}`;
    expect([0, 1], output).toContain(deploy.code);
    expect(deploy.stderr).toContain('control plane unreachable; waiting for it to come back');

    // The agent was adopted, not restarted.
    expect(t.agentPid()).toBe(agent);
    expect(isAlive(agent)).toBe(true);

    // Consistent: promoted with every instance on the new release, or rolled back to the old one.
    const status = await t.waitSteady(2);
    const { env, web } = TandemUp.web(status);
    expect(env.rollout?.id).toBe(deployId);
    if (deploy.code === 0) {
      expect(env.rollout?.state).toBe('promoted');
      expect(web.release).toBe(env.rollout?.release);
    } else {
      expect(env.rollout?.state).toBe('rolled-back');
      expect(web.release).toBe(old.release);
    }
    expect(web.replicas).toEqual({ desired: 2, ready: 2 });
    expect(web.instances.map((i) => i.release)).toEqual([web.release, web.release]);

    const history = await t.cli(['history', 'production', '--json']);
    expect(history.code, history.stderr).toBe(0);
    const ids = (JSON.parse(history.stdout).deployments as Array<{ deployment: { id: string } }>).map(
      (d) => d.deployment.id,
    );
    expect(ids).toHaveLength(2); // the first deploy and this one, once
    expect(ids.filter((id) => id === deployId)).toHaveLength(1);

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 180_000);
});
