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

describe('events', () => {
  it('appends with increasing ids and filters by subject, type, afterId and limit', async () => {
    const at = new Date('2025-01-02T03:04:05.000Z');
    const first = await store.events.append(store.db, {
      type: 'pipeline.run.started',
      subjectKind: 'pipeline_run',
      subjectId: 'a',
      data: { n: 1 },
      at,
    });
    expect(first).toEqual({
      id: first.id,
      at: '2025-01-02T03:04:05.000Z',
      type: 'pipeline.run.started',
      subjectKind: 'pipeline_run',
      subjectId: 'a',
      data: { n: 1 },
    });
    await store.events.append(store.db, {
      type: 'pipeline.run.started',
      subjectKind: 'pipeline_run',
      subjectId: 'b',
    });
    await store.events.append(store.db, {
      type: 'secret.set',
      subjectKind: 'secret',
      subjectId: 'X',
      data: { name: 'X' },
    });

    const all = await store.events.list();
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((x, y) => x - y));
    expect(all[1]?.data).toEqual({});
    expect(
      (await store.events.list({ subjectKind: 'pipeline_run', subjectId: 'b' })).map((e) => e.subjectId),
    ).toEqual(['b']);
    expect((await store.events.list({ type: 'secret.set' })).map((e) => e.subjectId)).toEqual(['X']);
    expect((await store.events.list({ afterId: first.id })).length).toBe(2);
    expect((await store.events.list({ limit: 1, order: 'desc' }))[0]?.type).toBe('secret.set');
  });

  it('cannot be updated or deleted', async () => {
    await store.events.append(store.db, { type: 'a.b', subjectKind: 'k', subjectId: '1' });
    await expect(sql`update events set type = 'changed'`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from events`.execute(store.db)).rejects.toThrow(/append-only/);
    expect((await store.events.list()).map((e) => e.type)).toEqual(['a.b']);
  });
});
