import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { TandemError } from '../errors.js';
import { type ApiClient, createApiClient } from './api-client.js';
import { ApiProblem, problemFromAnswer } from './problem.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A client whose fetch records each request and answers `answer` (200 `{}` by default). */
function recording(
  opts: { token?: string; csrf?: string; baseUrl?: string } = {},
  answer: () => Response = () => Response.json({}),
): { client: ApiClient; seen: Seen[] } {
  const seen: Seen[] = [];
  const client = createApiClient({
    baseUrl: opts.baseUrl ?? 'http://127.0.0.1:7070/',
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.csrf !== undefined ? { csrfToken: () => opts.csrf } : {}),
    fetch: async (input, init) => {
      seen.push({
        method: init?.method ?? 'GET',
        url: String(input),
        headers: init?.headers as Record<string, string>,
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      });
      return answer();
    },
  });
  return { client, seen };
}

describe('the API client', () => {
  it('calls each route with its method, path, query and body', async () => {
    const { client, seen } = recording();
    const cases: Array<[() => Promise<unknown>, string, string, unknown?]> = [
      [() => client.health(), 'GET', '/api/v1/health'],
      [() => client.status(), 'GET', '/api/v1/status'],
      [
        () => client.history('prod uction', { limit: 5 }),
        'GET',
        '/api/v1/environments/prod%20uction/history?limit=5',
      ],
      [() => client.deployment('d-1'), 'GET', '/api/v1/deployments/d-1'],
      [
        () => client.deploy({ environment: 'staging', ref: 'v1' }),
        'POST',
        '/api/v1/deployments',
        { environment: 'staging', ref: 'v1' },
      ],
      [
        () => client.promote('staging', { full: true }),
        'POST',
        '/api/v1/environments/staging/promote',
        { full: true },
      ],
      [() => client.abort('staging'), 'POST', '/api/v1/environments/staging/abort', {}],
      [() => client.pause('staging'), 'POST', '/api/v1/environments/staging/pause', {}],
      [() => client.resume('staging'), 'POST', '/api/v1/environments/staging/resume', {}],
      [() => client.approve('staging'), 'POST', '/api/v1/environments/staging/approve', {}],
      [
        () => client.rollback('staging', { to: 'r1' }),
        'POST',
        '/api/v1/environments/staging/rollback',
        { to: 'r1' },
      ],
      [() => client.restart('staging'), 'POST', '/api/v1/environments/staging/restart', {}],
      [
        () => client.scale('staging', 'web', 3),
        'POST',
        '/api/v1/environments/staging/services/web/scale',
        { replicas: 3 },
      ],
      [() => client.instances('web'), 'GET', '/api/v1/services/web/instances'],
      [
        () => client.instances('web', { environment: 'staging' }),
        'GET',
        '/api/v1/services/web/instances?environment=staging',
      ],
      [() => client.apply(), 'POST', '/api/v1/apply', {}],
      [() => client.shutdown(), 'POST', '/api/v1/shutdown', {}],
      [() => client.top(), 'GET', '/api/v1/top'],
      [() => client.top('staging'), 'GET', '/api/v1/top?environment=staging'],
      [
        () => client.metricsQuery({ environment: 'staging', service: 'web', from: '1h' }),
        'GET',
        '/api/v1/metrics/query?environment=staging&service=web&from=1h',
      ],
      [() => client.uptime('staging', 'web'), 'GET', '/api/v1/environments/staging/services/web/uptime'],
      [() => client.alerts(), 'GET', '/api/v1/alerts'],
      [() => client.incidents({ state: 'open', limit: 2 }), 'GET', '/api/v1/incidents?state=open&limit=2'],
      [() => client.incident('inc-1'), 'GET', '/api/v1/incidents/inc-1'],
      [
        () => client.resolveIncident('inc-1', { note: 'ok' }),
        'POST',
        '/api/v1/incidents/inc-1/resolve',
        { note: 'ok' },
      ],
      [() => client.silences(), 'GET', '/api/v1/silences'],
      [() => client.silences({ all: true }), 'GET', '/api/v1/silences?all=1'],
      [
        () => client.createSilence({ matchers: ['service=web'], comment: 'x' }),
        'POST',
        '/api/v1/silences',
        { matchers: ['service=web'], comment: 'x' },
      ],
      [() => client.expireSilence('sil-1'), 'POST', '/api/v1/silences/sil-1/expire', {}],
      [() => client.openapi(), 'GET', '/api/v1/openapi.json'],
      [() => client.request('DELETE', '/tokens/t1'), 'DELETE', '/api/v1/tokens/t1'],
      [() => client.requestPath('GET', '/v1/status'), 'GET', '/v1/status'],
    ];
    for (const [run, method, pathname, body] of cases) {
      await run();
      const last = seen.at(-1) as Seen;
      expect([last.method, last.url, last.body], pathname).toEqual([
        method,
        `http://127.0.0.1:7070${pathname}`,
        body,
      ]);
      expect(last.headers['content-type'], pathname).toBe(
        body === undefined ? undefined : 'application/json',
      );
    }
  });

  it('sends the token with every request and the CSRF token with mutations only', async () => {
    const { client, seen } = recording({ token: 'tdm_abc', csrf: 'c1', baseUrl: '' });
    await client.status();
    await client.pause('staging');
    expect(seen[0]?.url).toBe('/api/v1/status');
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer tdm_abc' });
    expect(seen[0]?.headers['x-csrf-token']).toBeUndefined();
    expect(seen[1]?.headers).toMatchObject({ authorization: 'Bearer tdm_abc', 'x-csrf-token': 'c1' });
    const anonymous = recording();
    await anonymous.client.status();
    expect(anonymous.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('throws problems as ApiProblem, a TandemError with the exit code the server chose', async () => {
    const problem = {
      type: 'https://tandem.dev/problems/tandem-bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'invalid request body: replicas: too big',
      code: 'TANDEM_BAD_REQUEST',
      exitCode: 2,
      issues: [{ path: 'replicas', message: 'too big' }],
    };
    const { client } = recording({}, () =>
      Response.json(problem, { status: 400, headers: { 'content-type': 'application/problem+json' } }),
    );
    const err = await client.scale('staging', 'web', 99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiProblem);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({
      status: 400,
      code: 'TANDEM_BAD_REQUEST',
      detail: problem.detail,
      message: problem.detail,
      exitCode: 2,
      title: 'Bad Request',
      issues: problem.issues,
    });
  });

  it('understands the old error answer, non-JSON answers and unreachable servers', async () => {
    const legacy = problemFromAnswer(404, { error: { code: 'TANDEM_X', message: 'gone', exitCode: 2 } });
    expect(legacy).toMatchObject({ status: 404, code: 'TANDEM_X', detail: 'gone', exitCode: 2 });
    expect('issues' in legacy).toBe(false);
    expect(problemFromAnswer(500, undefined)).toMatchObject({
      code: 'TANDEM_API_ERROR',
      detail: 'the server answered HTTP 500',
      exitCode: 1,
    });

    const html = recording({}, () => new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(html.client.status()).rejects.toMatchObject({ code: 'TANDEM_BAD_RESPONSE', status: 502 });

    const down = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(down.status()).rejects.toMatchObject({ code: 'TANDEM_UNREACHABLE', exitCode: 3, status: 0 });
    // A fetch that explains itself (the CLI's) is passed through as is.
    const own = new TandemError('TANDEM_UNREACHABLE', 'start it with `tandem up`', { exitCode: 3 });
    const cli = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch: async () => {
        throw own;
      },
    });
    await expect(cli.status()).rejects.toBe(own);
  });

  it('bundles for the browser (no node-only imports)', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const out = await build({
      entryPoints: [path.join(here, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]?.text ?? '';
    expect(code).toContain('createApiClient');
    expect(code).not.toMatch(/from ["']node:|require\(["']node:/);
  }, 30_000);
});
