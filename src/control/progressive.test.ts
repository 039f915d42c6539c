import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { makeProject, removeProject } from '../../test/helpers/cli.js';
import { loadConfig } from '../config/load.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { ControlPlane } from './control-plane.js';
import { FakeAgent } from './fake-agent.js';

const CONFIG = (extra: { staging?: string; production?: string } = {}) => `project: shop
pipeline:
  on: { push: { branches: [main], poll: 1h } }
  jobs:
    build: { run: "true" }
services:
  web:
    run: node server.js
    replicas: 1
environments:
  staging:
    listen: 18081
    auto: true
${extra.staging ?? ''}
  production:
    listen: 18082
    auto: true
    promote_from: staging
${extra.production ?? ''}
`;

let dir: string | undefined;
let store: Store | undefined;
let plane: ControlPlane | undefined;
let now = Date.parse('2026-11-27T10:00:00Z');

afterEach(async () => {
  await plane?.stop();
  await store?.close();
  if (dir) removeProject(dir);
  plane = store = dir = undefined;
});

async function start(config: string): Promise<{ cp: ControlPlane; agent: FakeAgent; store: Store }> {
  dir = makeProject({ 'tandem.yaml': config, 'server.js': '' }, { git: true });
  store = await openStoreAt(':memory:');
  const agent = new FakeAgent();
  const loaded = await loadConfig({ cwd: dir });
  plane = new ControlPlane({
    loaded,
    store,
    agent,
    env: { ...process.env, TANDEM_MASTER_KEY: 'a'.repeat(64) },
    clock: { now: () => now },
  });
  return { cp: plane, agent, store };
}

function commit(): string {
  execFileSync(
    'sh',
    ['-c', 'echo x >> server.js && git add -A && git -c user.email=t@t -c user.name=t commit -qm change'],
    { cwd: dir },
  );
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
}

/** Reconcile and run queued automatic deploys until `done` (releases build for real: wall-clock bound). */
async function until(cp: ControlPlane, agent: FakeAgent, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await done()) return;
    await cp.reconcileNow();
    agent.settle();
    await cp.runAutoDeploys();
    now += 1000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not reached');
}

const latest = async (s: Store, env: string) => (await s.deployments.history(env, 1))[0];

describe('push to deploy through the environment chain (fake agent, real git and pipeline)', () => {
  it('a push deploys to staging, and the promoted release flows on to production by itself', async () => {
    const { cp, agent, store: s } = await start(CONFIG());
    const sha = commit();
    cp.push('main', sha);
    await until(cp, agent, async () => (await latest(s, 'production'))?.state === 'succeeded');
    const staging = await latest(s, 'staging');
    const production = await latest(s, 'production');
    expect(staging?.release).toBe(production?.release);
    expect(staging?.release).toContain(sha.slice(0, 7));
    const started = await s.events.list({ type: 'deployment.started' });
    expect(started.map((e) => e.data.trigger)).toEqual([
      `push to main (${sha.slice(0, 7)})`,
      'promoted in staging',
    ]);
  }, 30_000);

  it('approval holds the production rollout until `approve`, and only an allowed role may approve', async () => {
    const { cp, agent, store: s } = await start(CONFIG({ production: '    approval: [operator]' }));
    cp.push('main', commit());
    await until(
      cp,
      agent,
      async () => (await cp.status()).environments[1]?.rollout?.state === 'awaiting-approval',
    );
    expect(agent.instances.size).toBe(1); // staging only
    await expect(
      cp.approve({ environment: 'production', roles: ['developer'], by: 'dev' }),
    ).rejects.toMatchObject({
      code: 'TANDEM_FORBIDDEN',
    });
    await cp.approve({ environment: 'production', roles: ['operator'], by: 'olga' });
    await until(cp, agent, async () => (await latest(s, 'production'))?.state === 'succeeded');
    const approved = await s.events.list({ type: 'deployment.approved' });
    expect(approved[0]?.data).toMatchObject({ by: 'olga' });
  }, 30_000);

  it('self_approval: false — whoever asked for the deployment may not approve it; another operator may', async () => {
    const {
      cp,
      agent,
      store: s,
    } = await start(CONFIG({ production: '    approval: [operator]\n    self_approval: false' }));
    cp.push('main', commit());
    await until(cp, agent, async () => (await latest(s, 'staging'))?.state === 'succeeded');
    // The automatic promotion was Tandem's: anyone with the role may approve it; abort it to deploy by hand.
    await until(
      cp,
      agent,
      async () => (await cp.status()).environments[1]?.rollout?.state === 'awaiting-approval',
    );
    await cp.control('production', { type: 'abort' });
    await until(cp, agent, async () => (await latest(s, 'production'))?.state !== 'progressing');
    const release = (await latest(s, 'staging'))?.release as string;
    const olga = { principal: 'olga', roles: ['operator'] };
    await cp.deploy({ environment: 'production', release, actor: olga, force: true });
    await expect(
      cp.approve({ environment: 'production', roles: ['operator'], by: 'olga' }),
    ).rejects.toMatchObject({ code: 'TANDEM_SELF_APPROVAL', message: expect.stringMatching(/someone else/) });
    await cp.approve({ environment: 'production', roles: ['operator'], by: 'otto' });
    await until(cp, agent, async () => (await latest(s, 'production'))?.state === 'succeeded');
    const started = await s.events.list({ type: 'deployment.started' });
    expect(started.at(-1)?.data).toMatchObject({ by: 'olga' });
  }, 30_000);

  it('a freeze blocks automatic and manual deploys; the automatic one waits for the end, an override is recorded', async () => {
    const { cp, agent, store: s } = await start(CONFIG({ staging: '    freeze: ["Fri 09:00-Fri 12:00"]' }));
    // 2026-11-27 is a Friday; now = 10:00 UTC: frozen until 12:00.
    cp.push('main', commit());
    for (let i = 0; i < 5; i++) await cp.runAutoDeploys();
    expect(await latest(s, 'staging')).toBeUndefined();
    expect(cp.pendingAutoDeploys().has('staging')).toBe(true);
    await expect(cp.deploy({ environment: 'staging' })).rejects.toThrow(
      /frozen \(freeze Fri 09:00 – Fri 12:00 \(UTC\), until Fri 2026-11-27 12:00/,
    );

    const forced = await cp.deploy({ environment: 'staging', overrideFreeze: { reason: 'hotfix INC-42' } });
    expect(forced.deployment.state).toBe('progressing');
    const started = await s.events.list({ type: 'deployment.started' });
    expect(started.at(-1)?.data.trigger).toBe('manual; freeze overridden: hotfix INC-42');
    await until(cp, agent, async () => (await latest(s, 'staging'))?.state === 'succeeded');

    now = Date.parse('2026-11-27T12:00:01Z');
    await until(
      cp,
      agent,
      async () =>
        !cp.pendingAutoDeploys().has('staging') && (await latest(s, 'staging'))?.id !== forced.deployment.id,
    );
  }, 30_000);

  it('a protected environment takes deploys, scaling and rollout commands from operators only; pushes still flow', async () => {
    const { cp, agent, store: s } = await start(CONFIG({ production: '    protected: true' }));
    cp.push('main', commit());
    await until(cp, agent, async () => (await latest(s, 'production'))?.state === 'succeeded');
    const developer = { principal: 'dev', roles: ['developer'] };
    await expect(cp.deploy({ environment: 'production', actor: developer })).rejects.toThrow(
      /"production" is protected: only an operator may deploy there/,
    );
    await expect(
      cp.scale({ environment: 'production', service: 'web', replicas: 2, actor: developer }),
    ).rejects.toMatchObject({
      code: 'TANDEM_FORBIDDEN',
    });
    await cp.scale({ environment: 'staging', service: 'web', replicas: 2, actor: developer });
    await cp.scale({
      environment: 'production',
      service: 'web',
      replicas: 2,
      actor: { principal: 'olga', roles: ['operator'] },
    });
  }, 30_000);

  it('refuses a promotion chain that names an unknown environment or loops', async () => {
    await expect(start(CONFIG().replace('promote_from: staging', 'promote_from: stagin'))).rejects.toThrow(
      /unknown environment "stagin".*did you mean "staging"/s,
    );
    removeProject(dir as string);
    dir = undefined;
    await store?.close();
    store = undefined;
    await expect(
      start(
        CONFIG().replace(
          '    auto: true\n\n  production',
          '    auto: true\n    promote_from: production\n\n  production',
        ),
      ),
    ).rejects.toThrow(/promotion cycle/);
  }, 30_000);
});
