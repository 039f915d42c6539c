import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';
import type { AlertStateInput } from './alert-states.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
interface Rec {
  since: number;
  notifiedAt: number | null;
}
const alert = (fingerprint: string, state: string, record: Rec, service = 'web'): AlertStateInput<Rec> => ({
  fingerprint,
  rule: 'web-errors',
  environment: 'production',
  service,
  state,
  record,
});

describe('alert states', () => {
  it('saves only changed records, loads them back, and records transitions as events', async () => {
    const a = alert('fp-a', 'pending', { since: 1, notifiedAt: null });
    const b = alert('fp-b', 'inactive', { since: 0, notifiedAt: null }, 'api');
    expect(await store.alertStates.saveAll([a, b], [], { at: t(1) })).toEqual({ written: 2, removed: 0 });
    expect(await store.alertStates.loadAll<Rec>()).toEqual([
      { ...a, updatedAt: t(1).toISOString() },
      { ...b, updatedAt: t(1).toISOString() },
    ]);

    // Nothing changed: nothing written, updated_at kept.
    expect(await store.alertStates.saveAll([a, b], [], { at: t(2) })).toEqual({ written: 0, removed: 0 });
    const firing = alert('fp-a', 'firing', { since: 1, notifiedAt: 3 });
    const result = await store.alertStates.saveAll(
      [firing, b],
      [
        {
          fingerprint: 'fp-a',
          rule: 'web-errors',
          environment: 'production',
          service: 'web',
          from: 'pending',
          to: 'firing',
          data: { value: 0.31, severity: 'page' },
        },
      ],
      { at: t(3) },
    );
    expect(result).toEqual({ written: 1, removed: 0 });
    const loaded = await store.alertStates.loadAll<Rec>();
    expect(loaded).toEqual([
      { ...firing, updatedAt: t(3).toISOString() },
      { ...b, updatedAt: t(1).toISOString() },
    ]);

    const events = await store.events.list({ subjectKind: 'alert' });
    expect(events.map((e) => [e.type, e.subjectId, e.at, e.data])).toEqual([
      [
        'alert.firing',
        'fp-a',
        t(3).toISOString(),
        {
          value: 0.31,
          severity: 'page',
          rule: 'web-errors',
          environment: 'production',
          service: 'web',
          from: 'pending',
        },
      ],
    ]);
  });

  it('removes alert instances that no longer exist', async () => {
    await store.alertStates.saveAll([
      alert('fp-a', 'firing', { since: 1, notifiedAt: 1 }),
      alert('fp-b', 'nodata', { since: 2, notifiedAt: null }),
    ]);
    const res = await store.alertStates.saveAll(
      [],
      [
        {
          fingerprint: 'fp-a',
          rule: 'web-errors',
          environment: 'production',
          service: 'web',
          from: 'firing',
          to: 'resolved',
          at: t(9),
        },
      ],
      { remove: ['fp-a', 'fp-unknown'] },
    );
    expect(res).toEqual({ written: 0, removed: 1 });
    expect((await store.alertStates.loadAll()).map((s) => s.fingerprint)).toEqual(['fp-b']);
    const [event] = await store.events.list({ type: 'alert.resolved' });
    expect(event).toMatchObject({ subjectId: 'fp-a', at: t(9).toISOString() });
  });

  it('writes no state when a transition event cannot be written (one transaction)', async () => {
    await sql`create trigger no_alert_events before insert on events
      when new.type like 'alert.%' begin select raise(abort, 'events refused'); end`.execute(store.db);
    await expect(
      store.alertStates.saveAll(
        [alert('fp-a', 'nodata', { since: 1, notifiedAt: null })],
        [
          {
            fingerprint: 'fp-a',
            rule: 'web-errors',
            environment: 'production',
            service: 'web',
            from: 'inactive',
            to: 'nodata',
          },
        ],
      ),
    ).rejects.toThrow(/events refused/);
    expect(await store.alertStates.loadAll()).toEqual([]);
  });

  it('keeps the states across a reopen of the same database file', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-alert-states-'));
    try {
      const file = path.join(dir, 'tandem.db');
      const first = await openStoreAt(file);
      await first.alertStates.saveAll([alert('fp-a', 'pending', { since: 5, notifiedAt: null })], [], {
        at: t(5),
      });
      await first.close();
      const second = await openStoreAt(file);
      expect(await second.alertStates.loadAll<Rec>()).toEqual([
        { ...alert('fp-a', 'pending', { since: 5, notifiedAt: null }), updatedAt: t(5).toISOString() },
      ]);
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
