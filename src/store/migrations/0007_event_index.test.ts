import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, Migrator, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import { openSqliteBackend } from '../sqlite/backend.js';
import { migrations } from './index.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-0007-'));
  file = path.join(dir, 'tandem.db');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A database as the version before 0007 left it, with rows written then. */
async function seedBefore0007(): Promise<void> {
  const all = migrations('sqlite');
  const before = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0007'));
  const db = new Kysely<unknown>({ dialect: openSqliteBackend(file).dialect });
  try {
    const { error } = await new Migrator({
      db,
      provider: { getMigrations: async () => before },
    }).migrateToLatest();
    if (error !== undefined) throw error;
    await sql`insert into deployments (id, environment, kind, release, state, started_at)
              values ('d1', 'production', 'deploy', 'r1-abc', 'succeeded', '2025-01-01T00:00:00.000Z')`.execute(
      db,
    );
    const event = (type: string, kind: string, id: string, data: Record<string, unknown>) =>
      sql`insert into events (at, type, subject_kind, subject_id, data)
          values ('2025-01-01T00:00:00.000Z', ${type}, ${kind}, ${id}, ${JSON.stringify(data)})`.execute(db);
    await event('pipeline.run.started', 'pipeline_run', 'run-1', { commit: 'abc' });
    await event('deployment.started', 'deployment', 'd1', { environment: 'production', services: ['web'] });
    // Rollout events name the service only: the environment is the deployment's.
    await event('rollout.step', 'deployment', 'd1', { service: 'web', step: 1, weight: 25 });
    await event('deployment.approved', 'deployment', 'd1', { by: 'ann' });
    await event('alert.firing', 'alert', 'fp1', { environment: 'staging', service: 'api', rule: 'errors' });
    await event('rollout.step', 'deployment', 'gone', { service: 'web' });
    await event('odd', 'x', '1', { environment: 42 });
  } finally {
    await db.destroy();
  }
}

describe('migration 0007_event_index', () => {
  it('backfills the environment and service of existing events and keeps them append-only', async () => {
    await seedBefore0007();
    const store = await openStoreAt(file);
    try {
      const scoped = await store.events.listScoped();
      expect(scoped.map((e) => [e.type, e.environment, e.service])).toEqual([
        ['pipeline.run.started', null, null],
        ['deployment.started', 'production', null],
        ['rollout.step', 'production', 'web'],
        ['deployment.approved', 'production', null],
        ['alert.firing', 'staging', 'api'],
        ['rollout.step', null, 'web'],
        ['odd', null, null],
      ]);
      // The data is untouched.
      expect(scoped[2]?.data).toEqual({ service: 'web', step: 1, weight: 25 });
      await expect(sql`update events set type = 'changed'`.execute(store.db)).rejects.toThrow(/append-only/);
      await expect(sql`update events set environment = 'x'`.execute(store.db)).rejects.toThrow(/append-only/);
      // The index the timeline reads through exists.
      const plan = await sql<{ detail: string }>`explain query plan
        select * from events where environment = 'production' and service = 'web' order by id desc limit 10`.execute(
        store.db,
      );
      expect(plan.rows.map((r) => r.detail).join(' ')).toContain('events_scope');
    } finally {
      await store.close();
    }
  });

  it('scopes new events on append: from data, or from the deployment they are about', async () => {
    const store = await openStoreAt(':memory:');
    try {
      await store.deployments.start({
        id: 'd1',
        environment: 'staging',
        kind: 'deploy',
        release: 'r1-abc',
        fromRelease: null,
        rollouts: [],
        supersede: [],
        at: new Date(),
      });
      const append = (e: Parameters<typeof store.events.append>[1]) => store.events.append(store.db, e);
      const plain = await append({
        type: 'rollout.step',
        subjectKind: 'deployment',
        subjectId: 'd1',
        data: { service: 'web' },
      });
      // What append() returns did not change shape.
      expect(Object.keys(plain).sort()).toEqual(['at', 'data', 'id', 'subjectId', 'subjectKind', 'type']);
      await append({
        type: 'x.explicit',
        subjectKind: 'k',
        subjectId: '1',
        data: { environment: 'a' },
        environment: 'b',
        service: 'c',
      });
      await append({ type: 'secret.set', subjectKind: 'secret', subjectId: 'X', data: { name: 'X' } });
      const rows = await store.events.listScoped({ types: ['rollout.step', 'x.explicit', 'secret.set'] });
      expect(rows.map((e) => [e.type, e.environment, e.service])).toEqual([
        ['rollout.step', 'staging', 'web'],
        ['x.explicit', 'b', 'c'],
        ['secret.set', null, null],
      ]);
      expect(
        (await store.events.listScoped({ environment: 'staging', service: null })).map((e) => e.type),
      ).toEqual(['deployment.started']);
      expect(await store.events.listScoped({ types: [] })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
