import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreAt } from '../open.js';
import type { Store } from '../store.js';
import { normalizeIncidentId } from './incidents.js';

let store: Store;
beforeEach(async () => {
  store = await openStoreAt(':memory:');
});
afterEach(async () => {
  await store.close();
});

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
const alertIncident = (fingerprint: string, at: Date, over: Record<string, unknown> = {}) => ({
  environment: 'production',
  service: 'web',
  title: 'web-errors: error_rate 31% > 5%',
  severity: 'page',
  cause: { kind: 'alert' as const, ref: fingerprint },
  releases: ['r2-bbbbbbb', 'r1-aaaaaaa'],
  suspects: ['r2-bbbbbbb'],
  at,
  ...over,
});

describe('incidents', () => {
  it('opens an incident with its event, and reuses the open one of the same service', async () => {
    const first = await store.incidents.open(alertIncident('fp-errors', t(0)));
    expect(first.opened).toBe(true);
    expect(first.incident).toEqual({
      id: 'inc-1',
      seq: 1,
      environment: 'production',
      service: 'web',
      title: 'web-errors: error_rate 31% > 5%',
      severity: 'page',
      state: 'open',
      openedAt: t(0).toISOString(),
      resolvedAt: null,
      resolvedBy: null,
      cause: { kind: 'alert', ref: 'fp-errors' },
      releases: ['r2-bbbbbbb', 'r1-aaaaaaa'],
      alerts: ['fp-errors'],
      resolution: null,
    });

    // A second alert of the same service attaches to it instead of opening another.
    const second = await store.incidents.open(
      alertIncident('fp-latency', t(5), { releases: ['r2-bbbbbbb', 'r3-ccccccc'] }),
    );
    expect(second.opened).toBe(false);
    expect(second.incident).toMatchObject({
      id: 'inc-1',
      alerts: ['fp-errors', 'fp-latency'],
      releases: ['r2-bbbbbbb', 'r1-aaaaaaa', 'r3-ccccccc'],
    });
    // The same alert again writes nothing.
    const again = await store.incidents.open(alertIncident('fp-latency', t(6), { releases: [] }));
    expect(again.opened).toBe(false);

    // Another service gets its own incident.
    const api = await store.incidents.open(alertIncident('fp-api', t(7), { service: 'api' }));
    expect(api.incident.id).toBe('inc-2');
    expect(await store.incidents.openFor('production', 'web')).toEqual(second.incident);
    expect(await store.incidents.openFor('staging', 'web')).toBeUndefined();

    const events = await store.events.list({ subjectKind: 'incident' });
    expect(events.map((e) => [e.type, e.subjectId, e.at])).toEqual([
      ['incident.opened', 'inc-1', t(0).toISOString()],
      ['incident.alert-attached', 'inc-1', t(5).toISOString()],
      ['incident.opened', 'inc-2', t(7).toISOString()],
    ]);
    expect(events[0]?.data).toEqual({
      environment: 'production',
      service: 'web',
      title: 'web-errors: error_rate 31% > 5%',
      severity: 'page',
      cause: { kind: 'alert', ref: 'fp-errors' },
      releases: ['r2-bbbbbbb', 'r1-aaaaaaa'],
      suspects: ['r2-bbbbbbb'],
    });
    expect(events[1]?.data).toEqual({
      environment: 'production',
      service: 'web',
      alert: 'fp-latency',
      releases: ['r3-ccccccc'],
    });
  });

  it('opens an incident for an automatic rollback, and attaches a later rollback to it', async () => {
    const rollback = {
      environment: 'production',
      service: 'web',
      title: 'rollout of r2-bbbbbbb rolled back: error rate 12% > 1%',
      severity: 'page',
      cause: { kind: 'rollback' as const, ref: 'dep-7' },
      releases: ['r2-bbbbbbb'],
      at: t(0),
    };
    const { incident } = await store.incidents.open(rollback);
    expect(incident).toMatchObject({ id: 'inc-1', cause: { kind: 'rollback', ref: 'dep-7' }, alerts: [] });
    expect((await store.incidents.open(rollback)).opened).toBe(false); // retried: nothing new
    await store.incidents.open({ ...rollback, cause: { kind: 'rollback', ref: 'dep-9' }, at: t(3) });
    await store.incidents.attachAlert('inc-1', 'fp-x', { releases: ['r1-aaaaaaa'], at: t(4) });
    await store.incidents.attachAlert('1', 'fp-x', { releases: ['r0-0000000'], at: t(5) });
    expect(await store.incidents.get('inc-1')).toMatchObject({
      alerts: ['fp-x'],
      releases: ['r2-bbbbbbb', 'r1-aaaaaaa', 'r0-0000000'],
    });
    const events = await store.events.list({ subjectKind: 'incident' });
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'incident.opened',
        expect.objectContaining({ cause: { kind: 'rollback', ref: 'dep-7' }, suspects: [] }),
      ],
      [
        'incident.rollback-attached',
        { environment: 'production', service: 'web', deployment: 'dep-9', releases: [] },
      ],
      [
        'incident.alert-attached',
        { environment: 'production', service: 'web', alert: 'fp-x', releases: ['r1-aaaaaaa'] },
      ],
      ['incident.releases-linked', { environment: 'production', service: 'web', releases: ['r0-0000000'] }],
    ]);
  });

  it('resolves once, with the duration in its event, then opens a new incident for the same service', async () => {
    await store.incidents.open(alertIncident('fp-errors', t(0)));
    const resolved = await store.incidents.resolve('inc-1', 'tandem', 'alerts cleared', t(90));
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedAt: t(90).toISOString(),
      resolvedBy: 'tandem',
      resolution: 'alerts cleared',
    });
    expect(await store.incidents.get('inc-1')).toEqual(resolved);
    const [event] = await store.events.list({ type: 'incident.resolved' });
    expect(event?.data).toMatchObject({
      by: 'tandem',
      note: 'alerts cleared',
      durationMs: 90_000,
      severity: 'page',
      releases: ['r2-bbbbbbb', 'r1-aaaaaaa'],
      cause: { kind: 'alert', ref: 'fp-errors' },
      openedAt: t(0).toISOString(),
    });

    await expect(store.incidents.resolve('inc-1', 'alice', null, t(95))).rejects.toMatchObject({
      code: 'TANDEM_INCIDENT_RESOLVED',
    });
    await expect(store.incidents.attachAlert('inc-1', 'fp-late')).rejects.toMatchObject({
      code: 'TANDEM_INCIDENT_RESOLVED',
    });
    expect(await store.incidents.openFor('production', 'web')).toBeUndefined();
    const next = await store.incidents.open(alertIncident('fp-errors', t(100)));
    expect(next).toMatchObject({ opened: true, incident: { id: 'inc-2', state: 'open' } });
    expect(await store.events.list({ type: 'incident.resolved' })).toHaveLength(1);
  });

  it('refuses an unknown incident with a did-you-mean', async () => {
    for (let i = 0; i < 3; i++)
      await store.incidents.open(alertIncident(`fp-${i}`, t(i), { service: `s${i}` }));
    await expect(store.incidents.resolve('inc-31', 'alice', null)).rejects.toMatchObject({
      code: 'TANDEM_INCIDENT_NOT_FOUND',
      message: expect.stringMatching(/no incident inc-31; did you mean inc-3\?/),
    });
    await expect(store.incidents.resolve('nope-nothing', 'alice', null)).rejects.toMatchObject({
      code: 'TANDEM_INCIDENT_NOT_FOUND',
      message: expect.not.stringContaining('did you mean'),
    });
    expect(await store.incidents.get('inc-9')).toBeUndefined();
  });

  it('lists newest first, filtered by state, environment and service', async () => {
    await store.incidents.open(alertIncident('a', t(0)));
    await store.incidents.open(alertIncident('b', t(1), { service: 'api' }));
    await store.incidents.open(alertIncident('c', t(2), { environment: 'staging' }));
    await store.incidents.resolve('inc-1', 'alice', 'fixed by hand', t(3));
    const ids = async (q: Parameters<Store['incidents']['list']>[0]) =>
      (await store.incidents.list(q)).map((i) => i.id);
    expect(await ids({})).toEqual(['inc-3', 'inc-2', 'inc-1']);
    expect(await ids({ state: 'open' })).toEqual(['inc-3', 'inc-2']);
    expect(await ids({ state: 'resolved' })).toEqual(['inc-1']);
    expect(await ids({ environment: 'production' })).toEqual(['inc-2', 'inc-1']);
    expect(await ids({ environment: 'production', service: 'web' })).toEqual(['inc-1']);
    expect(await ids({ limit: 1 })).toEqual(['inc-3']);
  });

  it('writes nothing when its event cannot be written (one transaction)', async () => {
    await sql`create trigger no_incident_events before insert on events
      when new.type like 'incident.%' begin select raise(abort, 'events refused'); end`.execute(store.db);
    await expect(store.incidents.open(alertIncident('a', t(0)))).rejects.toThrow(/events refused/);
    expect(await store.incidents.list()).toEqual([]);
    await sql`drop trigger no_incident_events`.execute(store.db);
    await store.incidents.open(alertIncident('a', t(0)));
    await sql`create trigger no_incident_events before insert on events
      when new.type like 'incident.%' begin select raise(abort, 'events refused'); end`.execute(store.db);
    await expect(store.incidents.resolve('inc-1', 'alice', null)).rejects.toThrow(/events refused/);
    await expect(store.incidents.attachAlert('inc-1', 'b')).rejects.toThrow(/events refused/);
    expect(await store.incidents.get('inc-1')).toMatchObject({ state: 'open', alerts: ['a'] });
  });

  it('keeps at most one open incident per service even for a writer that skips the check', async () => {
    await store.incidents.open(alertIncident('a', t(0)));
    const row = {
      id: 'inc-99',
      seq: 99,
      environment: 'production',
      service: 'web',
      title: 'x',
      severity: 'page',
      state: 'open' as const,
      opened_at: t(1).toISOString(),
      resolved_at: null,
      resolved_by: null,
      cause_kind: 'alert' as const,
      cause_ref: 'b',
      releases: '[]',
      alerts: '[]',
      resolution: null,
    };
    await expect(store.db.insertInto('incidents').values(row).execute()).rejects.toThrow(/UNIQUE/);
    await store.db
      .insertInto('incidents')
      .values({ ...row, state: 'resolved' })
      .execute();
  });

  it('normalizes what users type as an incident id', () => {
    expect(normalizeIncidentId('inc-3')).toBe('inc-3');
    expect(normalizeIncidentId(' INC-3 ')).toBe('inc-3');
    expect(normalizeIncidentId('3')).toBe('inc-3');
    expect(normalizeIncidentId('#12')).toBe('inc-12');
    expect(normalizeIncidentId('sil-1')).toBe('sil-1');
  });
});
