import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

/** An app that never turns healthy (its gate file is never created): its rollout stays in progress. */
function gatedServer(gate: string): string {
  return SERVER_JS.replace(
    "if (req.url === '/healthz') {",
    `if (req.url === '/healthz' && !(await import('node:fs')).existsSync(${JSON.stringify(gate)})) {
    res.writeHead(503).end('not yet\\n');
    return;
  }
  if (req.url === '/healthz') {`,
  ).replace('createServer((req, res) =>', 'createServer(async (req, res) =>');
}

describe('blue-green, rollback, restart and scale (real processes, real load)', () => {
  it('no request fails; a second deploy is refused unless --force; rollback, restart and scale', async () => {
    t = await TandemUp.create({
      replicas: 2,
      strategy: 'blue-green',
      environment: { scaleDownDelay: '1s', progressDeadline: '60s' },
    });
    await t.up();
    const r1 = TandemUp.web(await t.waitSteady(2)).web.release;

    const load = startLoad({ port: t.listenPort, concurrency: 4 });
    let result: LoadResult;
    let v2: string;
    let v3: string;
    let gated: string;
    try {
      await load.moreOk(100);

      // A blue-green deploy, followed to the end.
      t.commit({ 'server.js': `// v2\n${SERVER_JS}` }, 'v2');
      const deploy = await t.cli(['deploy', 'production'], { timeoutMs: 90_000 });
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stdout).toMatch(/: promoted/);
      v2 = TandemUp.web(await t.waitSteady(2)).web.release;
      expect(v2).not.toBe(r1);
      await load.moreOk(100);

      // A deploy that cannot finish (never healthy) is in progress...
      t.commit({ 'server.js': gatedServer(path.join(t.dir, 'never-created')) }, 'gated');
      const detached = await t.cli(['deploy', 'production', '--detach'], { timeoutMs: 90_000 });
      expect(detached.code, detached.stderr).toBe(0);
      const stuck = await t.waitFor('the gated rollout in progress', (s) => {
        const { env } = TandemUp.web(s);
        return env.rollout?.state === 'progressing' && env.rollout.release !== v2 ? env.rollout : undefined;
      });
      gated = stuck.release;
      // ...so a second one is refused, saying what to do,
      const refused = await t.cli(['deploy', 'production']);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(`a rollout of "production" is in progress (${stuck.id}`);
      expect(refused.stderr).toContain('--force');
      // ...and --force supersedes it with a good release.
      t.commit({ 'server.js': `// v3\n${SERVER_JS}` }, 'v3');
      const forced = await t.cli(['deploy', 'production', '--force'], { timeoutMs: 90_000 });
      expect(forced.code, forced.stderr).toBe(0);
      v3 = TandemUp.web(await t.waitSteady(2)).web.release;
      expect([r1, v2, gated]).not.toContain(v3);
      await load.moreOk(100);

      // Rollback goes to the previous good release (not the superseded one).
      const rollback = await t.cli(['rollback', 'production'], { timeoutMs: 90_000 });
      expect(rollback.code, rollback.stderr).toBe(0);
      const back = TandemUp.web(await t.waitSteady(2, { release: v2 })).web;
      await load.moreOk(100);

      // Restart replaces every instance.
      const restart = await t.cli(['restart', 'production'], { timeoutMs: 90_000 });
      expect(restart.code, restart.stderr).toBe(0);
      const restarted = TandemUp.web(await t.waitSteady(2, { release: v2 })).web;
      const before = new Set(back.instances.map((i) => i.id));
      for (const i of restarted.instances) expect(before.has(i.id), i.id).toBe(false);
      await load.moreOk(100);

      const scale = await t.cli(['scale', 'web', '3', '--env', 'production']);
      expect(scale.code, scale.stderr).toBe(0);
      expect(TandemUp.web(await t.waitSteady(3, { release: v2 })).web.replicas).toEqual({
        desired: 3,
        ready: 3,
      });
      await load.moreOk(100);

      const history = await t.cli(['history', 'production', '--json']);
      const states = (
        JSON.parse(history.stdout).deployments as Array<{ deployment: { kind: string; state: string } }>
      ).map((d) => `${d.deployment.kind} ${d.deployment.state}`);
      expect(states).toEqual([
        'restart succeeded',
        'rollback succeeded',
        'deploy succeeded',
        'deploy superseded',
        'deploy succeeded',
        'deploy succeeded',
      ]);
    } finally {
      result = await load.stop();
    }
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);
    // Traffic went where the deploys said, and never to the release that was never healthy.
    const served = Object.keys(result.bodies).map((b) => b.split(' ')[0]);
    expect(served).toContain(v3);
    expect(served).toContain(v2);
    expect(served).toContain(`${v2}.1`); // the restarted revision
    expect(served).not.toContain(gated);

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 180_000);
});
