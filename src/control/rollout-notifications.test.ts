import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { verifyBodySignature } from '../notify/index.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { ControlPlane } from './control-plane.js';
import { FakeAgent } from './fake-agent.js';
import { snapshotOf } from './release-config.js';

let dir: string | undefined;
let store: Store | undefined;
let receiver: Server | undefined;

afterEach(async () => {
  await store?.close();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = store = receiver = undefined;
});

describe('rollout notifications (fake agent, real HTTP receiver on loopback)', () => {
  it('a deploy tells the webhook it started and was promoted, signed with the secret', async () => {
    const received: Array<{ event: string; body: string; signature: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({
          event: String(req.headers['x-tandem-event']),
          body,
          signature: String(req.headers['x-tandem-signature-256']),
        });
        res.writeHead(200).end();
      });
    });
    receiver = server;
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-notify-'));
    writeFileSync(
      path.join(dir, 'tandem.yaml'),
      `project: shop
pipeline: { jobs: { build: { run: "true" } } }
notify:
  webhook: [{ url: "http://127.0.0.1:${port}/hook", secret: s3cret }]
services: { web: { run: node server.js, replicas: 1 } }
environments: { production: { listen: 18090 } }
`,
    );
    store = await openStoreAt(':memory:');
    const agent = new FakeAgent();
    const loaded = await loadConfig({ cwd: dir });
    const cp = new ControlPlane({ loaded, store, agent, env: { TANDEM_MASTER_KEY: 'a'.repeat(64) } });
    await cp.start();
    try {
      const r = await store.releases.create({
        project: 'shop',
        commit: 'a'.repeat(40),
        ref: 'HEAD',
        config: snapshotOf(loaded.config),
        dir: (id) => `releases/${id}/src`,
      });
      await store.releases.markReady(r.id, 'run-1');
      const d = await cp.deploy({ environment: 'production', release: r.id });
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !received.some((n) => n.event === 'rollout.promoted')) {
        agent.settle();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await cp.deployment(d.deployment.id))?.state).toBe('promoted');
    } finally {
      await cp.stop();
    }
    expect(received.map((n) => n.event)).toEqual(['rollout.started', 'rollout.promoted']);
    for (const n of received) expect(verifyBodySignature(n.body, n.signature, 's3cret')).toBe(true);
    expect(JSON.parse(received[1]?.body ?? '{}')).toMatchObject({
      environment: 'production',
      type: 'rollout.promoted',
    });
  }, 30_000);
});
