/**
 * A standalone request handler serving only the incident, silence and alert routes
 * (routes/observe-routes.ts) through the API pipeline, as one fixed caller: for tests and tools
 * that want the observe API without a control plane.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncidentOps } from '../control/incident-ops.js';
import { fixedAuth } from './auth-port.js';
import { createPipeline } from './pipeline.js';
import { observeRoutes } from './routes/observe-routes.js';
import type { Role } from './routes/types.js';

export function createObserveHandler(
  ops: IncidentOps,
  auth: { principal: string; roles: readonly string[] } = { principal: 'local', roles: ['admin'] },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return createPipeline({
    routes: observeRoutes(ops),
    auth: fixedAuth({
      id: auth.principal,
      name: auth.principal,
      roles: auth.roles as readonly Role[],
      via: 'local',
    }),
  });
}
