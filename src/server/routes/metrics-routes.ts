/** Metrics: Tandem's own Prometheus exposition, `tandem top`, chart points and uptime. */
import { z } from 'zod';
import type { ControlPlane } from '../../control/control-plane.js';
import { metricsQuery, topSnapshot, uptime } from '../../control/observe-queries.js';
import { parseDuration } from '../../util/duration.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type RouteDef } from './types.js';

const TAG = 'observe';

const needed = (name: string) =>
  z.string({ error: `the query needs ?${name}=` }).min(1, `the query needs ?${name}=`);
export const metricsQuerySchema = z.object({
  environment: needed('environment'),
  service: needed('service'),
  instance: z.string().min(1).optional(),
  from: z.string().optional().describe('an ISO time or a duration ago ("1h"); 1h ago by default'),
  to: z.string().optional().describe('an ISO time or a duration ago; now by default'),
  step: z.string().optional().describe('the width of a point ("1m"); about 120 points by default'),
});

export function metricsRoutes(plane: ControlPlane): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/metrics',
      rootPath: '/metrics',
      summary: "Tandem's own metrics in the Prometheus text format (also served at /metrics)",
      tag: TAG,
      role: 'viewer',
      produces: 'text/plain',
      handler: async ({ res }) => {
        const { contentType, body } = await plane.exposition.render();
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/top',
      summary: 'Live numbers of every instance: req/s, errors, p95, CPU, memory, replicas',
      tag: TAG,
      role: 'viewer',
      query: z.object({ environment: z.string().min(1).optional() }),
      handler: async ({ query }) => ({ status: 200, body: await topSnapshot(plane, query.environment) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics/query',
      summary: 'Chart points of a service (or one instance) over a time range',
      tag: TAG,
      role: 'viewer',
      query: metricsQuerySchema,
      handler: async ({ query }) => {
        const now = Date.now();
        const time = (name: 'from' | 'to', fallback: number) => {
          const v = query[name];
          if (v === undefined) return fallback;
          const ago = parseDuration(v);
          const at = ago !== undefined ? now - ago : Date.parse(v);
          if (Number.isNaN(at))
            throw new HttpProblem(
              400,
              'TANDEM_BAD_QUERY',
              `?${name}= is an ISO time or a duration ago ("1h"), got "${v}"`,
            );
          return at;
        };
        const from = time('from', now - 3_600_000);
        const to = time('to', now);
        const step = parseDuration(query.step ?? '') ?? Math.max(1000, Math.ceil((to - from) / 120));
        return {
          status: 200,
          body: metricsQuery(plane, {
            environment: query.environment,
            service: query.service,
            ...(query.instance !== undefined ? { instance: query.instance } : {}),
            from,
            to,
            stepMs: step,
          }),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/environments/:env/services/:service/uptime',
      summary: 'Uptime of a service over 1, 30 and 90 days',
      tag: TAG,
      role: 'viewer',
      handler: async ({ params }) => ({
        status: 200,
        body: uptime(plane, params.env as string, params.service as string),
      }),
    }),
  ];
}
