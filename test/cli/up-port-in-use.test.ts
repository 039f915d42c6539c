import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
let occupier: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (occupier ? occupier.close(resolve) : resolve(undefined)));
  occupier = undefined;
  await t?.destroy();
  t = undefined;
});

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('tandem up with a port already in use (real processes)', () => {
  it("the environment's listen port: exit 1 naming the port, nothing left running", async () => {
    t = await TandemUp.create();
    occupier = await occupy(t.listenPort);

    const up = await t.cli(['up', '--detach', '--port', String(t.apiPort)], { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toContain(`port ${t.listenPort} on 127.0.0.1 is already in use`);
    expect(up.stderr).toContain('production.web');
    // The agent it started for the listeners is gone too, and nothing answers on the API port.
    expect(await t.waitGone(15_000)).toEqual([]);
    expect(existsSync(path.join(t.dir, '.tandem', 'logs', 'agent.log'))).toBe(true); // it had started one
    const status = await t.cli(['status']);
    expect(status.code).toBe(3);
  }, 60_000);

  it('the API port (--port): exit 1 naming the port, nothing left running', async () => {
    t = await TandemUp.create();
    occupier = await occupy(t.apiPort);

    const up = await t.cli(['up', '--detach', '--port', String(t.apiPort)], { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toContain(`port ${t.apiPort} on 127.0.0.1 is in use`);
    expect(up.stderr).toContain('--port');
    expect(await t.waitGone(15_000)).toEqual([]);
    // The listen port it had opened meanwhile is free again.
    occupier.close();
    occupier = await occupy(t.listenPort);
  }, 60_000);

  it('in the foreground too: exit 1, the message on stderr, nothing left running', async () => {
    t = await TandemUp.create();
    occupier = await occupy(t.listenPort);
    const up = await t.cli(['up', '--port', String(t.apiPort)], { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toContain(`port ${t.listenPort} on 127.0.0.1 is already in use`);
    expect(await t.waitGone(15_000)).toEqual([]);
  }, 60_000);
});
