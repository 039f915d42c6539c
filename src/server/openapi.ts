/**
 * The OpenAPI 3.1 document of the API, generated from the route tables: paths and their
 * parameters, request bodies and query parameters from the zod schemas (their input side), the
 * success response, problem+json for errors, the security schemes, and the least role of each
 * operation as `x-tandem-role`.
 */
import { z } from 'zod';
import { API_PREFIX } from './pipeline.js';
import type { RouteDef } from './routes/types.js';

type Json = Record<string, unknown>;

const PROBLEM_SCHEMA: Json = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'code', 'exitCode'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'what went wrong and what to do about it' },
    code: { type: 'string', pattern: '^TANDEM_[A-Z0-9_]+$' },
    exitCode: { type: 'integer', enum: [1, 2, 3], description: 'what the CLI exits with' },
    instance: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses), without its `$schema`. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  try {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    return rest;
  } catch {
    return {};
  }
}

/** `/environments/:env/promote` → `/environments/{env}/promote`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** `POST /environments/:env/promote` → `postEnvironmentsEnvPromote`. */
export function operationId(route: Pick<RouteDef, 'method' | 'path'>): string {
  const words = route.path
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return route.method.toLowerCase() + words.join('');
}

export function buildOpenApi(routes: readonly RouteDef[], opts: { version: string }): Json {
  const paths: Record<string, Json> = {};
  const tags = new Set<string>();
  for (const route of routes) {
    tags.add(route.tag);
    const key = API_PREFIX + openApiPath(route.path);
    paths[key] ??= {};
    (paths[key] as Json)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tandem API',
      version: opts.version,
      description:
        'The API of the Tandem control plane, used by the CLI and the dashboard. Errors are RFC 9457 problem details. The paths are also served under the legacy /v1 prefix.',
    },
    servers: [{ url: '/' }],
    tags: [...tags].sort().map((name) => ({ name })),
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'an API token (`tandem token create`), `tdm_...`',
        },
        cookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'tandem_session',
          description: 'the dashboard session (POST /api/v1/session); mutations also need X-CSRF-Token',
        },
      },
    },
  };
}

function operation(route: RouteDef): Json {
  const parameters: Json[] = [];
  for (const name of route.path.match(/:([A-Za-z0-9_]+)/g) ?? []) {
    parameters.push({ name: name.slice(1), in: 'path', required: true, schema: { type: 'string' } });
  }
  if (route.query !== undefined) {
    const schema = jsonSchemaOf(route.query, 'input');
    const properties = (schema.properties ?? {}) as Record<string, Json>;
    const required = new Set((schema.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        schema: rest,
        ...(typeof description === 'string' ? { description } : {}),
      });
    }
  }
  const success = String(route.status ?? 200);
  const content =
    route.produces !== undefined
      ? { [route.produces]: { schema: { type: 'string' } } }
      : {
          'application/json': {
            schema:
              route.response !== undefined ? jsonSchemaOf(route.response, 'output') : { type: 'object' },
          },
        };
  const responses: Json = {
    [success]: { description: 'success', content },
    ...(route.body !== undefined || route.query !== undefined
      ? { '400': problemResponse('invalid request (every issue is listed with its path)') }
      : {}),
    ...(route.role === 'public'
      ? {}
      : {
          '401': problemResponse('no or bad credentials'),
          '403': problemResponse(`the caller's role is below ${route.role}, or a missing CSRF token`),
        }),
    default: problemResponse('an error (problem details)'),
  };
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.tag],
    'x-tandem-role': route.role,
    ...(route.role === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined
      ? {
          requestBody: {
            // An empty body counts as `{}`: required only when `{}` is not a valid body.
            required: !route.body.safeParse({}).success,
            content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}
