import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../helpers/cli.js';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

describe('kill -9 of an instance (real processes, real load)', () => {
  it('the supervisor restarts it and, with 2 replicas, no request fails', async () => {
    t = await TandemUp.create({ replicas: 2 });
    await t.up();
    const steady = await t.waitSteady(2);

    // The status contract (issue 3), through the CLI.
    const json = await t.statusCli();
    const { env, web } = TandemUp.web(json);
    expect(env).toMatchObject({ name: 'production', listen: t.listenPort });
    expect(env.rollout).toMatchObject({ state: 'promoted', strategy: 'rolling', release: web.release });
    expect(web.replicas).toEqual({ desired: 2, ready: 2 });
    for (const i of web.instances) {
      expect(i).toMatchObject({ release: web.release, state: 'running', healthy: true });
      expect(typeof i.id).toBe('string');
    }

    const victim = TandemUp.web(steady).web.instances[0];
    if (victim?.pid == null) throw new Error(`no instance pid in ${JSON.stringify(steady)}`);
    const other = TandemUp.web(steady).web.instances[1];

    const load = startLoad({ port: t.listenPort, concurrency: 4 });
    let result: LoadResult;
    let restarted: { pid: number | null; restarts: number } | undefined;
    try {
      await load.moreOk(200);
      t.kill(victim.pid);
      restarted = await t.waitFor('the killed instance restarted and back in traffic', (s) => {
        const i = TandemUp.web(s).web.instances.find((x) => x.id === victim.id);
        return i !== undefined &&
          i.restarts >= 1 &&
          i.pid !== null &&
          i.pid !== victim.pid &&
          i.state === 'running' &&
          i.healthy &&
          i.inTraffic
          ? i
          : undefined;
      });
      await load.moreOk(200);
    } finally {
      result = await load.stop();
    }
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);
    expect(result.ok).toBeGreaterThanOrEqual(400);
    expect(isAlive(victim.pid)).toBe(false);
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);

    // Restarted in place: the same two instances, nothing replaced, both serving.
    const after = TandemUp.web(await t.waitSteady(2)).web;
    expect(after.instances.map((i) => i.id).sort()).toEqual([victim.id, other?.id].sort());
    const served = Object.keys(result.bodies).join('\n');
    expect(served).toContain(victim.id);
    expect(served).toContain(other?.id);

    // `tandem logs` shows both instances, prefixed, including the supervisor's restart line.
    const logs = await t.cli(['logs', 'web', '--env', 'production', '--lines', '200']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(`${victim.id} | [tandem] instance restarted`);
    expect(logs.stdout).toContain(`${other?.id} | `);
    const unknown = await t.cli(['logs', 'wbe']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "web"');

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 120_000);
});
