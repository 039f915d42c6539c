import { describe, expect, it } from 'vitest';
import { TandemError } from '../../errors.js';
import { verifyGitLab } from './gitlab.js';

const SECRET = 'gl-token-secret';

function headers(overrides: Record<string, string | undefined> = {}) {
  return {
    'x-gitlab-event': 'Push Hook',
    'x-gitlab-token': SECRET,
    'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
    ...overrides,
  };
}

describe('verifyGitLab', () => {
  it('accepts the right token, with the event UUID as delivery id', () => {
    expect(verifyGitLab({ headers: headers(), secret: SECRET })).toEqual({
      ok: true,
      deliveryId: '13792a34-cac6-4fda-95a8-c58e00a3954e',
      event: 'push',
    });
  });

  it('refuses a wrong token, including one that only differs in length or by a prefix', () => {
    for (const token of ['wrong', `${SECRET}x`, SECRET.slice(0, -1), SECRET.toUpperCase()]) {
      const result = verifyGitLab({ headers: headers({ 'x-gitlab-token': token }), secret: SECRET });
      expect(result, token).toMatchObject({ ok: false, status: 401, code: 'TANDEM_WEBHOOK_TOKEN_INVALID' });
    }
  });

  it('refuses a missing token before looking at anything else', () => {
    const result = verifyGitLab({
      headers: headers({ 'x-gitlab-token': undefined, 'x-gitlab-event': 'Issue Hook' }),
      secret: SECRET,
    });
    expect(result).toMatchObject({ ok: false, status: 401, code: 'TANDEM_WEBHOOK_TOKEN_MISSING' });
  });

  it('treats tag pushes as pushes and answers 202 to other events', () => {
    expect(
      verifyGitLab({ headers: headers({ 'x-gitlab-event': 'Tag Push Hook' }), secret: SECRET }),
    ).toMatchObject({
      ok: true,
      event: 'push',
    });
    expect(
      verifyGitLab({ headers: headers({ 'x-gitlab-event': 'Merge Request Hook' }), secret: SECRET }),
    ).toMatchObject({ ok: false, status: 202, code: 'TANDEM_WEBHOOK_UNSUPPORTED_EVENT' });
    expect(verifyGitLab({ headers: headers({ 'x-gitlab-event': undefined }), secret: SECRET })).toMatchObject(
      {
        ok: false,
        status: 400,
        code: 'TANDEM_WEBHOOK_EVENT_MISSING',
      },
    );
  });

  it('falls back to Idempotency-Key for the delivery id, and requires one of them', () => {
    const fallback = verifyGitLab({
      headers: headers({
        'x-gitlab-event-uuid': undefined,
        'idempotency-key': 'f5f1c8b2-0000-4000-8000-000000000001',
      }),
      secret: SECRET,
    });
    expect(fallback).toMatchObject({ ok: true, deliveryId: 'f5f1c8b2-0000-4000-8000-000000000001' });
    const none = verifyGitLab({ headers: headers({ 'x-gitlab-event-uuid': undefined }), secret: SECRET });
    expect(none).toMatchObject({ ok: false, status: 400, code: 'TANDEM_WEBHOOK_DELIVERY_MISSING' });
  });

  it('refuses to run without a secret', () => {
    expect(() => verifyGitLab({ headers: headers({ 'x-gitlab-token': '' }), secret: '' })).toThrow(
      TandemError,
    );
  });
});
