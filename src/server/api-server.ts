/**
 * The control plane's HTTP API (what the CLI and the dashboard talk to): the route tables of
 * src/server/routes/ served by the one request pipeline (pipeline.ts) under `/api/v1`, the legacy
 * `/v1` alias and `/metrics`. Authentication and the audit log are ports, so tokens, sessions and
 * the audit store plug in here without touching the routes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ControlPlane } from '../control/control-plane.js';
import { type AuditSink, localOnlyAuth, type RequestAuth } from './auth-port.js';
import { createPipeline } from './pipeline.js';
import { deliveryRoutes } from './routes/delivery-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { observeRoutes } from './routes/observe-routes.js';
import { openApiRoute, systemRoutes } from './routes/system-routes.js';
import type { RouteDef } from './routes/types.js';

/** The API's version in the OpenAPI document (the CLI's VERSION; kept here to avoid importing the CLI). */
export const API_VERSION = '0.1.0';

export interface ApiServerOptions {
  plane: ControlPlane;
  /** Who calls; by default loopback callers are the local admin and others are refused. */
  auth?: RequestAuth;
  /** Records every mutating call, allowed or denied. */
  audit?: AuditSink;
  /** More routes (tokens, sessions, audit, insights…), served by the same pipeline. */
  extraRoutes?: readonly RouteDef[];
  /** Requests outside the API (the dashboard's files); true when answered. */
  fallback?(req: IncomingMessage, res: ServerResponse): Promise<boolean> | boolean;
  /** Called after a shutdown request was answered. */
  onShutdown(): void;
}

/** Every route the server serves, in matching order (for the pipeline, tests and docs). */
export function apiRoutes(opts: Pick<ApiServerOptions, 'plane' | 'extraRoutes' | 'onShutdown'>): RouteDef[] {
  const routes: RouteDef[] = [
    ...systemRoutes({ plane: opts.plane, onShutdown: opts.onShutdown }),
    ...deliveryRoutes(opts.plane),
    ...metricsRoutes(opts.plane),
    ...observeRoutes(opts.plane.incidents),
    ...(opts.extraRoutes ?? []),
  ];
  routes.push(openApiRoute(() => routes, API_VERSION));
  return routes;
}

export function createApiServer(opts: ApiServerOptions): Server {
  const handler = createPipeline({
    routes: apiRoutes(opts),
    auth: opts.auth ?? localOnlyAuth(),
    ...(opts.audit !== undefined ? { audit: opts.audit } : {}),
    ...(opts.fallback !== undefined ? { fallback: opts.fallback } : {}),
  });
  return createServer((req, res) => {
    void handler(req, res);
  });
}
