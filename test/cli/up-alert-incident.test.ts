import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRow } from '../../src/control/incident-ops.js';
import type { AlertGroupData, Notification } from '../../src/notify/types.js';
import { SIGNATURE_HEADER, verifyBodySignature } from '../../src/notify/webhook/signature.js';
import type { Incident } from '../../src/store/repositories/incidents.js';
import { projectYaml, SERVER_JS, TandemUp } from '../helpers/tandem-up.js';

/**
 * Issue 5, end to end: a service that crashes (and keeps crashing) fires a page alert, which
 * opens an incident and notifies the `default` receiver (notify.webhook, a real HTTP server on
 * 127.0.0.1 in this process); once it is fixed, the alert and the incident resolve by themselves.
 */

const SECRET = 'test-hook-secret';

/** SERVER_JS that exits at once while CRASH_FLAG names an existing file. */
const CRASHING_SERVER = `import { existsSync } from 'node:fs';
if (existsSync(process.env.CRASH_FLAG)) {
  console.error('crash flag present: exiting');
  process.exit(1);
}
${SERVER_JS}`;

interface Received {
  body: Notification;
  headers: IncomingHttpHeaders;
  signed: boolean;
}

/** A webhook receiver on 127.0.0.1 that records every POST and checks its signature. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const header = req.headers[SIGNATURE_HEADER];
      received.push({
        body: JSON.parse(raw.toString('utf8')) as Notification,
        headers: req.headers,
        signed: verifyBodySignature(raw, typeof header === 'string' ? header : undefined, SECRET),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no port');
  return { server, url: `http://127.0.0.1:${address.port}/hook`, received };
}

/** Waits (bounded) until `find` returns something; the notifications so far are in the error. */
async function waitForNotification<T>(
  what: string,
  received: Received[],
  find: () => T | undefined,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(received.map((r) => r.body))}`,
      );
    await sleep(100);
  }
}

/** The web-down alert group notification of `status`, if received. */
function alertGroup(received: Received[], type: 'alert.firing' | 'alert.resolved') {
  return received.find((r) => {
    if (r.body.type !== type) return false;
    const data = r.body.data as AlertGroupData;
    return data.alerts.some((a) => a.labels.alertname === 'web-down');
  });
}

let t: TandemUp | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
  const server = receiver;
  receiver = undefined;
  if (server !== undefined) {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }
});

describe('a crashing service (real processes, real webhook on loopback)', () => {
  it('fires a page alert, opens an incident, notifies the default receiver, and resolves', async () => {
    const hook = await startReceiver();
    receiver = hook.server;
    t = await TandemUp.create({ replicas: 1, serverJs: CRASHING_SERVER });
    const flag = path.join(t.dir, 'crash.flag');
    const yaml = [
      projectYaml(t.listenPort, {
        replicas: 1,
        health: '{ path: /healthz, interval: 200ms }',
        service: { env: `{ CRASH_FLAG: ${JSON.stringify(flag)} }` },
      }).trimEnd(),
      'observe: { interval: 1s }',
      'alerts:',
      '  - { name: web-down, when: "healthy < 1", window: 2s, for: 2s, severity: page, summary: "web has no healthy instance" }',
      'notify:',
      `  webhook: [{ url: "${hook.url}", secret: "${SECRET}" }]`,
      '  routes: [{ receiver: default, group_wait: 1s, group_interval: 2s }]',
      '',
    ].join('\n');
    t.commit({ 'tandem.yaml': yaml, '.gitignore': '.tandem/\ncrash.flag\n' }, 'alerting');

    await t.up();
    const steady = TandemUp.web(await t.waitSteady(1)).web;
    const release = steady.release;
    const victim = steady.instances[0];
    if (victim?.pid == null || release === null)
      throw new Error(`no pid/release in ${JSON.stringify(steady)}`);
    // A healthy deploy pages nobody.
    expect(hook.received.filter((r) => r.body.type.startsWith('alert.')).map((r) => r.body)).toEqual([]);

    // Break it: every restart exits at once, so the supervisor crash-loops (healthy 0).
    writeFileSync(flag, 'crash\n');
    t.kill(victim.pid);

    const firing = await waitForNotification('alert.firing for web-down', hook.received, () =>
      alertGroup(hook.received, 'alert.firing'),
    );
    const firingData = firing.body.data as AlertGroupData;
    expect(firing.body).toMatchObject({ environment: 'production', service: 'web' });
    expect(firingData).toMatchObject({ version: '4', status: 'firing', receiver: 'default' });
    const alert = firingData.alerts.find((a) => a.labels.alertname === 'web-down');
    expect(alert).toMatchObject({
      status: 'firing',
      labels: { alertname: 'web-down', environment: 'production', service: 'web', severity: 'page' },
      annotations: { summary: 'web has no healthy instance' },
      endsAt: '0001-01-01T00:00:00Z',
    });
    expect(firing.headers['x-tandem-event']).toBe('alert.firing');
    expect(firing.headers['x-tandem-delivery']).toBe(firing.body.id);

    const opened = await waitForNotification('incident.opened', hook.received, () =>
      hook.received.find((r) => r.body.type === 'incident.opened'),
    );
    expect(opened.body).toMatchObject({ environment: 'production', service: 'web' });
    expect(opened.body.data).toMatchObject({ severity: 'page', releases: [release] });
    const incidentId = opened.body.data.incident;
    expect(typeof incidentId).toBe('string');

    // The CLI agrees: an open incident linked to the deployed release, and web-down firing.
    const list = await t.cli(['incident', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const open = (JSON.parse(list.stdout) as { incidents: Incident[] }).incidents;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      id: incidentId,
      environment: 'production',
      service: 'web',
      state: 'open',
      severity: 'page',
      title: 'web has no healthy instance',
      cause: { kind: 'alert' },
      releases: [release],
      resolvedAt: null,
    });
    const alerts = await t.cli(['alerts', '--json']);
    expect(alerts.code, alerts.stderr).toBe(0);
    const rows = (JSON.parse(alerts.stdout) as { alerts: AlertRow[] }).alerts;
    const row = rows.find((a) => a.alert === 'web-down' && a.service === 'web');
    expect(row).toMatchObject({ environment: 'production', state: 'firing', severity: 'page', value: 0 });
    expect(open[0]?.alerts).toContain(row?.fingerprint);

    // Fix it: the supervisor's next restart stays up and turns healthy; the alert and incident clear.
    rmSync(flag);
    const resolvedAlert = await waitForNotification('alert.resolved for web-down', hook.received, () =>
      alertGroup(hook.received, 'alert.resolved'),
    );
    const resolvedData = resolvedAlert.body.data as AlertGroupData;
    expect(resolvedData.status).toBe('resolved');
    const cleared = resolvedData.alerts.find((a) => a.labels.alertname === 'web-down');
    expect(cleared?.status).toBe('resolved');
    expect(cleared?.endsAt).not.toBe('0001-01-01T00:00:00Z');
    const incidentResolved = await waitForNotification('incident.resolved', hook.received, () =>
      hook.received.find((r) => r.body.type === 'incident.resolved'),
    );
    expect(incidentResolved.body.data).toMatchObject({ incident: incidentId, releases: [release] });

    const all = await t.cli(['incident', 'list', '--all', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const incidents = (JSON.parse(all.stdout) as { incidents: Incident[] }).incidents;
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ id: incidentId, state: 'resolved', resolvedBy: 'tandem' });
    expect(incidents[0]?.resolvedAt).not.toBeNull();
    const stillOpen = await t.cli(['incident', 'list', '--json']);
    expect((JSON.parse(stillOpen.stdout) as { incidents: Incident[] }).incidents).toEqual([]);

    // Every delivery was signed with the secret, and each was told once (a retry keeps its id).
    expect(hook.received.every((r) => r.signed)).toBe(true);
    for (const type of ['alert.firing', 'alert.resolved', 'incident.opened', 'incident.resolved']) {
      const ids = new Set(hook.received.filter((r) => r.body.type === type).map((r) => r.body.id));
      expect(ids.size, type).toBe(1);
    }

    await t.waitSteady(1);
    const { result: down, left } = await t.down();
    expect(down.code, down.stderr).toBe(0);
    expect(left).toEqual([]);
  }, 90_000);
});
