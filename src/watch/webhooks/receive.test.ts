import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createMemoryDeliveryLog } from './delivery-log.js';
import { githubPush, gitlabPush, SHA_B, sign } from './fixtures.js';
import { receivePush } from './receive.js';

const SECRET = 'receive-secret';
const body = Buffer.from(JSON.stringify(githubPush()));
const ghHeaders = (delivery: string, overrides: Record<string, string | undefined> = {}) => ({
  'content-type': 'application/json',
  'x-github-event': 'push',
  'x-github-delivery': delivery,
  'x-hub-signature-256': sign(body, SECRET),
  ...overrides,
});

describe('receivePush', () => {
  it('accepts a push once; the same delivery id again is a no-op', () => {
    const deliveries = createMemoryDeliveryLog();
    const first = receivePush({
      provider: 'github',
      body,
      headers: ghHeaders('d-1'),
      secret: SECRET,
      deliveries,
    });
    expect(first).toMatchObject({ ok: true, kind: 'push', status: 202, deliveryId: 'd-1' });
    expect(first.ok && first.kind === 'push' && first.push.after).toBe(SHA_B);

    const replay = receivePush({
      provider: 'github',
      body,
      headers: ghHeaders('d-1'),
      secret: SECRET,
      deliveries,
    });
    expect(replay).toMatchObject({ ok: true, kind: 'ignored', status: 200, reason: 'duplicate' });

    const next = receivePush({
      provider: 'github',
      body,
      headers: ghHeaders('d-2'),
      secret: SECRET,
      deliveries,
    });
    expect(next).toMatchObject({ kind: 'push' });
  });

  it('records nothing for a refused delivery, so a corrected retry gets through', () => {
    const deliveries = createMemoryDeliveryLog();
    const forged = receivePush({
      provider: 'github',
      body,
      headers: ghHeaders('d-1', { 'x-hub-signature-256': sign(body, 'attacker') }),
      secret: SECRET,
      deliveries,
    });
    expect(forged).toMatchObject({ ok: false, status: 401 });
    expect(deliveries.seen('d-1')).toBe(false);

    const bad = Buffer.from(JSON.stringify(githubPush({ after: 'nope' })));
    const malformed = receivePush({
      provider: 'github',
      body: bad,
      headers: ghHeaders('d-2', { 'x-hub-signature-256': sign(bad, SECRET) }),
      secret: SECRET,
      deliveries,
    });
    expect(malformed).toMatchObject({ ok: false, status: 400, code: 'TANDEM_WEBHOOK_PAYLOAD_INVALID' });
    expect(deliveries.seen('d-2')).toBe(false);
  });

  it('acknowledges a ping without parsing it as a push', () => {
    const ping = Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }));
    const result = receivePush({
      provider: 'github',
      body: ping,
      headers: ghHeaders('p-1', { 'x-github-event': 'ping', 'x-hub-signature-256': sign(ping, SECRET) }),
      secret: SECRET,
      deliveries: createMemoryDeliveryLog(),
    });
    expect(result).toMatchObject({ ok: true, kind: 'ignored', reason: 'ping', status: 200 });
  });

  it('takes a GitLab push by token', () => {
    const deliveries = createMemoryDeliveryLog();
    const headers = { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': 'u-1' };
    const glBody = Buffer.from(JSON.stringify(gitlabPush()));
    const result = receivePush({ provider: 'gitlab', body: glBody, headers, secret: SECRET, deliveries });
    expect(result).toMatchObject({ kind: 'push', push: { provider: 'gitlab', branch: 'main' } });
    expect(
      receivePush({ provider: 'gitlab', body: glBody, headers, secret: SECRET, deliveries }),
    ).toMatchObject({
      reason: 'duplicate',
    });
  });

  it('verifies the raw bytes and headers of a real HTTP request', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      // Non-ASCII content: the signature is over bytes, not a re-encoded string.
      const payload = Buffer.from(JSON.stringify(githubPush({ head_commit: { message: 'Ünïcødé ✓' } })));
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          'X-GitHub-Delivery': 'real-1',
          'X-Hub-Signature-256': sign(payload, SECRET),
        },
        body: payload,
      });
      expect(res.status).toBe(200);
      const { headers, body: raw } = received[0]!;
      const result = receivePush({
        provider: 'github',
        body: raw,
        headers,
        secret: SECRET,
        deliveries: createMemoryDeliveryLog(),
      });
      expect(result).toMatchObject({ ok: true, kind: 'push', deliveryId: 'real-1' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
