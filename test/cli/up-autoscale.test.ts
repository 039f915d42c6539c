import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { TopSnapshot } from '../../src/observe/top/types.js';
import { describeLoad, type LoadResult, startLoad } from '../helpers/load.js';
import { projectYaml, type Status, TandemUp } from '../helpers/tandem-up.js';

let t: TandemUp | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

/** Short windows so the whole cycle fits in seconds: evaluate every 2 s, scale in after 4 s quiet. */
const AUTOSCALE = '{ min: 1, max: 4, target: { rps: 40 }, interval: 2s, scaleDown: { stabilization: 4s } }';

interface ScaledEvent {
  id: number;
  environment: string;
  service: string;
  replicas: number;
  by?: string;
  decision?: {
    from: number;
    to: number;
    metric: number | null;
    target: { kind: string; value: number };
    ratio: number | null;
    limitedBy: string | null;
    reason: string;
    policy: Record<string, number>;
  };
}

/** The `service.scaled` events, oldest first (no API route lists events: the store, read-only). */
function scaledEvents(dir: string): ScaledEvent[] {
  const db = new Database(path.join(dir, '.tandem', 'tandem.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT id, data FROM events WHERE type = 'service.scaled' ORDER BY id")
      .all() as Array<{ id: number; data: string }>;
    return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.data) as Omit<ScaledEvent, 'id'>) }));
  } finally {
    db.close();
  }
}

/** production.web has `desired` > 1 instances wanted and all of them running, healthy and in traffic. */
function scaledOutAndReady(s: Status): number | undefined {
  const { web } = TandemUp.web(s);
  const { desired, ready } = web.replicas;
  if (desired <= 1 || ready !== desired || web.instances.length !== desired) return undefined;
  return web.instances.every((i) => i.state === 'running' && i.healthy && i.inTraffic) ? desired : undefined;
}

describe('an autoscaled service (real processes, real load)', () => {
  it('scales out under load without a failed request, and back in when the load stops', async () => {
    t = await TandemUp.create({ replicas: 1, service: { autoscale: AUTOSCALE } });
    // Collect every second (the default 5 s would make the 2 s evaluations read stale windows).
    t.commit({
      'tandem.yaml': `${projectYaml(t.listenPort, { replicas: 1, service: { autoscale: AUTOSCALE } })}observe:\n  interval: 1s\n`,
    });
    await t.up();
    const release = TandemUp.web(await t.waitSteady(1)).web.release;
    expect(scaledEvents(t.dir)).toEqual([]);

    // Paced, not flat-out: 4 keep-alive loops, 25 ms between requests, at most 160 req/s (about
    // 120 measured here), 3-4× the 40 req/s target of one instance. Stops by itself after 25 s.
    const load = startLoad({ port: t.listenPort, concurrency: 4, gapMs: 25, durationMs: 25_000 });
    let result: LoadResult;
    let desired: number;
    let during: Status;
    try {
      await load.moreOk(50);
      desired = await t.waitFor(
        'desired replicas > 1',
        (s) => {
          const d = TandemUp.web(s).web.replicas.desired;
          return d > 1 ? d : undefined;
        },
        15_000,
      );
      // The new instances start, pass their health check and join the listener, under the load.
      await t.waitFor('the scaled-out instances ready and in traffic', scaledOutAndReady, 15_000);
      during = await t.statusCli();
      await load.moreOk(150);
    } finally {
      result = await load.stop();
    }
    expect(desired).toBeGreaterThan(1);
    expect(desired).toBeLessThanOrEqual(4);
    expect(result.failed, describeLoad(result)).toBe(0);
    expect(result.non2xx, describeLoad(result)).toBe(0);
    // The contract (`tandem status --json`) shows the scaled-out service, all on the one release.
    const { web } = TandemUp.web(during);
    expect(web.replicas.desired).toBeGreaterThan(1);
    expect(web.replicas.ready).toBeGreaterThan(1);
    expect(web.instances.every((i) => i.release === release)).toBe(true);
    // The new instances really took traffic (bodies are `<release> <instance>`).
    expect(Object.keys(result.bodies).length, JSON.stringify(result.bodies)).toBeGreaterThan(1);

    // The scale-out is recorded with who did it and why: the decision's inputs.
    const out = scaledEvents(t.dir).find((e) => e.replicas > 1);
    expect(out, JSON.stringify(scaledEvents(t.dir))).toBeDefined();
    expect(out).toMatchObject({ environment: 'production', service: 'web', by: 'autoscaler' });
    const d = out?.decision;
    expect(d).toMatchObject({ from: 1, to: out?.replicas, target: { kind: 'rps', value: 40 } });
    expect(d?.metric).toBeGreaterThan(44); // above target + 10% tolerance, or it would hold
    expect(d?.ratio).toBeCloseTo((d?.metric ?? 0) / 40, 6);
    expect(d?.policy).toMatchObject({
      evaluationIntervalMs: 2000,
      scaleDownStabilisationMs: 4000,
      tolerance: 0.1,
    });
    expect(d?.reason).toMatch(/^rps .* → \d/);

    // `tandem top` shows the autoscaler and its last decision.
    const top = await t.cli(['top', '--once', '--json']);
    expect(top.code, top.stderr).toBe(0);
    const topWeb = (JSON.parse(top.stdout) as TopSnapshot).environments
      .find((e) => e.name === 'production')
      ?.services.find((s) => s.name === 'web');
    expect(topWeb?.autoscale).toMatchObject({ min: 1, max: 4 });
    expect(topWeb?.autoscale?.lastDecision).toMatch(/^rps /);

    // No load: it scales back in to min once the 4 s stabilisation window has passed.
    await t.waitSteady(1, { release, timeoutMs: 30_000 });
    const scaledIn = scaledEvents(t.dir).filter((e) => e.id > (out?.id ?? 0));
    const last = scaledIn.at(-1);
    expect(last, JSON.stringify(scaledIn)).toMatchObject({ replicas: 1, by: 'autoscaler' });
    expect(last?.decision).toMatchObject({ to: 1, target: { kind: 'rps', value: 40 } });
    expect(last?.decision?.ratio).toBeLessThan(0.9);

    // `tandem scale` cannot fight the autoscaler: refused, naming `autoscale`; the count stays.
    const scale = await t.cli(['scale', 'web', '3', '--env', 'production']);
    expect(scale.code, `${scale.stdout}\n${scale.stderr}`).toBe(2);
    expect(scale.stderr).toContain('autoscale');
    expect(TandemUp.web(await t.statusCli()).web.replicas.desired).toBe(1);

    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 120_000);
});
