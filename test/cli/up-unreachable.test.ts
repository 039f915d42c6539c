import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

const VERBS = [
  ['status'],
  ['status', '--json'],
  ['deploy', 'production'],
  ['rollback', 'production'],
  ['restart', 'production'],
  ['scale', 'web', '3', '--env', 'production'],
  ['apply'],
  ['history', 'production'],
  ['logs', 'web'],
];

describe('verbs without a control plane (real CLI)', () => {
  it('exit 3 and say to run `tandem up`, with no server.json, a stale one, or TANDEM_URL', async () => {
    t = await TandemUp.create();
    const project = t;

    const none = await Promise.all(VERBS.map((args) => project.cli(args)));
    none.forEach((r, i) => {
      const what = `tandem ${VERBS[i]?.join(' ')}: ${r.stdout}${r.stderr}`;
      expect(r.code, what).toBe(3);
      if (VERBS[i]?.includes('--json')) {
        expect(JSON.parse(r.stdout).error.code, what).toBe('TANDEM_UNREACHABLE');
      } else {
        expect(r.stderr, what).toMatch(/no control plane is running.*tandem up/);
      }
    });

    // A server.json left by a control plane that died: the URL answers nothing.
    const [dead] = (await freePorts(1)) as [number];
    const url = `http://127.0.0.1:${dead}`;
    mkdirSync(path.join(t.dir, '.tandem'));
    writeFileSync(
      path.join(t.dir, '.tandem', 'server.json'),
      JSON.stringify({
        url,
        pid: 999_999,
        project: 'uptest',
        root: t.dir,
        config: path.join(t.dir, 'tandem.yaml'),
        startedAt: new Date().toISOString(),
      }),
    );
    const stale = await Promise.all([t.cli(['status']), t.cli(['scale', 'web', '1', '--env', 'production'])]);
    for (const r of stale) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`cannot reach the control plane at ${url}`);
      expect(r.stderr).toContain('tandem up');
    }

    const viaEnv = await t.cli(['status'], { env: { TANDEM_URL: url } });
    expect(viaEnv.code, viaEnv.stderr).toBe(3);
    expect(viaEnv.stderr).toContain('tandem up');

    // `down` with nothing to stop says so, also with exit 3.
    const down = await t.cli(['down']);
    expect(down.code).toBe(3);
    expect(down.stdout + down.stderr).toMatch(/nothing to stop/);
    expect(t.alive()).toEqual([]);
  }, 60_000);
});
