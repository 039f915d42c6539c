import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../pipeline/executors/local/process-group.js';
import { pickFreePort } from './free-port.js';
import { createKit, httpGet, type Kit, waitFor } from './test-kit.js';

let kit: Kit;
afterEach(async () => {
  await kit.dispose();
});

describe('supervisor: a real HTTP instance', () => {
  it('becomes running and healthy on its own port, then unhealthy after the failure threshold', async () => {
    kit = createKit();
    const { sup } = kit;
    const spec = kit.spec({});
    const first = sup.start(spec);
    expect(first).toMatchObject({ id: spec.id, state: 'starting', healthy: false, port: 0, restarts: 0 });

    const up = await waitFor(
      'running and healthy',
      () => sup.get(spec.id),
      (s) => s?.state === 'running' && s.healthy,
    );
    expect(up?.port).toBeGreaterThan(0);
    expect(up?.pid).toBeGreaterThan(0);
    const port = up!.port;
    expect(await httpGet(port, '/')).toEqual({ status: 200, body: `hello from ${port}` });

    await httpGet(port, '/fail');
    const down = await waitFor(
      'unhealthy',
      () => sup.get(spec.id),
      (s) => s?.healthy === false,
    );
    expect(down?.state).toBe('running'); // still up: only its health changed
    expect(down?.pid).toBe(up?.pid);
    const log = readFileSync(down!.logFile, 'utf8');
    expect(log).toContain(`[tandem] instance started pid=${up!.pid} port=${port}`);
    expect(log).toContain('listening on');
    expect(log).toContain('instance unhealthy (3 failing checks in a row, last: HTTP 500 from GET /healthz)');

    // Every change was reported, with copies (mutating one changes nothing).
    const mine = kit.events.filter((e) => e.id === spec.id);
    expect(mine.map((e) => `${e.state}/${e.healthy}`)).toEqual([
      'starting/false', // created, port not picked yet
      'starting/false', // spawned
      'running/true',
      'running/false',
    ]);
    mine[0]!.state = 'exited';
    expect(sup.get(spec.id)?.state).toBe('running');
  });

  it('restarts a process killed with SIGKILL, and on restartNow(), each time healthy again', async () => {
    kit = createKit();
    const { sup } = kit;
    const spec = kit.spec({ port: 0 });
    sup.start(spec);
    const up = await waitFor(
      'healthy',
      () => sup.get(spec.id),
      (s) => s?.healthy === true,
    );
    const pid1 = up!.pid!;

    process.kill(pid1, 'SIGKILL');
    const again = await waitFor(
      'restarted and healthy',
      () => sup.get(spec.id),
      (s) => s?.restarts === 1 && s.pid !== null && s.healthy,
    );
    expect(again?.pid).not.toBe(pid1);
    expect(again?.port).toBe(up?.port); // the data plane's route stays valid
    expect(again?.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(again?.createdAt).toBe(up?.createdAt);
    expect(isProcessAlive(pid1)).toBe(false);
    expect(kit.events.some((e) => e.state === 'starting' && e.pid === null && e.restarts === 0)).toBe(true);

    sup.restartNow(spec.id);
    const third = await waitFor(
      'restarted again',
      () => sup.get(spec.id),
      (s) => s?.restarts === 2 && s.pid !== null && s.healthy,
    );
    expect(third?.pid).not.toBe(again?.pid);
    expect(isProcessAlive(again!.pid!)).toBe(false);
    expect(await sup.tail(spec.id, 200)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\[tandem\] instance restarted \(restart 2\) pid=/)]),
    );
  });

  it('starts a fixed port at once, refuses a taken or invalid id, and forgets an instance once stopped', async () => {
    kit = createKit();
    const { sup } = kit;
    const port = await pickFreePort();
    const spec = kit.spec({ port });
    const status = sup.start(spec);
    expect(status.pid).toBeGreaterThan(0);
    expect(status.port).toBe(port);
    expect(() => sup.start(spec)).toThrow(expect.objectContaining({ code: 'TANDEM_INSTANCE_EXISTS' }));
    expect(() => sup.start(kit.spec({ id: '../etc' }))).toThrow(
      expect.objectContaining({ code: 'TANDEM_INSTANCE_ID_INVALID' }),
    );
    expect(() => sup.restartNow('nope')).toThrow(
      expect.objectContaining({ code: 'TANDEM_INSTANCE_NOT_FOUND' }),
    );

    await sup.stop(spec.id);
    expect(sup.list()).toEqual([]);
    expect(sup.get(spec.id)).toBeUndefined();
    expect(kit.events.at(-1)).toMatchObject({ id: spec.id, state: 'exited', pid: null });
    expect(isProcessAlive(status.pid!)).toBe(false);
    // Its log outlives it.
    expect((await sup.tail(spec.id, 1))[0]).toBe('[tandem] instance stopped');
  });
});
