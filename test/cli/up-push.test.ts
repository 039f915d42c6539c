import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

const chainYaml = (staging: number, production: number) => `project: uptest
pipeline:
  on: { push: { branches: [main], poll: 300ms, secret: "\${{ env.HOOK_SECRET }}" } }
  jobs:
    build: { run: node -e 0 }
services:
  web:
    run: node server.js
    health: { path: /healthz, interval: 200ms }
    replicas: 1
    drain: 1s
environments:
  staging: { listen: ${staging}, auto: true }
  production: { listen: ${production}, auto: true, promote_from: staging }
`;

const head = (dir: string) =>
  execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();

interface History {
  deployments: Array<{ deployment: { release: string; state: string }; state: string }>;
}

describe('push to deploy (real processes)', () => {
  it('a commit flows to staging by polling, then to production; signed webhooks are checked and deduplicated', async () => {
    t = await TandemUp.create({ serverJs: SERVER_JS });
    const [staging, production] = (await freePorts(2)) as [number, number];
    writeFileSync(path.join(t.dir, 'tandem.yaml'), chainYaml(staging, production));
    t.commit({}, 'chain');
    const secret = 'hook-secret-for-tests';
    Object.assign(t.env, { HOOK_SECRET: secret });
    await t.up({ args: ['--no-deploy'] });

    // A push seen by polling: staging, then production, with the same release.
    t.commit({ 'server.js': `${SERVER_JS}\n// v2\n` }, 'v2');
    const v2 = head(t.dir).slice(0, 7);
    const both = await t.waitFor(
      'v2 in staging and production',
      (s) => {
        const [st, pr] = [s.environments[0], s.environments[1]];
        return st?.rollout?.state === 'promoted' &&
          pr?.rollout?.state === 'promoted' &&
          pr.rollout.release.endsWith(v2)
          ? s
          : undefined;
      },
      90_000,
    );
    expect(both.environments[0]?.rollout?.release).toBe(both.environments[1]?.rollout?.release);
    const served = await (await fetch(`http://127.0.0.1:${production}/`)).text();
    expect(served).toContain(both.environments[1]?.rollout?.release);

    // Webhooks: wrong, missing and valid signatures; a replayed delivery changes nothing.
    t.commit({ 'server.js': `${SERVER_JS}\n// v3\n` }, 'v3');
    const v3 = head(t.dir);
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: v3,
      repository: { name: 'uptest' },
    });
    const send = (headers: Record<string, string>) =>
      fetch(new URL('/v1/webhooks/github', t?.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers },
        body,
      });
    const sign = (key: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const delivery = randomUUID();
    expect((await send({ 'x-github-delivery': delivery, 'x-hub-signature-256': sign('wrong') })).status).toBe(
      401,
    );
    expect((await send({ 'x-github-delivery': delivery })).status).toBe(401);
    const ok = await send({ 'x-github-delivery': delivery, 'x-hub-signature-256': sign(secret) });
    expect(ok.status === 202 || ok.status === 200).toBe(true);
    const replay = await send({ 'x-github-delivery': delivery, 'x-hub-signature-256': sign(secret) });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ ignored: 'duplicate' });

    await t.waitFor(
      'v3 in production',
      (s) =>
        s.environments[1]?.rollout?.state === 'promoted' &&
        s.environments[1].rollout.release.endsWith(v3.slice(0, 7))
          ? s
          : undefined,
      90_000,
    );
    // Polling and the webhook saw the same push: each environment deployed v3 once.
    for (const env of ['staging', 'production']) {
      const history = await t.api<History>(`/v1/environments/${env}/history`);
      const v3Deploys = history.deployments.filter((d) => d.deployment.release.endsWith(v3.slice(0, 7)));
      expect(v3Deploys).toHaveLength(1);
    }

    const { result, left } = await t.down();
    expect(result.code, result.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 180_000);
});
