/**
 * Incidents, silences and alerts (issue 5). Reads need viewer; resolving incidents and silencing
 * alerts need operator (IncidentOps checks it again for callers other than the API).
 */
import { z } from 'zod';
import {
  type IncidentFilter,
  type IncidentOps,
  MAX_INCIDENT_LIMIT,
  parseSilenceDuration,
} from '../../control/incident-ops.js';
import { cursorOffset, limitParam, offsetPage, pageQuery } from './pagination.js';
import { actorOf } from './roles.js';
import { defineRoute, type RouteDef } from './types.js';

const TAG = 'incidents';

export const incidentsQuery = pageQuery.extend({
  state: z.enum(['open', 'resolved']).optional(),
  environment: z.string().min(1).optional(),
  service: z.string().min(1).optional(),
  limit: limitParam({ fallback: 20, max: MAX_INCIDENT_LIMIT, what: 'incidents' }),
});
export const resolveBody = z.strictObject({ note: z.string().max(2000).optional() });
export const silenceBody = z.strictObject({
  matchers: z.array(z.string().min(1)).min(1, 'give at least one matcher, e.g. service=web'),
  duration: z.string().min(1).optional(),
  until: z.string().min(1).optional(),
  comment: z.string().trim().min(1, 'say why (--comment "...")').max(2000),
});

/** `?all=1`: any value but empty, `0` and `false`. */
const flag = (value: string | undefined) =>
  value !== undefined && value !== '' && value !== '0' && value !== 'false';

export function observeRoutes(ops: IncidentOps): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/incidents',
      summary: 'Incidents, newest first',
      tag: TAG,
      role: 'viewer',
      query: incidentsQuery,
      handler: async ({ query }) => {
        const { cursor, limit = 20, ...rest } = query;
        const offset = cursorOffset(cursor);
        const filter: IncidentFilter = {
          ...rest,
          limit: Math.min(offset + limit + 1, MAX_INCIDENT_LIMIT),
        };
        const page = offsetPage(await ops.incidents(filter), offset, limit);
        return { status: 200, body: { incidents: page.items, next: page.next } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/incidents/:id',
      summary: 'An incident with its linked releases, alerts and timeline',
      tag: TAG,
      role: 'viewer',
      handler: async ({ params }) => ({ status: 200, body: await ops.incident(params.id as string) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/incidents/:id/resolve',
      summary: 'Resolve an incident, with an optional note',
      tag: TAG,
      role: 'operator',
      body: resolveBody,
      handler: async (ctx) => ({
        status: 200,
        body: await ops.resolveIncident(ctx.params.id as string, actorOf(ctx), ctx.body.note),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/silences',
      summary: 'Active silences (all: also pending and expired ones)',
      tag: TAG,
      role: 'viewer',
      query: z.object({ all: z.string().optional().describe('1 to include pending and expired silences') }),
      handler: async ({ query }) => ({
        status: 200,
        body: { silences: await ops.silences({ all: flag(query.all) }) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/silences',
      summary: 'Silence the alerts matching the matchers for a while',
      tag: TAG,
      role: 'operator',
      status: 201,
      body: silenceBody,
      handler: async (ctx) => {
        const { duration, ...rest } = ctx.body;
        const silence = await ops.createSilence(
          { ...rest, ...(duration === undefined ? {} : { duration: parseSilenceDuration(duration) }) },
          actorOf(ctx),
        );
        return { status: 201, body: silence };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/silences/:id/expire',
      summary: 'End a silence now',
      tag: TAG,
      role: 'operator',
      body: z.strictObject({}),
      handler: async (ctx) => ({
        status: 200,
        body: await ops.expireSilence(ctx.params.id as string, actorOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts',
      summary: 'Every alert instance with its state and silence',
      tag: TAG,
      role: 'viewer',
      handler: async () => ({ status: 200, body: { alerts: await ops.alerts() } }),
    }),
  ];
}
