import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { ControlPlane } from './control-plane.js';
import { FakeAgent } from './fake-agent.js';
import { snapshotOf } from './release-config.js';

const CONFIG = (sticky: string) => `project: shop
pipeline:
  jobs:
    build: { run: "true" }
services:
  web:
    run: node server.js
    replicas: 1
environments:
  production:
    listen: 18080
${sticky}`;

let dir: string;
let store: Store;
let agent: FakeAgent;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-sticky-'));
  store = await openStoreAt(':memory:');
  agent = new FakeAgent();
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plane(config: string): Promise<ControlPlane> {
  writeFileSync(path.join(dir, 'tandem.yaml'), config);
  const loaded = await loadConfig({ cwd: dir });
  return new ControlPlane({
    loaded,
    store,
    agent,
    env: { PATH: '/usr/bin' },
    clock: { now: () => 1_000_000 },
  });
}

async function release(): Promise<string> {
  const loaded = await loadConfig({ cwd: dir });
  const r = await store.releases.create({
    project: 'shop',
    commit: 'a'.repeat(40),
    ref: 'HEAD',
    config: snapshotOf(loaded.config),
    dir: (id) => `releases/${id}/src`,
  });
  await store.releases.markReady(r.id, 'run-1');
  return r.id;
}

describe('sticky environments (fake agent)', () => {
  it('open their listener sticky and keep it sticky on every traffic change', async () => {
    const cp = await plane(CONFIG('    sticky: true\n'));
    await cp.start();
    await cp.stop();
    expect(agent.listeners.get('production.web')?.sticky).toBe(true);
    const d = await cp.deploy({ environment: 'production', release: await release() });
    for (let i = 0; i < 20; i++) {
      await cp.reconcileNow();
      agent.settle();
      if ((await cp.deployment(d.deployment.id))?.deployment.state !== 'progressing') break;
    }
    const listener = agent.listeners.get('production.web');
    expect(listener?.traffic.flatMap((t) => t.instances)).toHaveLength(1);
    expect(listener?.sticky).toBe(true);
  });

  it('open a plain listener without `sticky:`', async () => {
    const cp = await plane(CONFIG(''));
    await cp.start();
    await cp.stop();
    expect(agent.listeners.get('production.web')).toBeDefined();
    expect(agent.listeners.get('production.web')?.sticky).toBeUndefined();
  });
});
