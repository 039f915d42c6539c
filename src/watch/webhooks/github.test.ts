import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { githubPush, sign } from './fixtures.js';
import { verifyGitHub } from './github.js';

const SECRET = 'gh-webhook-secret';
const body = Buffer.from(JSON.stringify(githubPush()));

function headers(overrides: Record<string, string | undefined> = {}) {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': sign(body, SECRET),
    ...overrides,
  };
}

describe('verifyGitHub', () => {
  it('accepts a push signed with the secret over the exact body', () => {
    expect(verifyGitHub({ body, headers: headers(), secret: SECRET })).toEqual({
      ok: true,
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      event: 'push',
    });
  });

  it('reads headers in any casing and accepts upper-case hex', () => {
    const sig = sign(body, SECRET);
    const result = verifyGitHub({
      body,
      headers: {
        'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': 'abc-1',
        'X-Hub-Signature-256': `sha256=${sig.slice(7).toUpperCase()}`,
      },
      secret: SECRET,
    });
    expect(result).toMatchObject({ ok: true, deliveryId: 'abc-1' });
  });

  it('refuses a signature made with another secret', () => {
    const result = verifyGitHub({
      body,
      headers: headers({ 'x-hub-signature-256': sign(body, 'wrong-secret') }),
      secret: SECRET,
    });
    expect(result).toMatchObject({ ok: false, status: 401, code: 'TANDEM_WEBHOOK_SIGNATURE_INVALID' });
  });

  it('refuses a valid signature over a different body', () => {
    const tampered = Buffer.from(JSON.stringify(githubPush({ ref: 'refs/heads/evil' })));
    const result = verifyGitHub({ body: tampered, headers: headers(), secret: SECRET });
    expect(result).toMatchObject({ ok: false, status: 401, code: 'TANDEM_WEBHOOK_SIGNATURE_INVALID' });
    // Even one byte of whitespace changes the signature: the raw body must be used.
    const reformatted = Buffer.from(JSON.stringify(githubPush(), null, 1));
    expect(verifyGitHub({ body: reformatted, headers: headers(), secret: SECRET }).ok).toBe(false);
  });

  it('refuses a missing signature, and says when only the SHA-1 one was sent', () => {
    const missing = verifyGitHub({
      body,
      headers: headers({ 'x-hub-signature-256': undefined }),
      secret: SECRET,
    });
    expect(missing).toMatchObject({ ok: false, status: 401, code: 'TANDEM_WEBHOOK_SIGNATURE_MISSING' });
    const sha1 = verifyGitHub({
      body,
      headers: headers({ 'x-hub-signature-256': undefined, 'x-hub-signature': 'sha1=abc' }),
      secret: SECRET,
    });
    expect(sha1).toMatchObject({ ok: false, code: 'TANDEM_WEBHOOK_SIGNATURE_MISSING' });
    expect(!sha1.ok && sha1.message).toMatch(/SHA-1/);
    const empty = verifyGitHub({ body, headers: headers({ 'x-hub-signature-256': '  ' }), secret: SECRET });
    expect(empty).toMatchObject({ ok: false, code: 'TANDEM_WEBHOOK_SIGNATURE_MISSING' });
  });

  it('refuses malformed signature headers without comparing', () => {
    const good = sign(body, SECRET);
    for (const bad of [
      good.slice(7), // no "sha256=" prefix
      `sha1=${good.slice(7)}`,
      good.slice(0, -2), // too short
      `${good}00`, // too long
      `${good.slice(0, -1)}g`, // not hex
      `${good}, ${good}`, // repeated header, joined by node:http
    ]) {
      const result = verifyGitHub({ body, headers: headers({ 'x-hub-signature-256': bad }), secret: SECRET });
      expect(result, bad).toMatchObject({
        ok: false,
        status: 400,
        code: 'TANDEM_WEBHOOK_SIGNATURE_MALFORMED',
      });
    }
  });

  it('checks the signature before it looks at the event (an unsigned ping is refused)', () => {
    const result = verifyGitHub({
      body,
      headers: headers({ 'x-github-event': 'ping', 'x-hub-signature-256': undefined }),
      secret: SECRET,
    });
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('acknowledges a signed ping, and answers 202 to events it does not act on', () => {
    expect(
      verifyGitHub({ body, headers: headers({ 'x-github-event': 'ping' }), secret: SECRET }),
    ).toMatchObject({
      ok: true,
      event: 'ping',
    });
    const issues = verifyGitHub({ body, headers: headers({ 'x-github-event': 'issues' }), secret: SECRET });
    expect(issues).toMatchObject({ ok: false, status: 202, code: 'TANDEM_WEBHOOK_UNSUPPORTED_EVENT' });
    const none = verifyGitHub({ body, headers: headers({ 'x-github-event': undefined }), secret: SECRET });
    expect(none).toMatchObject({ ok: false, status: 400, code: 'TANDEM_WEBHOOK_EVENT_MISSING' });
  });

  it('requires a sane delivery id', () => {
    const missing = verifyGitHub({
      body,
      headers: headers({ 'x-github-delivery': undefined }),
      secret: SECRET,
    });
    expect(missing).toMatchObject({ ok: false, status: 400, code: 'TANDEM_WEBHOOK_DELIVERY_MISSING' });
    for (const bad of ['x'.repeat(200), 'id with spaces', '../../etc']) {
      const result = verifyGitHub({ body, headers: headers({ 'x-github-delivery': bad }), secret: SECRET });
      expect(result, bad).toMatchObject({ ok: false, status: 400, code: 'TANDEM_WEBHOOK_DELIVERY_INVALID' });
    }
  });

  it('refuses to run without a secret (a setup error, not a request error)', () => {
    expect(() => verifyGitHub({ body, headers: headers(), secret: '' })).toThrow(TandemError);
  });
});
