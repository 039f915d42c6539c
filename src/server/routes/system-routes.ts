/**
 * The control plane itself: health, config reload, shutdown, push webhooks and the OpenAPI
 * document.
 *
 * Roles: health is public (`tandem up` and load balancers probe it without credentials);
 * webhooks are public because GitHub and GitLab cannot hold a token — the control plane verifies
 * each delivery's HMAC signature (or GitLab token) in constant time instead; the OpenAPI document
 * is public (it describes routes, never data, and tools fetch it before they have a token).
 * `apply` changes what runs everywhere, so it needs operator. `shutdown` stops the control plane,
 * the data plane and every service of every environment — more than any operator action on one
 * environment — so it needs admin.
 */
import { z } from 'zod';
import type { ControlPlane } from '../../control/control-plane.js';
import { buildOpenApi } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type RouteDef } from './types.js';

const TAG = 'system';
const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

export function systemRoutes(opts: { plane: ControlPlane; onShutdown(): void }): RouteDef[] {
  const { plane } = opts;
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      summary: 'Whether the control plane answers, and for which project',
      tag: TAG,
      role: 'public',
      response: z.object({ ok: z.boolean(), project: z.string(), pid: z.number().int(), config: z.string() }),
      handler: async () => ({
        status: 200,
        body: { ok: true, project: plane.project, pid: process.pid, config: plane.configFile },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/apply',
      summary: 'Load the edited tandem.yaml into the running control plane (an invalid file is refused)',
      tag: TAG,
      role: 'operator',
      body: z.strictObject({}),
      response: z.object({ file: z.string(), changes: z.array(z.string()) }),
      handler: async () => ({ status: 200, body: await plane.apply() }),
    }),
    defineRoute({
      method: 'POST',
      path: '/shutdown',
      summary: 'Stop the control plane, the data plane and the services',
      tag: TAG,
      role: 'admin',
      status: 202,
      body: z.strictObject({}),
      response: z.object({ stopping: z.literal(true) }),
      handler: async ({ res }) => {
        res.on('finish', () => opts.onShutdown());
        return { status: 202, body: { stopping: true } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/webhooks/:provider',
      summary: 'A push webhook from GitHub or GitLab (verified by its signature)',
      tag: TAG,
      role: 'public',
      status: 202,
      handler: async ({ params, req }) => {
        const provider = params.provider;
        if (provider !== 'github' && provider !== 'gitlab') {
          throw new HttpProblem(
            404,
            'TANDEM_NO_ROUTE',
            `no webhook provider "${provider}" (github or gitlab)`,
          );
        }
        const out = await plane.webhook(provider, await readRaw(req), req.headers);
        const error = (out.body as { error?: { code?: string; message?: string } } | null)?.error;
        if (out.status >= 400 && error !== undefined) {
          throw new HttpProblem(
            out.status,
            error.code ?? 'TANDEM_WEBHOOK_REFUSED',
            error.message ?? 'refused',
          );
        }
        return out;
      },
    }),
  ];
}

/** GET /openapi.json: the document of `routes()` (the whole table, this route included). */
export function openApiRoute(routes: () => readonly RouteDef[], version: string): RouteDef {
  let doc: unknown;
  return defineRoute({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    tag: TAG,
    role: 'public',
    handler: async () => {
      doc ??= buildOpenApi(routes(), { version });
      return { status: 200, body: doc };
    },
  });
}

/** The raw body (webhook signatures are over the exact bytes), capped. */
async function readRaw(req: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BYTES)
      throw new HttpProblem(413, 'TANDEM_BODY_TOO_LARGE', `request body over ${MAX_WEBHOOK_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
