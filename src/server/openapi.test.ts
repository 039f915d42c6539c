import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { ControlPlane } from '../control/control-plane.js';
import { FakeAgent } from '../control/fake-agent.js';
import { openStoreAt } from '../store/open.js';
import type { Store } from '../store/store.js';
import { apiRoutes, createApiServer } from './api-server.js';
import { buildOpenApi, openApiPath, operationId } from './openapi.js';
import { API_PREFIX } from './pipeline.js';
import type { RouteDef } from './routes/types.js';

type Json = Record<string, unknown>;

let dir: string;
let store: Store;
let server: Server;
let routes: RouteDef[];
let doc: Json;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-openapi-'));
  writeFileSync(
    path.join(dir, 'tandem.yaml'),
    'project: shop\npipeline:\n  jobs:\n    build: { run: "true" }\nservices:\n  web:\n    run: node server.js\nenvironments:\n  production:\n    listen: 18183\n',
  );
  store = await openStoreAt(':memory:');
  const plane = new ControlPlane({
    loaded: await loadConfig({ cwd: dir }),
    store,
    agent: new FakeAgent(),
    env: {},
  });
  routes = apiRoutes({ plane, onShutdown: () => {} });
  // The default auth refuses nobody on loopback: ask like a stranger would, with no credentials at all.
  server = createApiServer({
    plane,
    auth: {
      authenticate: async () => ({ ok: false, status: 401, code: 'TANDEM_UNAUTHENTICATED', detail: 'no' }),
      checkCsrf: () => false,
    },
    onShutdown: () => {},
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const res = await fetch(
    `http://127.0.0.1:${(server.address() as AddressInfo).port}${API_PREFIX}/openapi.json`,
  );
  expect(res.status).toBe(200);
  doc = JSON.parse(await res.text()) as Json;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const operations = (): Array<{ path: string; method: string; op: Json }> =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([p, item]) =>
    Object.entries(item).map(([method, op]) => ({ path: p, method, op: op as Json })),
  );

/** Every `$ref` anywhere in `value`. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  it('is served without credentials and has the top-level structure OpenAPI 3.1 requires', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Tandem API', version: expect.any(String) });
    expect(typeof doc.paths).toBe('object');
    const components = doc.components as { securitySchemes: Json; schemas: Json };
    expect(components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      cookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'tandem_session' }),
    });
    expect(doc.security).toEqual([{ bearer: [] }, { cookie: [] }]);
    for (const ref of refs(doc)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(components.schemas[ref.split('/').at(-1) as string], ref).toBeDefined();
    }
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });

  it('has every route of the tables, with its role, and nothing else', () => {
    const listed = operations().map((o) => `${o.method.toUpperCase()} ${o.path}`);
    const expected = routes.map((r) => `${r.method} ${API_PREFIX}${openApiPath(r.path)}`);
    expect(listed.sort()).toEqual([...expected].sort());
    for (const r of routes) {
      const op = (doc.paths as Record<string, Json>)[API_PREFIX + openApiPath(r.path)]?.[
        r.method.toLowerCase()
      ] as Json;
      expect(op['x-tandem-role'], r.path).toBe(r.role);
      expect(op.summary).toBe(r.summary);
      expect(op.tags).toEqual([r.tag]);
      if (r.role === 'public') expect(op.security, r.path).toEqual([]);
      else expect(op.responses, r.path).toHaveProperty('403');
    }
  });

  it('describes each operation completely: ids, path and query parameters, bodies, responses', () => {
    const tagNames = (doc.tags as Array<{ name: string }>).map((t) => t.name);
    const ids = new Set<string>();
    for (const { path: p, method, op } of operations()) {
      const label = `${method} ${p}`;
      expect(METHODS, label).toContain(method);
      expect(p.startsWith('/') && !p.includes(':'), label).toBe(true);
      expect(typeof op.operationId, label).toBe('string');
      expect(ids.has(op.operationId as string), label).toBe(false);
      ids.add(op.operationId as string);
      for (const tag of op.tags as string[]) expect(tagNames, label).toContain(tag);

      const params = (op.parameters ?? []) as Array<{
        name: string;
        in: string;
        required: boolean;
        schema: Json;
      }>;
      const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(
        params.filter((x) => x.in === 'path').map((x) => x.name),
        label,
      ).toEqual(templated);
      for (const x of params) {
        expect(['path', 'query'], label).toContain(x.in);
        if (x.in === 'path') expect(x.required, label).toBe(true);
        expect(typeof x.schema, label).toBe('object');
      }
      expect(new Set(params.map((x) => `${x.in}:${x.name}`)).size, label).toBe(params.length);

      const responses = op.responses as Record<string, Json>;
      expect(
        Object.keys(responses).some((s) => /^2\d\d$/.test(s)),
        label,
      ).toBe(true);
      expect(responses.default, label).toBeDefined();
      for (const [status, response] of Object.entries(responses)) {
        expect(status === 'default' || /^[1-5]\d\d$/.test(status), label).toBe(true);
        expect(typeof response.description, `${label} ${status}`).toBe('string');
        if (status !== 'default' && Number(status) >= 400)
          expect(Object.keys(response.content as Json)).toEqual(['application/problem+json']);
      }
    }
  });

  it('takes request bodies and query parameters from the schemas', () => {
    const op = (method: string, p: string) =>
      (doc.paths as Record<string, Record<string, Json>>)[API_PREFIX + p]?.[method] as Json;
    const deploy = op('post', '/deployments');
    expect(deploy.requestBody).toMatchObject({
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['environment'],
            additionalProperties: false,
            properties: { environment: { type: 'string', minLength: 1 }, force: { type: 'boolean' } },
          },
        },
      },
    });
    expect(deploy.responses).toHaveProperty('201');
    // A bodiless action may be posted with no body at all.
    expect(op('post', '/environments/{env}/pause').requestBody).toMatchObject({ required: false });
    const query = op('get', '/metrics/query').parameters as Array<{ name: string; required: boolean }>;
    expect(query.filter((x) => x.required).map((x) => x.name)).toEqual(['environment', 'service']);
    expect(query.map((x) => x.name)).toEqual(expect.arrayContaining(['instance', 'from', 'to', 'step']));
    const incidents = op('get', '/incidents').parameters as Array<{ name: string; schema: Json }>;
    expect(incidents.find((x) => x.name === 'state')?.schema).toEqual({
      type: 'string',
      enum: ['open', 'resolved'],
    });
    expect(incidents.find((x) => x.name === 'limit')?.schema).toMatchObject({
      type: 'integer',
      maximum: 500,
    });
    expect(op('get', '/metrics').responses).toMatchObject({ '200': { content: { 'text/plain': {} } } });
    expect(op('get', '/health').responses).toMatchObject({
      '200': {
        content: { 'application/json': { schema: { required: ['ok', 'project', 'pid', 'config'] } } },
      },
    });
  });

  it('names operations after their method and path', () => {
    expect(operationId({ method: 'POST', path: '/environments/:env/promote' })).toBe(
      'postEnvironmentsEnvPromote',
    );
    expect(operationId({ method: 'GET', path: '/openapi.json' })).toBe('getOpenapiJson');
    expect(buildOpenApi([], { version: '1' }).paths).toEqual({});
  });
});
