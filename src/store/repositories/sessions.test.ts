import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';
import { hashSessionId, SESSION_IDLE_MS, SESSION_MAX_MS } from './sessions.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const T0 = Date.UTC(2025, 0, 1);
const t = (ms: number) => new Date(T0 + ms);
const HOUR = 3_600_000;

async function login(at = t(0)) {
  const { token } = await store.tokens.create({ name: 'ada', role: 'operator', createdBy: 'x', at });
  const session = await store.sessions.create({ tokenId: token.id, address: '127.0.0.1', at });
  return { token, session };
}

describe('sessions', () => {
  it('stores only the hash of the cookie value; verifies to its token and csrf', async () => {
    const { token, session } = await login();
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.expiresAt).toBe(t(SESSION_MAX_MS).toISOString());
    const rows = await store.db.selectFrom('sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id_hash).toBe(hashSessionId(session.id));
    expect(JSON.stringify(rows)).not.toContain(session.id);

    const live = await store.sessions.verify(session.id, t(1000));
    expect(live).toEqual({
      token: expect.objectContaining({ id: token.id, name: 'ada', role: 'operator' }),
      csrf: session.csrf,
      createdAt: t(0).toISOString(),
      expiresAt: session.expiresAt,
    });
    expect(await store.sessions.verify('nope', t(1000))).toBeUndefined();
  });

  it('ends after 12 h idle; each request (touched once a minute) keeps it alive', async () => {
    const { session } = await login();
    expect(await store.sessions.verify(session.id, t(SESSION_IDLE_MS - 1000))).toBeDefined();
    // Seen at 11h59m59s: alive until 12 h after that.
    expect(await store.sessions.verify(session.id, t(2 * SESSION_IDLE_MS - 2000))).toBeDefined();
    expect(await store.sessions.verify(session.id, t(3 * SESSION_IDLE_MS))).toBeUndefined();
    expect(await store.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('ends 7 days after the login even when used', async () => {
    const { session } = await login();
    for (let at = HOUR; at < SESSION_MAX_MS; at += 6 * HOUR) {
      expect(await store.sessions.verify(session.id, t(at)), `${at / HOUR}h`).toBeDefined();
    }
    expect(await store.sessions.verify(session.id, t(SESSION_MAX_MS))).toBeUndefined();
  });

  it('dies at once when its token is revoked, and cannot be made for a revoked token', async () => {
    const { token, session } = await login();
    await store.tokens.revoke(token.id, 'x', t(10));
    expect(await store.sessions.verify(session.id, t(11))).toBeUndefined();
    await expect(
      store.sessions.create({ tokenId: token.id, address: '::1', at: t(12) }),
    ).rejects.toMatchObject({
      code: 'TANDEM_TOKEN_NOT_FOUND',
    });
  });

  it('logs out, and purges expired sessions', async () => {
    const { token, session } = await login();
    expect(await store.sessions.end(session.id)).toBe(true);
    expect(await store.sessions.end(session.id)).toBe(false);
    expect(await store.sessions.verify(session.id, t(1))).toBeUndefined();

    await store.sessions.create({ tokenId: token.id, address: '::1', at: t(0) });
    await store.sessions.create({ tokenId: token.id, address: '::1', at: t(10 * HOUR) });
    expect(await store.sessions.purgeExpired(t(13 * HOUR))).toBe(1);
    // Creating a session drops the expired ones too.
    await store.sessions.create({ tokenId: token.id, address: '::1', at: t(30 * HOUR) });
    expect(await store.db.selectFrom('sessions').select('created_at').execute()).toEqual([
      { created_at: t(30 * HOUR).toISOString() },
    ]);
  });
});
