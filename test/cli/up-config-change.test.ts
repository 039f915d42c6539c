import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

describe('a config change (real processes, real load)', () => {
  it('an invalid tandem.yaml is refused with file:line:col and the running config stays; a valid one is applied', async () => {
    t = await TandemUp.create({ replicas: 2 });
    await t.up();
    const before = TandemUp.web(await t.waitSteady(2)).web;
    const file = path.join(t.dir, 'tandem.yaml');
    const valid = readFileSync(file, 'utf8');
    const typo = valid.replace('    replicas: 2\n', '    replicas: two\n');
    expect(typo).not.toBe(valid);
    const line = typo.split('\n').indexOf('    replicas: two') + 1;

    const load = startLoad({ port: t.listenPort, concurrency: 4 });
    let result: LoadResult;
    try {
      await load.moreOk(100);
      writeFileSync(file, typo);
      const apply = await t.cli(['apply']);
      expect(apply.code, apply.stderr).toBe(2);
      expect(apply.stderr).toMatch(new RegExp(`tandem\\.yaml:${line}:\\d+: services\\.web\\.replicas: `));

      const json = await t.cli(['apply', '--json']);
      expect(json.code).toBe(2);
      const error = JSON.parse(json.stdout).error;
      expect(error.code).toBe('TANDEM_CONFIG_INVALID');
      expect(error.issues[0]).toMatchObject({ line, path: ['services', 'web', 'replicas'] });

      // A deploy reads the file too: refused the same way, nothing rolled out.
      const deploy = await t.cli(['deploy', 'production']);
      expect(deploy.code, deploy.stderr).toBe(2);
      expect(deploy.stderr).toContain(`tandem.yaml:${line}:`);

      // The running config stays: same release, 2 of 2 ready, traffic served.
      const status = await t.cli(['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`web  ${before.release}  2/2 ready`);
      const still = TandemUp.web(await t.waitSteady(2, { release: before.release })).web;
      expect(still.instances.map((i) => i.id).sort()).toEqual(before.instances.map((i) => i.id).sort());
      await load.moreOk(100);

      writeFileSync(file, valid.replace('    replicas: 2\n', '    replicas: 3\n'));
      const fixed = await t.cli(['apply']);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(fixed.stdout).toContain('environment production changed');
      const three = TandemUp.web(await t.waitSteady(3, { release: before.release })).web;
      expect(three.replicas).toEqual({ desired: 3, ready: 3 });
      await load.moreOk(100);
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
