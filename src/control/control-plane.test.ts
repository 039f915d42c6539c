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

const CONFIG = (strategy: string, replicas = 2) => `project: shop
pipeline:
  jobs:
    build: { run: "true" }
services:
  web:
    run: node server.js
    health: { path: /healthz }
    replicas: ${replicas}
    env: { MODE: fast }
environments:
  production:
    listen: 18080
    strategy: ${strategy}
`;

let dir: string;
let store: Store;
let agent: FakeAgent;
let now: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-cp-'));
  store = await openStoreAt(':memory:');
  agent = new FakeAgent();
  now = 1_000_000;
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plane(config: string): Promise<ControlPlane> {
  writeFileSync(path.join(dir, 'tandem.yaml'), config);
  const loaded = await loadConfig({ cwd: dir });
  const cp = new ControlPlane({
    loaded,
    store,
    agent,
    env: { PATH: '/usr/bin', TANDEM_MASTER_KEY: 'a'.repeat(64) },
    clock: { now: () => now },
  });
  return cp;
}

/** A ready release as if built from a commit (the fake agent runs nothing in its directory). */
async function release(commit: string): Promise<string> {
  const loaded = await loadConfig({ cwd: dir });
  const r = await store.releases.create({
    project: 'shop',
    commit: commit.padEnd(40, '0'),
    ref: 'HEAD',
    config: snapshotOf(loaded.config),
    dir: (id) => `releases/${id}/src`,
  });
  await store.releases.markReady(r.id, 'run-1');
  return r.id;
}

/** Reconcile passes with the fake agent settling instances in between, until the deployment ends. */
async function settle(cp: ControlPlane, id: string, maxPasses = 40): Promise<string> {
  for (let i = 0; i < maxPasses; i++) {
    await cp.reconcileNow();
    agent.settle();
    now += 1000;
    const view = await cp.deployment(id);
    if (view?.deployment.state !== 'progressing') return view?.state ?? 'missing';
  }
  return (await cp.deployment(id))?.state ?? 'missing';
}

describe('control plane (fake agent)', () => {
  it('deploys a release with a rolling update, then a second one, never leaving traffic empty', async () => {
    const cp = await plane(CONFIG('rolling'));
    await cp.start();
    await cp.stop();
    const r1 = await release('aaaaaaa');
    const first = await cp.deploy({ environment: 'production', release: r1 });
    expect(await settle(cp, first.deployment.id)).toBe('promoted');

    const r2 = await release('bbbbbbb');
    const second = await cp.deploy({ environment: 'production', release: r2 });
    for (let i = 0; i < 40; i++) {
      await cp.reconcileNow();
      agent.settle();
      now += 1000;
      const routed = agent.listeners.get('production.web')?.traffic.flatMap((t) => t.instances) ?? [];
      expect(routed.length).toBeGreaterThanOrEqual(2);
      if ((await cp.deployment(second.deployment.id))?.deployment.state !== 'progressing') break;
    }
    const status = await cp.status();
    const env = status.environments[0];
    expect(env?.rollout).toMatchObject({
      id: second.deployment.id,
      state: 'promoted',
      strategy: 'rolling',
      release: r2,
    });
    expect(env?.services[0]).toMatchObject({ name: 'web', release: r2, replicas: { desired: 2, ready: 2 } });
    expect(env?.services[0]?.instances.every((i) => i.release === r2 && i.healthy)).toBe(true);
    // The instance gets the service's env and Tandem's ids, never Tandem's own secrets.
    const spec = [...agent.instances.values()][0]?.spec;
    expect(spec?.env).toMatchObject({ MODE: 'fast', TANDEM_RELEASE: r2, TANDEM_ENVIRONMENT: 'production' });
    expect(spec?.env.TANDEM_MASTER_KEY).toBeUndefined();
  });

  it('rolls back a crash-looping release, keeps the old one serving, and reports its last log lines', async () => {
    const cp = await plane(CONFIG('rolling'));
    const r1 = await release('aaaaaaa');
    await settle(cp, (await cp.deploy({ environment: 'production', release: r1 })).deployment.id);
    const r2 = await release('ccccccc');
    agent.crashing.add(r2);
    const d = await cp.deploy({ environment: 'production', release: r2 });
    expect(await settle(cp, d.deployment.id)).toBe('rolled-back');
    const view = await cp.deployment(d.deployment.id);
    expect(view?.deployment.reason).toMatch(/crashlooping/);
    expect(view?.deployment.reason).toMatch(/boom from production-web-/);
    const instances = [...agent.instances.values()];
    expect(instances.map((i) => i.revision)).toEqual([r1, r1]);
    const status = await cp.status();
    expect(status.environments[0]?.services[0]?.release).toBe(r1);
  });

  it('refuses a second rollout of the same environment unless forced', async () => {
    const cp = await plane(CONFIG('blue-green'));
    const r1 = await release('aaaaaaa');
    const first = await cp.deploy({ environment: 'production', release: r1 });
    await expect(cp.deploy({ environment: 'production', release: r1 })).rejects.toMatchObject({
      code: 'TANDEM_ROLLOUT_IN_PROGRESS',
    });
    const forced = await cp.deploy({ environment: 'production', release: r1, force: true });
    expect((await cp.deployment(first.deployment.id))?.deployment.state).toBe('superseded');
    expect(await settle(cp, forced.deployment.id)).toBe('promoted');
  });

  it('rolls back to the previous release, restarts with a new revision, and scales', async () => {
    const cp = await plane(CONFIG('rolling'));
    const r1 = await release('aaaaaaa');
    const r2 = await release('bbbbbbb');
    await settle(cp, (await cp.deploy({ environment: 'production', release: r1 })).deployment.id);
    await settle(cp, (await cp.deploy({ environment: 'production', release: r2 })).deployment.id);
    const back = await cp.rollback({ environment: 'production' });
    expect(back.deployment).toMatchObject({ kind: 'rollback', release: r1 });
    expect(await settle(cp, back.deployment.id)).toBe('promoted');

    const before = new Set(agent.instances.keys());
    const restart = await cp.restart({ environment: 'production' });
    expect(await settle(cp, restart.deployment.id)).toBe('promoted');
    const after = [...agent.instances.values()];
    expect(after).toHaveLength(2);
    expect(after.every((i) => !before.has(i.id) && i.revision === `${r1}.1`)).toBe(true);

    await cp.scale({ environment: 'production', service: 'web', replicas: 3 });
    for (let i = 0; i < 5; i++) {
      await cp.reconcileNow();
      agent.settle();
    }
    const status = await cp.status();
    expect(status.environments[0]?.services[0]?.replicas).toEqual({ desired: 3, ready: 3 });
    await expect(cp.scale({ environment: 'production', service: 'wbe', replicas: 3 })).rejects.toThrow(
      /did you mean "web"/,
    );
  });

  it('apply refuses an invalid file and keeps the running config; a valid one changes replicas', async () => {
    const cp = await plane(CONFIG('rolling'));
    const r1 = await release('aaaaaaa');
    await settle(cp, (await cp.deploy({ environment: 'production', release: r1 })).deployment.id);
    writeFileSync(path.join(dir, 'tandem.yaml'), CONFIG('rolling').replace('replicas: 2', 'replicas: two'));
    await expect(cp.apply()).rejects.toMatchObject({ code: 'TANDEM_CONFIG_INVALID' });
    expect((await cp.status()).environments[0]?.services[0]?.replicas.desired).toBe(2);
    writeFileSync(path.join(dir, 'tandem.yaml'), CONFIG('rolling', 3));
    const applied = await cp.apply();
    expect(applied.changes).toEqual(['environment production changed']);
    for (let i = 0; i < 5; i++) {
      await cp.reconcileNow();
      agent.settle();
    }
    expect((await cp.status()).environments[0]?.services[0]?.replicas).toEqual({ desired: 3, ready: 3 });
  });

  it('a worker (no listener) goes through a blue-green rollout to the end', async () => {
    const config = CONFIG('blue-green')
      .replace('environments:', '  worker:\n    run: node worker.js\n    replicas: 1\nenvironments:')
      .replace('listen: 18080', 'listen: { web: 18080 }\n    scaleDownDelay: 1s');
    const cp = await plane(config);
    const r1 = await release('aaaaaaa');
    expect(
      await settle(cp, (await cp.deploy({ environment: 'production', release: r1 })).deployment.id),
    ).toBe('promoted');
    const r2 = await release('bbbbbbb');
    expect(
      await settle(cp, (await cp.deploy({ environment: 'production', release: r2 })).deployment.id),
    ).toBe('promoted');
    const workers = [...agent.instances.values()].filter((i) => i.service === 'worker');
    expect(workers.map((i) => i.revision)).toEqual([r2]);
  });

  it('names unknown environments and releases with a did-you-mean', async () => {
    const cp = await plane(CONFIG('rolling'));
    await expect(cp.deploy({ environment: 'prodution', release: 'r1-aaaaaaa' })).rejects.toThrow(
      /unknown environment "prodution".*did you mean "production"/,
    );
    await expect(cp.deploy({ environment: 'production', release: 'r9-aaaaaaa' })).rejects.toMatchObject({
      code: 'TANDEM_UNKNOWN_RELEASE',
    });
  });
});
