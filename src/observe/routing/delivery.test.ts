import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher, type DeliveryResult, type Dispatcher } from '../../notify/dispatcher.js';
import { createSlackNotifier } from '../../notify/slack/slack-notifier.js';
import type { Notifier } from '../../notify/types.js';
import { verifyBodySignature } from '../../notify/webhook/signature.js';
import { createWebhookNotifier } from '../../notify/webhook/webhook-notifier.js';
import { createAlertRouter } from './router.js';
import type { AlertUpdate } from './types.js';

/** Real delivery: the router's notifications through the real notifiers to a loopback receiver. */

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const SECRET = 'routing-test-secret';

const alert = (instance: string): AlertUpdate => ({
  fingerprint: `HighErrorRate/${instance}`,
  labels: {
    alertname: 'HighErrorRate',
    environment: 'production',
    service: 'web',
    severity: 'page',
    instance,
  },
  annotations: { summary: 'error rate 31% > 1%', runbook: 'https://runbooks.example/web-errors' },
  state: 'firing',
  startsAt: new Date(T0).toISOString(),
});

describe('alert group delivery', () => {
  let server: Server;
  let port: number;
  const received: Received[] = [];
  const dispatchers: Dispatcher[] = [];

  beforeEach(async () => {
    received.length = 0;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.drain(0);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts an Alertmanager-shaped group inside Tandem’s envelope to each routed receiver', async () => {
    const router = createAlertRouter({
      config: {
        receivers: {
          hook: { kind: 'webhook', url: `http://127.0.0.1:${port}/hook?token=t0k3n`, secret: SECRET },
          chat: { kind: 'slack', url: `http://127.0.0.1:${port}/slack/T0/B0/XYZ` },
        },
        routes: [{ match: { severity: 'page' }, receiver: 'hook', continue: true }],
        defaultReceiver: 'chat',
      },
    });
    const notifiers: Record<string, Notifier> = {
      hook: createWebhookNotifier({ url: `http://127.0.0.1:${port}/hook?token=t0k3n`, secret: SECRET }),
      chat: createSlackNotifier({ url: `http://127.0.0.1:${port}/slack/T0/B0/XYZ` }),
    };
    // The dispatcher fans out to all its notifiers, so the caller keeps one per receiver.
    const results: DeliveryResult[] = [];
    const byReceiver = Object.fromEntries(
      Object.entries(notifiers).map(([name, notifier]) => {
        const d = createDispatcher({ notifiers: [notifier], onResult: (r) => results.push(r) });
        dispatchers.push(d);
        return [name, d];
      }),
    );

    router.ingest([alert('web-1'), alert('web-2')], T0);
    expect(router.tick(T0 + 29_000)).toEqual([]);
    const due = router.tick(T0 + 30_000);
    expect(due.map((d) => d.receiver).sort()).toEqual(['chat', 'hook']);
    for (const { receiver, notification } of due) byReceiver[receiver]!.notify(notification);
    await waitFor(() => results.length === 2);
    expect(results.every((r) => r.ok)).toBe(true);

    const hook = received.find((r) => r.url.startsWith('/hook'))!;
    const hookNotification = due.find((d) => d.receiver === 'hook')!.notification;
    expect(hook.headers['x-tandem-event']).toBe('alert.firing');
    expect(hook.headers['x-tandem-delivery']).toBe(hookNotification.id);
    expect(verifyBodySignature(hook.body, hook.headers['x-tandem-signature-256'] as string, SECRET)).toBe(
      true,
    );
    const body = JSON.parse(hook.body) as Record<string, unknown> & { data: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['id', 'type', 'at', 'environment', 'service', 'summary', 'data']);
    expect(body).toMatchObject({
      type: 'alert.firing',
      at: '2025-03-01T12:00:30.000Z',
      environment: 'production',
      service: 'web',
      summary: 'production: web — 2 alerts firing: HighErrorRate',
    });
    expect(body.data).toEqual({
      version: '4',
      groupKey: 'route0/hook:{alertname="HighErrorRate",environment="production",service="web"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'hook',
      groupLabels: { alertname: 'HighErrorRate', environment: 'production', service: 'web' },
      commonLabels: {
        alertname: 'HighErrorRate',
        environment: 'production',
        service: 'web',
        severity: 'page',
      },
      commonAnnotations: { summary: 'error rate 31% > 1%', runbook: 'https://runbooks.example/web-errors' },
      alerts: ['web-1', 'web-2'].map((instance) => ({
        status: 'firing',
        labels: alert(instance).labels,
        annotations: alert(instance).annotations,
        startsAt: '2025-03-01T12:00:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `HighErrorRate/${instance}`,
        flapping: false,
      })),
    });

    const slack = JSON.parse(received.find((r) => r.url.startsWith('/slack'))!.body) as {
      text: string;
      blocks: Array<{ text?: { text: string } }>;
    };
    expect(slack.text).toBe(':rotating_light: production: web — 2 alerts firing: HighErrorRate');
    expect(slack.blocks[1]!.text!.text).toBe(
      [
        '• :red_circle: *HighErrorRate* `instance=web-1` — error rate 31% &gt; 1% · <https://runbooks.example/web-errors|runbook>',
        '• :red_circle: *HighErrorRate* `instance=web-2` — error rate 31% &gt; 1% · <https://runbooks.example/web-errors|runbook>',
      ].join('\n'),
    );
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
