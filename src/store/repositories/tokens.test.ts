import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';
import { hashToken, newTokenPlaintext } from './tokens.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

describe('token plaintext', () => {
  it('is tdm_ and 32 base62 characters, different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const token = newTokenPlaintext();
      expect(token).toMatch(/^tdm_[0-9A-Za-z]{32}$/);
      seen.add(token);
    }
    expect(seen.size).toBe(200);
  });
});

describe('tokens', () => {
  it('stores only the hash and a display prefix; the plaintext verifies', async () => {
    const { token, plaintext } = await store.tokens.create({
      name: 'ci',
      role: 'developer',
      createdBy: 'alice',
      at: t(0),
    });
    expect(token).toEqual({
      id: expect.stringMatching(/^tok-[0-9a-f]{8}$/),
      name: 'ci',
      role: 'developer',
      prefix: `${plaintext.slice(0, 8)}…`,
      createdAt: t(0).toISOString(),
      createdBy: 'alice',
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    const row = await store.db.selectFrom('tokens').selectAll().executeTakeFirstOrThrow();
    expect(row.hash).toBe(hashToken(plaintext));
    expect(JSON.stringify(row)).not.toContain(plaintext);

    expect(await store.tokens.verify(plaintext)).toMatchObject({ id: token.id, role: 'developer' });
    // One character off (never the same one: the last character may be any of the 62).
    const off = `${plaintext.slice(0, -1)}${plaintext.endsWith('x') ? 'y' : 'x'}`;
    expect(await store.tokens.verify(off)).toBeUndefined();
    expect(await store.tokens.verify('')).toBeUndefined();

    const [event] = await store.events.list({ subjectKind: 'token' });
    expect(event).toMatchObject({ type: 'token.created', subjectId: token.id });
    expect(event?.data).toEqual({ name: 'ci', role: 'developer', prefix: token.prefix, createdBy: 'alice' });
    expect(JSON.stringify(await store.events.list())).not.toContain(plaintext);
  });

  it('records the last use at most once a minute', async () => {
    const { token, plaintext } = await store.tokens.create({ name: 'ci', role: 'viewer', createdBy: 'a' });
    await store.tokens.verify(plaintext, { at: t(10) });
    expect((await store.tokens.get(token.id))?.lastUsedAt).toBeNull();
    await store.tokens.verify(plaintext, { at: t(10), touch: true });
    await store.tokens.verify(plaintext, { at: t(69), touch: true });
    expect((await store.tokens.get(token.id))?.lastUsedAt).toBe(t(10).toISOString());
    const verified = await store.tokens.verify(plaintext, { at: t(70), touch: true });
    expect(verified?.lastUsedAt).toBe(t(70).toISOString());
    expect((await store.tokens.get(token.id))?.lastUsedAt).toBe(t(70).toISOString());
  });

  it('revokes by id or name with its event, ending its sessions; the name is free again', async () => {
    const a = await store.tokens.create({ name: 'ci', role: 'developer', createdBy: 'alice', at: t(0) });
    const b = await store.tokens.create({ name: 'ops', role: 'operator', createdBy: 'alice', at: t(1) });
    await store.sessions.create({ tokenId: a.token.id, address: '127.0.0.1', at: t(2) });
    const other = await store.sessions.create({ tokenId: b.token.id, address: '127.0.0.1', at: t(2) });

    const revoked = await store.tokens.revoke('ci', 'bob', t(5));
    expect(revoked).toMatchObject({ id: a.token.id, revokedAt: t(5).toISOString(), revokedBy: 'bob' });
    expect(await store.tokens.verify(a.plaintext)).toBeUndefined();
    expect(await store.db.selectFrom('sessions').select('token_id').execute()).toEqual([
      { token_id: b.token.id },
    ]);
    expect(await store.sessions.verify(other.id, t(6))).toBeDefined();

    await expect(store.tokens.revoke(a.token.id, 'bob')).rejects.toMatchObject({
      code: 'TANDEM_TOKEN_REVOKED',
    });
    await expect(store.tokens.revoke('ci', 'bob')).rejects.toMatchObject({ code: 'TANDEM_TOKEN_NOT_FOUND' });
    await expect(store.tokens.revoke('opz', 'bob')).rejects.toMatchObject({
      code: 'TANDEM_TOKEN_NOT_FOUND',
      message: expect.stringContaining('did you mean ops?'),
    });

    const again = await store.tokens.create({ name: 'ci', role: 'viewer', createdBy: 'alice', at: t(7) });
    await store.tokens.revoke(again.token.id, 'alice', t(8));

    const events = await store.events.list({ subjectKind: 'token' });
    expect(events.map((e) => [e.type, e.subjectId])).toEqual([
      ['token.created', a.token.id],
      ['token.created', b.token.id],
      ['token.revoked', a.token.id],
      ['token.created', again.token.id],
      ['token.revoked', again.token.id],
    ]);
    expect(events[2]?.data).toEqual({ name: 'ci', role: 'developer', by: 'bob', sessionsEnded: 1 });
  });

  it('refuses a taken name, a bad name or a bad role, and writes nothing', async () => {
    await store.tokens.create({ name: 'ci', role: 'viewer', createdBy: 'a' });
    await expect(store.tokens.create({ name: 'ci', role: 'admin', createdBy: 'a' })).rejects.toMatchObject({
      code: 'TANDEM_TOKEN_NAME_TAKEN',
      exitCode: 2,
    });
    for (const name of ['', ' ', 'has space', '-lead', 'x'.repeat(65)]) {
      await expect(store.tokens.create({ name, role: 'viewer', createdBy: 'a' }), name).rejects.toMatchObject(
        {
          code: 'TANDEM_TOKEN_INVALID',
        },
      );
    }
    await expect(
      store.tokens.create({ name: 'root', role: 'root' as 'admin', createdBy: 'a' }),
    ).rejects.toMatchObject({
      code: 'TANDEM_TOKEN_INVALID',
      message: expect.stringContaining('viewer, developer'),
    });
    expect((await store.tokens.list({ all: true })).items.map((x) => x.name)).toEqual(['ci']);
    expect(await store.events.list({ subjectKind: 'token' })).toHaveLength(1);
  });

  it('lists newest first, active only unless all, in pages', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const [i, name] of names.entries()) {
      await store.tokens.create({ name, role: 'viewer', createdBy: 'x', at: t(i) });
    }
    await store.tokens.revoke('c', 'x', t(10));
    expect((await store.tokens.list()).items.map((x) => x.name)).toEqual(['e', 'd', 'b', 'a']);

    const first = await store.tokens.list({ all: true, limit: 2 });
    expect(first.items.map((x) => x.name)).toEqual(['e', 'd']);
    const second = await store.tokens.list({ all: true, limit: 2, cursor: first.next ?? '' });
    expect(second.items.map((x) => x.name)).toEqual(['c', 'b']);
    const third = await store.tokens.list({ all: true, limit: 2, cursor: second.next ?? '' });
    expect(third).toEqual({ items: [expect.objectContaining({ name: 'a' })], next: null });
    await expect(store.tokens.list({ cursor: 'nonsense' })).rejects.toMatchObject({
      code: 'TANDEM_BAD_CURSOR',
    });
  });

  it('knows whether an active admin token exists', async () => {
    expect(await store.tokens.hasActiveAdmin()).toBe(false);
    await store.tokens.create({ name: 'ops', role: 'operator', createdBy: 'x' });
    expect(await store.tokens.hasActiveAdmin()).toBe(false);
    await store.tokens.create({ name: 'root', role: 'admin', createdBy: 'x' });
    expect(await store.tokens.hasActiveAdmin()).toBe(true);
    await store.tokens.revoke('root', 'x');
    expect(await store.tokens.hasActiveAdmin()).toBe(false);
  });
});
