import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';
import { isSilenceActive, type NewSilence } from './silences.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (m: number) => new Date(Date.UTC(2025, 0, 1, 0, m, 0));
const maintenance = (over: Partial<NewSilence> = {}): NewSilence => ({
  matchers: [
    { label: 'service', op: '=', value: 'web' },
    { label: 'alertname', op: '=~', value: 'web-.*' },
  ],
  endsAt: t(60),
  createdBy: 'alice',
  comment: 'database maintenance',
  at: t(0),
  ...over,
});

describe('silences', () => {
  it('creates a silence with its event; it is active from its start until its end', async () => {
    const s = await store.silences.create(maintenance({ startsAt: t(10) }));
    expect(s.id).toMatch(/^sil-[0-9a-f]{8}$/);
    expect(s).toMatchObject({
      matchers: maintenance().matchers,
      startsAt: t(10).toISOString(),
      endsAt: t(60).toISOString(),
      createdBy: 'alice',
      comment: 'database maintenance',
      createdAt: t(0).toISOString(),
      expiredAt: null,
      expiredBy: null,
    });
    expect(await store.silences.get(s.id)).toEqual(s);
    expect(await store.silences.list({ active: t(5) })).toEqual([]);
    expect(await store.silences.list({ active: t(10) })).toEqual([s]);
    expect(await store.silences.list({ active: t(60) })).toEqual([]);
    expect(isSilenceActive(s, t(5))).toBe(false);
    expect(isSilenceActive(s, t(30))).toBe(true);
    expect(isSilenceActive(s, t(60))).toBe(false);

    const [event] = await store.events.list({ subjectKind: 'silence' });
    expect(event).toMatchObject({ type: 'silence.created', subjectId: s.id, at: t(0).toISOString() });
    expect(event?.data).toMatchObject({
      matchers: s.matchers,
      endsAt: t(60).toISOString(),
      createdBy: 'alice',
    });
  });

  it('expires a silence by hand once, with its event', async () => {
    const s = await store.silences.create(maintenance());
    const other = await store.silences.create(maintenance({ at: t(1), comment: 'other' }));
    const expired = await store.silences.expire(s.id, 'bob', t(20));
    expect(expired).toMatchObject({
      expiredAt: t(20).toISOString(),
      expiredBy: 'bob',
      endsAt: t(60).toISOString(),
    });
    expect(isSilenceActive(expired, t(30))).toBe(false);
    expect((await store.silences.list({ active: t(30) })).map((x) => x.id)).toEqual([other.id]);
    expect((await store.silences.list()).map((x) => x.id)).toEqual([other.id, s.id]);

    await expect(store.silences.expire(s.id, 'bob', t(21))).rejects.toMatchObject({
      code: 'TANDEM_SILENCE_EXPIRED',
    });
    // Past its end it is over already.
    await expect(store.silences.expire(other.id, 'bob', t(61))).rejects.toMatchObject({
      code: 'TANDEM_SILENCE_EXPIRED',
    });
    const types = (await store.events.list({ subjectKind: 'silence' })).map((e) => [e.type, e.subjectId]);
    expect(types).toEqual([
      ['silence.created', s.id],
      ['silence.created', other.id],
      ['silence.expired', s.id],
    ]);
  });

  it('refuses an unknown silence with a did-you-mean', async () => {
    const s = await store.silences.create(maintenance());
    const typo = `${s.id.slice(0, -1)}${s.id.endsWith('0') ? '1' : '0'}`;
    await expect(store.silences.expire(typo, 'bob')).rejects.toMatchObject({
      code: 'TANDEM_SILENCE_NOT_FOUND',
      message: expect.stringContaining(`did you mean ${s.id}?`),
    });
  });

  it('refuses invalid silences and writes nothing', async () => {
    const bad: Array<[Partial<NewSilence>, RegExp]> = [
      [{ matchers: [] }, /at least one matcher/],
      [{ matchers: [{ label: '', op: '=', value: 'x' }] }, /no label/],
      [{ matchers: [{ label: 'service', op: '~' as '=', value: 'x' }] }, /operator must be one of/],
      [{ matchers: [{ label: 'service', op: '=~', value: '(' }] }, /not a valid regular expression/],
      [{ startsAt: t(70) }, /before it starts/],
      [{ endsAt: t(-1) }, /before it starts|in the past/],
      [{ startsAt: t(-30), endsAt: t(-10) }, /in the past/],
    ];
    for (const [over, why] of bad) {
      await expect(store.silences.create(maintenance(over)), String(why)).rejects.toMatchObject({
        code: 'TANDEM_SILENCE_INVALID',
        exitCode: 2,
        message: expect.stringMatching(why),
      });
    }
    expect(await store.silences.list()).toEqual([]);
    expect(await store.events.list({ subjectKind: 'silence' })).toEqual([]);
  });
});
