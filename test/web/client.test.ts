import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createClient } from '../../web/src/api/client.js';
import { type FakeApi, startFakeApi } from './fake-api.js';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());

/** Node's fetch keeps no cookies; the browser does. This jar stands in for it. */
function browserFetch(base: string): typeof fetch {
  let cookie: string | undefined;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie !== undefined) headers.set('cookie', cookie);
    const res = await fetch(new URL(String(input), base), { ...init, headers });
    const set = res.headers.get('set-cookie');
    if (set !== null) cookie = set.split(';')[0];
    return res;
  };
}

describe('the dashboard API client (against a fake /api/v1 on 127.0.0.1)', () => {
  it('logs in with a token, then sends the CSRF token on every mutation', async () => {
    let unauthorized = 0;
    let stored: string | null = null;
    const jar = browserFetch(api.url);
    const client = createClient({
      fetch: jar,
      onUnauthorized: () => unauthorized++,
      storage: { get: () => stored, set: (v) => (stored = v) },
    });
    expect(await client.session()).toBeNull();
    // The session check's 401 is the login page, not an expired session.
    expect(unauthorized).toBe(0);

    const refused = await client.login('tdm_wrong').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 401, code: 'TANDEM_UNAUTHENTICATED', message: 'unknown token' });

    const session = await client.login('tdm_fake');
    expect(session.principal).toEqual({ name: 'local', roles: ['admin'] });
    expect(session.csrf).toMatch(/^[0-9a-f]{24}$/);
    expect(stored).toBe(session.csrf);
    expect(await client.session()).toEqual(session);

    await client.control('production', 'promote', { full: true });
    const promote = api.requests.find((r) => r.path === '/environments/production/promote');
    expect(promote).toMatchObject({ method: 'POST', csrf: session.csrf, body: { full: true } });
    expect(api.state.rollout?.state).toBe('promoted');

    // A reloaded page: a new client with the same cookie and the stored token can still mutate.
    const reloaded = createClient({ fetch: jar, storage: { get: () => stored, set: () => {} } });
    await reloaded.control('production', 'pause');
    expect(api.requests.at(-1)).toMatchObject({ path: '/environments/production/pause', csrf: session.csrf });
    // Without the cookie, the token alone is nothing.
    const stranger = createClient({
      fetch: browserFetch(api.url),
      storage: { get: () => stored, set: () => {} },
    });
    await expect(stranger.control('production', 'pause')).rejects.toMatchObject({ status: 401 });

    await client.logout();
    expect(stored).toBeNull();
    await expect(client.overview()).rejects.toMatchObject({ status: 401 });
    expect(unauthorized).toBe(1);
  });

  it('refuses a mutation without the CSRF token (the server says 403)', async () => {
    const fetchWithJar = browserFetch(api.url);
    const client = createClient({ fetch: fetchWithJar });
    await client.login('tdm_fake');
    const forgetful = createClient({ fetch: fetchWithJar });
    const err = await forgetful.control('production', 'resume').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: 'TANDEM_CSRF' });
  });

  it('reads every page through the adapters', async () => {
    const client = createClient({ fetch: browserFetch(api.url) });
    await client.login('tdm_fake');

    const rows = await client.overview();
    expect(rows.map((r) => `${r.environment}/${r.service}:${r.health}`)).toEqual([
      'staging/web:healthy',
      'production/web:healthy',
      'production/worker:down',
    ]);
    expect(rows[1]).toMatchObject({ protected: true, approval: ['operator'], rps: 41.5 });

    const status = await client.status();
    expect(status[0]).toMatchObject({ environment: 'production', service: 'web', ready: 2 });

    const first = await client.timeline('web', { environment: 'production', limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.next).not.toBeNull();
    const second = await client.timeline('web', { environment: 'production', limit: 3, cursor: first.next });
    const ids = [...first.items, ...second.items].map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(first.items[0]!.at).toBeGreaterThanOrEqual(first.items[1]!.at);
    expect(api.requests.at(-1)?.path).toBe('/services/web/timeline?environment=production&limit=3&cursor=3');

    const runs = await client.runs({ limit: 10 });
    expect(runs.items[0]).toMatchObject({ id: 'run-0001', status: 'passed', branch: 'main' });
    const run = await client.run('run-0001');
    expect(run.jobs.find((j) => j.name === 'build')?.needs).toEqual(['lint', 'test']);
    expect(run.jobs.find((j) => j.name === 'install')).toMatchObject({
      status: 'cached',
      reason: 'cache hit: inputs unchanged',
    });
    expect(await client.jobLog('run-0001', 'build')).toEqual({
      lines: ['$ npm run build', 'build: ok'],
      offset: 26,
      complete: true,
      truncated: false,
    });
    await expect(client.run('nope')).rejects.toMatchObject({ status: 404, code: 'TANDEM_UNKNOWN_RUN' });

    const rerun = await client.rerun('run-0001');
    expect(rerun).toMatchObject({ status: 'started', runId: 'run-0002' });

    const points = await client.metrics({
      environment: 'production',
      service: 'web',
      from: '1h',
      step: '30s',
    });
    expect(points).toHaveLength(120);
    expect(points.some((p) => p.rps === null)).toBe(true);
    expect(api.requests.at(-1)?.path).toBe(
      '/metrics/query?environment=production&service=web&from=1h&step=30s',
    );
  });

  it('answers the first overview from a prefetch made during the session check; a failed one is forgotten', async () => {
    const jar = browserFetch(api.url);
    const client = createClient({ fetch: jar });
    const count = () => api.requests.filter((r) => r.path === '/overview').length;
    const before = count();
    client.prefetchOverview(); // not logged in yet: a 401
    await new Promise((r) => setTimeout(r, 100));
    await client.login('tdm_fake');
    expect((await client.overview()).length).toBeGreaterThan(0);
    expect(count()).toBe(before + 2); // the failed prefetch was not reused
    client.prefetchOverview();
    const rows = await client.overview();
    expect(rows.length).toBeGreaterThan(0);
    expect(count()).toBe(before + 3); // one request for the prefetch and the page's read
  });

  it('builds stream URLs', () => {
    const client = createClient({ fetch });
    expect(client.streamUrl({ topics: ['events'], environment: 'production', service: 'web' })).toBe(
      '/api/v1/stream?topics=events&environment=production&service=web',
    );
    expect(client.streamUrl({ topics: ['logs'], instance: 'web-1' })).toBe(
      '/api/v1/stream?topics=logs&instance=web-1',
    );
    expect(client.streamUrl({ topics: ['events'], types: ['pipeline.', 'rollout.'] })).toBe(
      '/api/v1/stream?topics=events&types=pipeline.%2Crollout.',
    );
    expect(client.streamUrl({ topics: ['joblog'], run: 'run-0001', job: 'test (node=20)', offset: 0 })).toBe(
      '/api/v1/stream?topics=joblog&run=run-0001&job=test+%28node%3D20%29&offset=0',
    );
  });
});
