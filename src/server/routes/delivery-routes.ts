/**
 * Delivery: status, deployments, rollout control, history, scaling, instances. Acting on a
 * rollout needs developer; the control plane itself refuses protected environments to anyone
 * below operator (and checks an environment's approval roles), given the caller as the Actor.
 */
import { z } from 'zod';
import type { ControlPlane } from '../../control/control-plane.js';
import { HttpProblem } from '../problem.js';
import { cursorOffset, limitParam, offsetPage, pageQuery } from './pagination.js';
import { actorOf } from './roles.js';
import { defineRoute, type RouteDef } from './types.js';

const TAG = 'delivery';
const MAX_HISTORY = 500;

export const deployBody = z
  .strictObject({
    environment: z.string().min(1),
    ref: z.string().min(1).optional(),
    release: z.string().min(1).optional(),
    force: z.boolean().optional(),
    overrideFreeze: z.boolean().optional(),
    reason: z.string().trim().min(1).optional(),
  })
  .refine((b) => !b.overrideFreeze || b.reason !== undefined, {
    message: 'overriding a freeze needs a reason (--reason "...")',
    path: ['reason'],
  });
export const rollbackBody = z.strictObject({
  to: z.string().min(1).optional(),
  force: z.boolean().optional(),
});
export const restartBody = z.strictObject({ force: z.boolean().optional() });
export const promoteBody = z.strictObject({ full: z.boolean().optional() });
export const abortBody = z.strictObject({ reason: z.string().trim().min(1).optional() });
const emptyBody = z.strictObject({});
export const scaleBody = z.strictObject({ replicas: z.number().int().min(0).max(64) });
export const historyQuery = pageQuery.extend({
  // More than the most is served as the most (what the first releases did).
  limit: limitParam({ fallback: 20, clamp: MAX_HISTORY, what: 'deployments' }),
});
const environmentQuery = z.object({ environment: z.string().min(1).optional() });

export function deliveryRoutes(plane: ControlPlane): RouteDef[] {
  const env = (params: Record<string, string>) => params.env as string;
  return [
    defineRoute({
      method: 'GET',
      path: '/status',
      summary: 'Environments, their rollout, and every service with its release and instances',
      tag: TAG,
      role: 'viewer',
      handler: async () => ({ status: 200, body: await plane.status() }),
    }),
    defineRoute({
      method: 'POST',
      path: '/deployments',
      summary: 'Build a release of a commit (or take an existing one) and roll it out',
      tag: TAG,
      role: 'developer',
      status: 201,
      body: deployBody,
      handler: async (ctx) => {
        const { overrideFreeze, reason, ...rest } = ctx.body;
        return {
          status: 201,
          body: await plane.deploy({
            ...rest,
            actor: actorOf(ctx),
            ...(overrideFreeze ? { overrideFreeze: { reason: reason as string } } : {}),
          }),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/deployments/:id',
      summary: 'A deployment with its rollouts and state',
      tag: TAG,
      role: 'viewer',
      handler: async ({ params }) => {
        const view = await plane.deployment(params.id as string);
        if (view === undefined)
          throw new HttpProblem(404, 'TANDEM_UNKNOWN_DEPLOYMENT', `no deployment "${params.id}"`);
        return { status: 200, body: view };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/promote',
      summary: 'Move a paused or waiting canary on to its next step (full: straight to 100%)',
      tag: TAG,
      role: 'developer',
      body: promoteBody,
      handler: async (ctx) => ({
        status: 200,
        body: await plane.control(env(ctx.params), { type: 'promote', ...ctx.body }, actorOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/abort',
      summary: 'Abort the rollout: traffic goes back to the stable release at once',
      tag: TAG,
      role: 'developer',
      body: abortBody,
      handler: async (ctx) => ({
        status: 200,
        body: await plane.control(env(ctx.params), { type: 'abort', ...ctx.body }, actorOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/pause',
      summary: 'Hold the rollout where it is',
      tag: TAG,
      role: 'developer',
      body: emptyBody,
      handler: async (ctx) => ({
        status: 200,
        body: await plane.control(env(ctx.params), { type: 'pause' }, actorOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/resume',
      summary: 'Let a paused rollout go on',
      tag: TAG,
      role: 'developer',
      body: emptyBody,
      handler: async (ctx) => ({
        status: 200,
        body: await plane.control(env(ctx.params), { type: 'resume' }, actorOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/approve',
      summary: "Approve the rollout awaiting approval (the environment's approval roles decide)",
      tag: TAG,
      role: 'developer',
      body: emptyBody,
      handler: async (ctx) => {
        const actor = actorOf(ctx);
        return {
          status: 200,
          body: await plane.approve({
            environment: env(ctx.params),
            roles: actor.roles,
            by: actor.principal,
          }),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/rollback',
      summary: 'Roll back to a previous release (no pipeline), health-gated',
      tag: TAG,
      role: 'developer',
      status: 201,
      body: rollbackBody,
      handler: async (ctx) => ({
        status: 201,
        body: await plane.rollback({ environment: env(ctx.params), actor: actorOf(ctx), ...ctx.body }),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/restart',
      summary: "Restart an environment's instances one by one, with no downtime",
      tag: TAG,
      role: 'developer',
      status: 201,
      body: restartBody,
      handler: async (ctx) => ({
        status: 201,
        body: await plane.restart({ environment: env(ctx.params), actor: actorOf(ctx), ...ctx.body }),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/environments/:env/services/:service/scale',
      summary: 'Set the number of instances of a deployed service (until the next deploy or apply)',
      tag: TAG,
      role: 'developer',
      body: scaleBody,
      response: z.object({ desired: z.number().int() }),
      handler: async (ctx) => ({
        status: 200,
        body: await plane.scale({
          actor: actorOf(ctx),
          environment: env(ctx.params),
          service: ctx.params.service as string,
          ...ctx.body,
        }),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/environments/:env/history',
      summary:
        'Deployments of an environment, newest first, with autoscaler changes and incidents (`events`, first page only)',
      tag: TAG,
      role: 'viewer',
      query: historyQuery,
      handler: async ({ params, query }) => {
        const limit = Math.min(query.limit ?? 20, MAX_HISTORY);
        const offset = cursorOffset(query.cursor);
        const page = offsetPage(await plane.history(env(params), offset + limit + 1), offset, limit);
        return {
          status: 200,
          body: {
            deployments: page.items,
            events: offset === 0 ? await plane.historyEvents(env(params), limit) : [],
            next: page.next,
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/services/:service/instances',
      summary: 'Instances of a service (every environment, or one) with their log files',
      tag: TAG,
      role: 'viewer',
      query: environmentQuery,
      handler: async ({ params, query }) => ({
        status: 200,
        body: { instances: await plane.instances(query.environment, params.service as string) },
      }),
    }),
  ];
}
