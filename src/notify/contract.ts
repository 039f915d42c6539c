import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher, type DeliveryResult, type Dispatcher } from './dispatcher.js';
import type { Notification, Notifier } from './types.js';

/**
 * The conformance suite every Notifier must pass, against a real HTTP receiver on 127.0.0.1:
 * it delivers, it is retried (through the real dispatcher) on 5xx, 429, timeouts and refused
 * connections, never on other 4xx, and no error names the URL's query string. Call it from the
 * implementation's test file:
 * `notifierContract('webhook', { create: (url, o) => createWebhookNotifier({ url, ...o }), checkDelivery })`.
 */

export interface ReceivedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface NotifierUnderTest {
  create(url: string, options: { timeoutMs: number }): Notifier;
  /** Asserts the receiver got `n` in this notifier's format. */
  checkDelivery(received: ReceivedRequest, n: Notification): void;
}

/** What the receiver does with the i-th request: answer a status (with headers) or never answer. */
type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

const SECRET_QUERY = 'token=contract-secret-9f3a';

export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: 'tandem-event-42',
    type: 'rollout.aborted',
    at: '2025-03-01T12:00:00.000Z',
    environment: 'production',
    service: 'web',
    release: 'r12-ab12cd3',
    summary: 'production: web rollout of r12-ab12cd3 aborted — error rate 31% > 1% <@here> & co',
    data: { rollout: 'ro-1', step: 1, reason: 'error rate 31% > 1%' },
    ...overrides,
  };
}

export function notifierContract(name: string, subject: NotifierUnderTest): void {
  describe(`notifier contract: ${name}`, () => {
    let receiver: Receiver;
    let dispatcher: Dispatcher | undefined;
    const results: DeliveryResult[] = [];

    beforeEach(async () => {
      receiver = await startReceiver();
      results.length = 0;
    });
    afterEach(async () => {
      await dispatcher?.drain(0);
      dispatcher = undefined;
      await receiver.close();
    });

    const urlOf = (r: Receiver) => `http://127.0.0.1:${r.port}/hooks/tandem?${SECRET_QUERY}`;

    function dispatch(notifier: Notifier, maxAttempts = 5): Dispatcher {
      dispatcher = createDispatcher({
        notifiers: [notifier],
        maxAttempts,
        initialDelayMs: 10,
        maxDelayMs: 50,
        onResult: (r) => results.push(r),
      });
      return dispatcher;
    }

    it('delivers one POST with a JSON body to the configured path and query', async () => {
      const n = sampleNotification();
      const notifier = subject.create(urlOf(receiver), { timeoutMs: 5_000 });
      await notifier.send(n);
      expect(receiver.requests).toHaveLength(1);
      const req = receiver.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.url).toBe(`/hooks/tandem?${SECRET_QUERY}`);
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      expect(() => JSON.parse(req.body.toString('utf8'))).not.toThrow();
      subject.checkDelivery(req, n);
    });

    it('has a name for logs without the query string', () => {
      const notifier = subject.create(`http://user:pw@127.0.0.1:${receiver.port}/x?${SECRET_QUERY}`, {
        timeoutMs: 5_000,
      });
      expect(notifier.name).toContain('127.0.0.1');
      expect(notifier.name).not.toContain('contract-secret');
      expect(notifier.name).not.toContain('pw');
    });

    it('is retried after a 5xx and delivered once', async () => {
      receiver.replies.push({ status: 503, body: 'busy' }, { status: 502 });
      const n = sampleNotification();
      dispatch(subject.create(urlOf(receiver), { timeoutMs: 5_000 })).notify(n);
      await waitFor(() => results.length === 1);
      expect(results[0]).toMatchObject({ ok: true, attempts: 3, id: n.id });
      expect(receiver.requests).toHaveLength(3);
      // Every attempt carries the same notification.
      for (const req of receiver.requests) subject.checkDelivery(req, n);
    });

    it('is retried after a 429 with Retry-After', async () => {
      receiver.replies.push({ status: 429, headers: { 'retry-after': '0' } });
      dispatch(subject.create(urlOf(receiver), { timeoutMs: 5_000 })).notify(sampleNotification());
      await waitFor(() => results.length === 1);
      expect(results[0]).toMatchObject({ ok: true, attempts: 2 });
    });

    it('is not retried after a 4xx other than 408/429, and says what the receiver answered', async () => {
      receiver.replies.push({ status: 400, body: 'invalid_payload' });
      dispatch(subject.create(urlOf(receiver), { timeoutMs: 5_000 })).notify(sampleNotification());
      await waitFor(() => results.length === 1);
      expect(results[0]).toMatchObject({ ok: false, attempts: 1 });
      expect(results[0]!.error).toContain('400');
      expect(results[0]!.error).toContain('invalid_payload');
      expect(results[0]!.error).not.toContain('contract-secret');
      expect(receiver.requests).toHaveLength(1);
    });

    it('is retried after an attempt times out', async () => {
      receiver.replies.push('hang');
      const n = sampleNotification();
      dispatch(subject.create(urlOf(receiver), { timeoutMs: 300 })).notify(n);
      await waitFor(() => results.length === 1);
      expect(results[0]).toMatchObject({ ok: true, attempts: 2 });
      expect(receiver.requests).toHaveLength(2);
    });

    it('is retried when the connection is refused, and gives up after maxAttempts', async () => {
      const closed = await startReceiver();
      const url = urlOf(closed);
      await closed.close();
      dispatch(subject.create(url, { timeoutMs: 5_000 }), 3).notify(sampleNotification());
      await waitFor(() => results.length === 1);
      expect(results[0]).toMatchObject({ ok: false, attempts: 3 });
      expect(results[0]!.error).toMatch(/could not reach/);
      expect(results[0]!.error).not.toContain('contract-secret');
    });
  });
}

interface Receiver {
  port: number;
  requests: ReceivedRequest[];
  /** Replies for the next requests, in order; 200 once they run out. */
  replies: Reply[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const replies: Reply[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const reply = replies.shift() ?? { status: 200, body: 'ok' };
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    requests,
    replies,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        hanging.clear();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
