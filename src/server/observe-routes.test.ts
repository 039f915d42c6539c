import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlertRow, IncidentOps, type SilenceView } from '../control/incident-ops.js';
import { openStoreAt } from '../store/open.js';
import type { StoredEvent } from '../store/repositories/events.js';
import type { Incident } from '../store/repositories/incidents.js';
import type { Store } from '../store/store.js';
import { createObserveHandler } from './observe-routes.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

let store: Store;
let ops: IncidentOps;
const servers: Server[] = [];

beforeEach(async () => {
  store = await openStoreAt(':memory:');
  ops = new IncidentOps({ store, clock: { now: () => T0 } });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await store.close();
});

/** A real HTTP server on loopback serving the observe routes as `roles`. */
async function serve(roles: string[] = ['admin']): Promise<string> {
  const handler = createObserveHandler(ops, { principal: 'tester', roles });
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Body }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Body };
}

/** Every field any of these routes answers with, to read responses without casts. */
interface Body {
  id: string;
  state: string;
  endsAt: string;
  code: string;
  detail: string;
  exitCode: number;
  type: string;
  error: { code: string; message: string; exitCode: number };
  incidents: Incident[];
  incident: Incident;
  timeline: StoredEvent[];
  silences: SilenceView[];
  alerts: AlertRow[];
}

const openIncident = (service: string) =>
  store.incidents.open({
    environment: 'production',
    service,
    title: `${service} is down`,
    severity: 'page',
    cause: { kind: 'alert', ref: `fp-${service}` },
    releases: [],
    at: new Date(T0 - HOUR),
  });

describe('observe routes', () => {
  it('lists, shows and resolves incidents', async () => {
    const base = await serve();
    await openIncident('web');
    await openIncident('api');

    const all = await call(base, 'GET', '/api/v1/incidents');
    expect(all.status).toBe(200);
    expect(all.json.incidents.map((i: { id: string }) => i.id)).toEqual(['inc-2', 'inc-1']);
    const web = await call(
      base,
      'GET',
      '/api/v1/incidents?state=open&environment=production&service=web&limit=5',
    );
    expect(web.json.incidents.map((i: { id: string }) => i.id)).toEqual(['inc-1']);

    const resolved = await call(base, 'POST', '/api/v1/incidents/inc-1/resolve', { note: 'fixed' });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({
      id: 'inc-1',
      state: 'resolved',
      resolvedBy: 'tester',
      resolution: 'fixed',
    });
    // An empty body is a resolve without a note.
    expect((await call(base, 'POST', '/api/v1/incidents/2/resolve')).json).toMatchObject({
      resolution: null,
    });

    const again = await call(base, 'POST', '/api/v1/incidents/inc-1/resolve', {});
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({ code: 'TANDEM_INCIDENT_RESOLVED', exitCode: 1 });

    const detail = await call(base, 'GET', '/api/v1/incidents/inc-1');
    expect(detail.status).toBe(200);
    expect(detail.json.incident.id).toBe('inc-1');
    expect(detail.json.timeline.map((e: { type: string }) => e.type)).toEqual([
      'incident.opened',
      'incident.resolved',
    ]);
    expect((await call(base, 'GET', '/api/v1/incidents?state=resolved')).json.incidents).toHaveLength(2);
  });

  it('answers errors as problem details with fitting statuses', async () => {
    const base = await serve();
    await openIncident('web');
    const missing = await call(base, 'GET', '/api/v1/incidents/inc-9');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      type: 'https://tandem.dev/problems/tandem-incident-not-found',
      title: 'Not Found',
      status: 404,
      code: 'TANDEM_INCIDENT_NOT_FOUND',
      exitCode: 2,
      instance: '/api/v1/incidents/inc-9',
    });
    expect(missing.json.detail).toContain('did you mean inc-1?');
    expect(missing.json.error).toBeUndefined();

    const badState = await call(base, 'GET', '/api/v1/incidents?state=closed');
    expect([badState.status, badState.json.code, badState.json.exitCode]).toEqual([
      400,
      'TANDEM_BAD_QUERY',
      2,
    ]);
    expect(badState.json.detail).toMatch(/^invalid query: state: /);
    const badLimit = await call(base, 'GET', '/api/v1/incidents?limit=abc');
    expect([badLimit.json.code, badLimit.json.detail]).toEqual([
      'TANDEM_BAD_QUERY',
      'invalid query: limit: limit must be a whole number from 1 to 500',
    ]);

    const extra = await call(base, 'POST', '/api/v1/incidents/inc-1/resolve', { note: 'x', force: true });
    expect(extra.status).toBe(400);
    expect(extra.json.detail).toMatch(/invalid request body/);
    const notJson = await call(base, 'POST', '/api/v1/incidents/inc-1/resolve', '{nope');
    expect(notJson.status).toBe(400);

    expect((await call(base, 'DELETE', '/api/v1/silences')).status).toBe(405);
    expect((await call(base, 'GET', '/api/v1/nothing')).status).toBe(404);
  });

  it('serves the legacy /v1 paths with the old error member too', async () => {
    const base = await serve();
    await openIncident('web');
    expect((await call(base, 'GET', '/v1/incidents')).json.incidents).toHaveLength(1);
    const missing = await call(base, 'GET', '/v1/incidents/inc-9');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'TANDEM_INCIDENT_NOT_FOUND', exitCode: 2 });
    expect(missing.json.error).toMatchObject({ code: 'TANDEM_INCIDENT_NOT_FOUND', exitCode: 2 });
    expect(missing.json.error.message).toBe(missing.json.detail);
  });

  it('pages incidents with limit and cursor', async () => {
    const base = await serve();
    for (const s of ['a', 'b', 'c', 'd', 'e']) await openIncident(s);
    const seen: string[] = [];
    let path = '/api/v1/incidents?limit=2';
    for (let page = 0; page < 5; page++) {
      const res = await call(base, 'GET', path);
      const body = res.json as unknown as { incidents: Incident[]; next: string | null };
      seen.push(...body.incidents.map((i) => i.id));
      if (body.next === null) break;
      path = `/api/v1/incidents?limit=2&cursor=${encodeURIComponent(body.next)}`;
    }
    expect(seen).toEqual(['inc-5', 'inc-4', 'inc-3', 'inc-2', 'inc-1']);
    const forged = await call(base, 'GET', '/api/v1/incidents?cursor=bm9wZQ');
    expect([forged.status, forged.json.code]).toEqual([400, 'TANDEM_BAD_CURSOR']);
  });

  it('creates, lists and expires silences', async () => {
    const base = await serve();
    const created = await call(base, 'POST', '/api/v1/silences', {
      matchers: ['service=web', 'severity!=info'],
      duration: '2h',
      comment: 'maintenance',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^sil-/),
      endsAt: new Date(T0 + 2 * HOUR).toISOString(),
      createdBy: 'tester',
      state: 'active',
    });
    const until = await call(base, 'POST', '/api/v1/silences', {
      matchers: ['service=api'],
      until: '2025-01-02T00:00:00Z',
      comment: 'x',
    });
    expect(until.json.endsAt).toBe('2025-01-02T00:00:00.000Z');

    const active = await call(base, 'GET', '/api/v1/silences');
    expect(active.json.silences).toHaveLength(2);
    const expired = await call(base, 'POST', `/api/v1/silences/${created.json.id}/expire`);
    expect([expired.status, expired.json.state]).toEqual([200, 'expired']);
    expect(
      (await call(base, 'GET', '/api/v1/silences')).json.silences.map((s: { id: string }) => s.id),
    ).toEqual([until.json.id]);
    expect((await call(base, 'GET', '/api/v1/silences?all=1')).json.silences).toHaveLength(2);
    expect((await call(base, 'POST', '/api/v1/silences/sil-nope/expire')).status).toBe(404);
  });

  it('refuses invalid silences with exit 2', async () => {
    const base = await serve();
    const cases: Array<[unknown, string]> = [
      [{ matchers: ['service=web'], duration: 'soon', comment: 'x' }, 'TANDEM_SILENCE_INVALID'],
      [{ matchers: ['service=web'], duration: '31d', comment: 'x' }, 'TANDEM_SILENCE_INVALID'],
      [{ matchers: ['web'], comment: 'x' }, 'TANDEM_MATCHER_INVALID'],
      [{ matchers: [], comment: 'x' }, 'TANDEM_BAD_REQUEST'],
      [{ matchers: ['service=web'] }, 'TANDEM_BAD_REQUEST'],
      [{ matchers: ['service=web'], comment: 'x', startsAt: 'now' }, 'TANDEM_BAD_REQUEST'],
    ];
    for (const [body, code] of cases) {
      const res = await call(base, 'POST', '/api/v1/silences', body);
      expect([res.status, res.json.code, res.json.exitCode], JSON.stringify(body)).toEqual([400, code, 2]);
    }
    expect((await call(base, 'GET', '/api/v1/silences?all=1')).json.silences).toEqual([]);
  });

  it('refuses writes without the operator role with 403', async () => {
    const base = await serve(['viewer']);
    await openIncident('web');
    const res = await call(base, 'POST', '/api/v1/incidents/inc-1/resolve', {});
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'TANDEM_FORBIDDEN', exitCode: 2, required: 'operator' });
    const silence = await call(base, 'POST', '/api/v1/silences', { matchers: ['service=web'], comment: 'x' });
    expect(silence.status).toBe(403);
    // Reads are open to everyone.
    expect((await call(base, 'GET', '/api/v1/incidents')).status).toBe(200);
  });

  it('lists alerts with their silence', async () => {
    const base = await serve();
    await store.alertStates.saveAll([
      {
        fingerprint: 'fp-web',
        rule: 'web-errors',
        environment: 'production',
        service: 'web',
        state: 'firing',
        record: { labels: { severity: 'page' }, value: 0.2, since: new Date(T0 - 60_000).toISOString() },
      },
    ]);
    const silence = await call(base, 'POST', '/api/v1/silences', { matchers: ['service=web'], comment: 'x' });
    const res = await call(base, 'GET', '/api/v1/alerts');
    expect(res.status).toBe(200);
    expect(res.json.alerts).toMatchObject([
      {
        fingerprint: 'fp-web',
        alert: 'web-errors',
        state: 'firing',
        severity: 'page',
        silenced: silence.json.id,
      },
    ]);
  });
});
