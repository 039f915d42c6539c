import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, startLoad } from '../helpers/load.js';
import { SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

describe('approval gate (real processes, real load)', () => {
  it('a deploy waits in awaiting-approval, the old release serving, until `tandem approve`', async () => {
    t = await TandemUp.create({ environment: { approval: '[operator]' } });
    await t.up();
    // Even the first deploy (made by `tandem up`) is held.
    await t.waitFor('the first deploy held', (s) =>
      s.environments[0]?.rollout?.state === 'awaiting-approval' ? s : undefined,
    );
    expect((await t.cli(['approve', 'production', '--detach'])).code).toBe(0);
    const first = await t.waitSteady(2);
    const oldRelease = TandemUp.web(first).web.release;
    const load = startLoad({ port: t.listenPort });

    t.commit({ 'server.js': `${SERVER_JS}\n// v2\n` }, 'v2');
    const deploy = await t.cli(['deploy', 'production'], { timeoutMs: 60_000 });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('waiting for approval: `tandem approve production` starts it');
    const held = await t.status();
    expect(held.environments[0]?.rollout?.state).toBe('awaiting-approval');
    expect(TandemUp.web(held).web.instances.every((i) => i.release === oldRelease)).toBe(true);

    const approve = await t.cli(['approve', 'production'], { timeoutMs: 90_000 });
    expect(approve.code, approve.stderr).toBe(0);
    const done = await t.waitSteady(2);
    const newRelease = TandemUp.web(done).web.release;
    expect(newRelease).not.toBe(oldRelease);
    expect(done.environments[0]?.rollout).toMatchObject({ state: 'promoted', release: newRelease });

    const result = await load.stop();
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);
    const again = await t.cli(['approve', 'production']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no rollout of "production" is awaiting approval');

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 150_000);
});
