import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { notifierContract, sampleNotification } from '../contract.js';
import { signBody, verifyBodySignature } from './signature.js';
import { createWebhookNotifier, webhookBody } from './webhook-notifier.js';

const SECRET = 'webhook-test-secret';

notifierContract('webhook', {
  create: (url, options) => createWebhookNotifier({ url, secret: SECRET, ...options }),
  checkDelivery(received, n) {
    expect(JSON.parse(received.body.toString('utf8'))).toEqual(n);
    expect(received.headers['x-tandem-event']).toBe(n.type);
    expect(received.headers['x-tandem-delivery']).toBe(n.id);
    const signature = received.headers['x-tandem-signature-256'];
    expect(typeof signature).toBe('string');
    expect(verifyBodySignature(received.body, signature as string, SECRET)).toBe(true);
    expect(verifyBodySignature(received.body, signature as string, 'another-secret')).toBe(false);
    // The secret itself never travels.
    expect(received.body.toString('utf8')).not.toContain(SECRET);
    expect(JSON.stringify(received.headers)).not.toContain(SECRET);
  },
});

describe('webhook notifier', () => {
  it('signs the exact body bytes: a changed body no longer verifies', () => {
    const body = JSON.stringify(webhookBody(sampleNotification()));
    const signature = signBody(body, SECRET);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyBodySignature(body, signature, SECRET)).toBe(true);
    expect(verifyBodySignature(body.replace('aborted', 'promoted'), signature, SECRET)).toBe(false);
    expect(verifyBodySignature(body, 'sha256=zz', SECRET)).toBe(false);
    expect(verifyBodySignature(body, undefined, SECRET)).toBe(false);
  });

  it('leaves optional fields out of the body rather than sending null', () => {
    const body = webhookBody(
      sampleNotification({ environment: undefined, service: undefined, release: undefined }),
    );
    expect(Object.keys(body)).toEqual(['id', 'type', 'at', 'summary', 'data']);
  });

  it('sends no signature header without a secret', async () => {
    const headers: Array<Record<string, unknown>> = [];
    const server = createServer((req, res) => {
      headers.push(req.headers);
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      await createWebhookNotifier({ url: `http://127.0.0.1:${port}/` }).send(sampleNotification());
      expect(headers).toHaveLength(1);
      expect(headers[0]!['x-tandem-signature-256']).toBeUndefined();
      expect(headers[0]!['x-tandem-delivery']).toBe('tandem-event-42');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('refuses a URL that is not http(s), and an empty secret, without echoing them', () => {
    expect(() => createWebhookNotifier({ url: 'ftp://example.com/x?token=s3cret' })).toThrow(TandemError);
    expect(() => createWebhookNotifier({ url: 'not a url?token=s3cret' })).toThrow(/not a valid URL/);
    try {
      createWebhookNotifier({ url: 'not a url?token=s3cret' });
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
    }
    expect(() => createWebhookNotifier({ url: 'https://example.com/', secret: '' })).toThrow(
      /secret is empty/,
    );
  });
});
