import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';
import { isReleaseId, releaseId, releaseSeq } from './releases.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
const SHA_A = '4f2a9c1e0b7d3a5f6c8e9d0a1b2c3d4e5f607182';
const SHA_B = 'abcdef0123456789abcdef0123456789abcdef01';
const CONFIG = '{"services":{},"environments":{}}';

const newRelease = (commit: string, config = CONFIG) => ({
  project: 'shop',
  commit,
  ref: 'HEAD',
  config,
  dir: (id: string) => `releases/${id}/src`,
});

describe('releases', () => {
  it('creates building releases with increasing sequence numbers, each with its event', async () => {
    expect(await store.releases.nextSeq()).toBe(1);
    const first = await store.releases.create(newRelease(SHA_A), t(0));
    expect(first).toEqual({
      id: 'r1-4f2a9c1',
      seq: 1,
      project: 'shop',
      commit: SHA_A,
      ref: 'HEAD',
      runId: null,
      dir: 'releases/r1-4f2a9c1/src',
      config: CONFIG,
      status: 'building',
      reason: null,
      createdAt: t(0).toISOString(),
      finishedAt: null,
    });
    const second = await store.releases.create(newRelease(SHA_B), t(1));
    expect(second.id).toBe('r2-abcdef0');
    expect(await store.releases.nextSeq()).toBe(3);
    expect(await store.releases.get('r2-abcdef0')).toEqual(second);
    expect(await store.releases.get('r9-abcdef0')).toBeUndefined();

    const events = await store.events.list({ subjectKind: 'release' });
    expect(events.map((e) => [e.type, e.subjectId, e.at])).toEqual([
      ['release.created', 'r1-4f2a9c1', t(0).toISOString()],
      ['release.created', 'r2-abcdef0', t(1).toISOString()],
    ]);
    expect(events[0]?.data).toMatchObject({ commit: SHA_A, ref: 'HEAD', dir: 'releases/r1-4f2a9c1/src' });
  });

  it('marks a release ready or failed once, with its event, and refuses to change it again', async () => {
    const a = await store.releases.create(newRelease(SHA_A), t(0));
    const b = await store.releases.create(newRelease(SHA_B), t(1));
    const ready = await store.releases.markReady(a.id, 'run-1', t(2));
    expect(ready).toMatchObject({ status: 'ready', runId: 'run-1', finishedAt: t(2).toISOString() });
    const failed = await store.releases.markFailed(b.id, 'job(s) build failed', t(3));
    expect(failed).toMatchObject({ status: 'failed', reason: 'job(s) build failed', runId: null });

    await expect(store.releases.markFailed(a.id, 'late')).rejects.toMatchObject({
      code: 'TANDEM_RELEASE_FINISHED',
    });
    await expect(store.releases.markReady('r7-0000000', 'run')).rejects.toMatchObject({
      code: 'TANDEM_RELEASE_UNKNOWN',
    });
    // A refused change writes nothing, not even its event.
    expect(await store.releases.get(a.id)).toMatchObject({ status: 'ready', reason: null });
    const types = (await store.events.list({ subjectKind: 'release' })).map((e) => [e.type, e.subjectId]);
    expect(types).toEqual([
      ['release.created', a.id],
      ['release.created', b.id],
      ['release.ready', a.id],
      ['release.failed', b.id],
    ]);
    const [readyEvent] = await store.events.list({ type: 'release.ready' });
    const [failedEvent] = await store.events.list({ type: 'release.failed' });
    expect(readyEvent?.data).toEqual({ runId: 'run-1' });
    expect(failedEvent?.data).toEqual({ reason: 'job(s) build failed' });
  });

  it('writes nothing when its event cannot be written (one transaction)', async () => {
    await sql`create trigger no_release_events before insert on events
      when new.type like 'release.%' begin select raise(abort, 'events refused'); end`.execute(store.db);
    await expect(store.releases.create(newRelease(SHA_A), t(0))).rejects.toThrow(/events refused/);
    expect(await store.releases.list()).toEqual([]);
    expect(await store.releases.nextSeq()).toBe(1);

    await sql`drop trigger no_release_events`.execute(store.db);
    const a = await store.releases.create(newRelease(SHA_A), t(0));
    await sql`create trigger no_release_events before insert on events
      when new.type like 'release.%' begin select raise(abort, 'events refused'); end`.execute(store.db);
    await expect(store.releases.markReady(a.id, 'run-1')).rejects.toThrow(/events refused/);
    expect(await store.releases.get(a.id)).toMatchObject({
      status: 'building',
      runId: null,
      finishedAt: null,
    });
  });

  it('lists newest first and finds the latest ready release and one of a commit and config', async () => {
    for (let i = 0; i < 11; i++) await store.releases.create(newRelease(i % 2 ? SHA_B : SHA_A), t(i));
    // r1..r11: A on odd seq, B on even.
    await store.releases.markReady('r1-4f2a9c1', 'run-1');
    await store.releases.markReady('r3-4f2a9c1', 'run-3');
    await store.releases.markReady('r2-abcdef0', 'run-2');
    await store.releases.markFailed('r5-4f2a9c1', 'no');

    expect((await store.releases.list({ limit: 3 })).map((r) => r.id)).toEqual([
      'r11-4f2a9c1',
      'r10-abcdef0',
      'r9-4f2a9c1',
    ]);
    expect((await store.releases.list()).length).toBe(11);
    expect((await store.releases.latestReady())?.id).toBe('r3-4f2a9c1');
    expect((await store.releases.findReadyByCommitAndConfig(SHA_A, CONFIG))?.id).toBe('r3-4f2a9c1');
    expect((await store.releases.findReadyByCommitAndConfig(SHA_B, CONFIG))?.id).toBe('r2-abcdef0');
    expect(await store.releases.findReadyByCommitAndConfig(SHA_A, '{"services":{"web":{}}}')).toBeUndefined();
  });

  it('returns undefined for the latest ready release of an empty store', async () => {
    expect(await store.releases.latestReady()).toBeUndefined();
    expect(await store.releases.list()).toEqual([]);
  });
});

describe('release ids', () => {
  it('are r<seq>-<7 hex> and nothing else', () => {
    expect(releaseId(12, SHA_A)).toBe('r12-4f2a9c1');
    expect(releaseSeq('r12-4f2a9c1')).toBe(12);
    expect(isReleaseId('r12-4f2a9c1')).toBe(true);
    for (const bad of [
      'r0-4f2a9c1',
      'r1-4f2a9c',
      'r1-4F2A9C1',
      '../r1-4f2a9c1',
      'r1-4f2a9c1/..',
      'r1-4f2a9c1x',
    ]) {
      expect(isReleaseId(bad), bad).toBe(false);
    }
  });
});
