import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from './migrations/index.js';
import { openStore, openStoreAt, storePath } from './open.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-store-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('openStore', () => {
  it('creates .tandem/tandem.db and runs every migration once; reopening is idempotent', async () => {
    const first = await openStore(root);
    expect(fs.existsSync(storePath(root))).toBe(true);
    expect(fs.readFileSync(path.join(root, '.tandem', '.gitignore'), 'utf8')).toContain('*');
    const names = Object.keys(migrations('sqlite')).sort();
    const ran = async () =>
      (
        await sql<{ name: string }>`select name from kysely_migration order by name`.execute(first.db)
      ).rows.map((r) => r.name);
    expect(await ran()).toEqual(names);
    await first.events.append(first.db, { type: 'test.kept', subjectKind: 't', subjectId: '1' });
    await first.close();
    await first.close(); // idempotent

    const second = await openStore(root);
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      second.db,
    );
    expect(rows.rows.map((r) => r.name)).toEqual(names);
    expect((await second.events.list()).map((e) => e.type)).toEqual(['test.kept']);
    await second.close();
  });

  it('uses WAL, synchronous=NORMAL, foreign keys and a busy timeout', async () => {
    const store = await openStore(root);
    try {
      const pragma = async (name: string) =>
        Object.values(
          (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)).rows[0] ?? {},
        )[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
    } finally {
      await store.close();
    }
  });

  it('shares one connection per file within a process; the last close closes it', async () => {
    const a = await openStore(root);
    const b = await openStore(root);
    expect(a.db).toBe(b.db);
    await a.close();
    expect((await b.events.list()).length).toBe(0);
    await b.close();
    const c = await openStore(root);
    expect(c.db).not.toBe(a.db);
    await c.close();
  });

  it('reports a file that is not a database clearly', async () => {
    const file = path.join(root, 'junk.db');
    fs.writeFileSync(file, 'this is not sqlite, just text that is long enough to have a header'.repeat(20));
    await expect(openStoreAt(file)).rejects.toMatchObject({ code: 'TANDEM_STORE_UNAVAILABLE' });
  });
});

describe('store.transaction', () => {
  it('rolls back both the state and its event when the callback throws', async () => {
    const store = await openStoreAt(':memory:');
    try {
      await expect(
        store.transaction(async (trx) => {
          await trx
            .insertInto('pipeline_runs')
            .values({
              id: 'r1',
              project: 'p',
              branch: null,
              commit: null,
              status: 'running',
              started_at: new Date().toISOString(),
              finished_at: null,
              duration_ms: null,
            })
            .execute();
          await store.events.append(trx, {
            type: 'pipeline.run.started',
            subjectKind: 'pipeline_run',
            subjectId: 'r1',
          });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.runs.getRun('r1')).toBeUndefined();
      expect(await store.events.list()).toEqual([]);

      const value = await store.transaction(async (trx) => {
        await store.events.append(trx, { type: 'x.y', subjectKind: 'k', subjectId: '1' });
        return 42;
      });
      expect(value).toBe(42);
      expect(await store.events.list()).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
