import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
const ada = { id: 'tok-00000001', name: 'ada' };
const bob = { id: 'tok-00000002', name: 'bob' };

describe('audit log', () => {
  it('appends entries and lists them newest first', async () => {
    const first = await store.audit.append({
      at: t(0),
      principal: ada,
      role: 'operator',
      action: 'POST /api/v1/environments/:env/promote',
      target: { env: 'production' },
      address: '127.0.0.1',
      status: 200,
    });
    expect(first).toEqual({
      id: expect.any(Number),
      at: t(0).toISOString(),
      principal: ada,
      role: 'operator',
      action: 'POST /api/v1/environments/:env/promote',
      target: { env: 'production' },
      address: '127.0.0.1',
      status: 200,
      detail: null,
    });
    const denied = await store.audit.append({
      at: t(1),
      principal: null,
      action: 'POST /api/v1/session',
      address: '10.0.0.7',
      status: 401,
      detail: 'TANDEM_LOGIN_FAILED',
    });
    expect(denied).toMatchObject({ principal: null, role: null, target: {}, detail: 'TANDEM_LOGIN_FAILED' });
    expect((await store.audit.list()).items.map((e) => e.id)).toEqual([denied.id, first.id]);
  });

  it('pages with an opaque cursor and filters by principal (id or name) and action', async () => {
    for (let i = 0; i < 7; i++) {
      await store.audit.append({
        at: t(i),
        principal: i % 2 === 0 ? ada : bob,
        role: 'admin',
        action: i < 4 ? 'POST /api/v1/tokens' : 'POST /api/v1/tokens/:id/revoke',
        target: { i },
        address: '::1',
        status: 201,
      });
    }
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.audit.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.target.i as number));
      if (page.next === null) break;
      cursor = page.next;
    }
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);

    const byName = await store.audit.list({ principal: 'bob' });
    expect(byName.items.map((e) => e.target.i)).toEqual([5, 3, 1]);
    expect((await store.audit.list({ principal: ada.id })).items.map((e) => e.target.i)).toEqual([
      6, 4, 2, 0,
    ]);
    const revokes = await store.audit.list({ action: 'POST /api/v1/tokens/:id/revoke', limit: 2 });
    expect(revokes.items.map((e) => e.target.i)).toEqual([6, 5]);
    const rest = await store.audit.list({
      action: 'POST /api/v1/tokens/:id/revoke',
      limit: 2,
      cursor: revokes.next ?? '',
    });
    expect(rest).toEqual({ items: [expect.objectContaining({ target: { i: 4 } })], next: null });

    await expect(store.audit.list({ cursor: 'bogus!' })).rejects.toMatchObject({ code: 'TANDEM_BAD_CURSOR' });
  });

  it('never lets an entry be edited', async () => {
    await store.audit.append({ action: 'DELETE /api/v1/session', address: '::1', status: 200 });
    await expect(sql`update audit_log set status = 500`.execute(store.db)).rejects.toThrow(/append-only/);
  });
});
