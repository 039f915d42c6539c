/**
 * The declarative shape of every API route (issue 6): one table drives the HTTP dispatch, the auth
 * check (the least role a route needs), body and query validation, the audit log and the OpenAPI
 * document. Paths are written without the `/api/v1` prefix.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** Ordered: each role may do everything the ones before it may. */
export const ROLES = ['viewer', 'developer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** A token's id, or `local` when auth is off (loopback only). */
  id: string;
  /** The token's name (what the audit log shows). */
  name: string;
  roles: readonly Role[];
  via: 'bearer' | 'session' | 'local';
}

export interface RouteContext<B = unknown, Q = unknown> {
  params: Record<string, string>;
  query: Q;
  body: B;
  /** undefined only on `public` routes called without credentials. */
  principal: Principal | undefined;
  req: IncomingMessage;
  res: ServerResponse;
  /** The client's address (for the audit log and login rate limiting). */
  address: string;
}

export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

export interface RouteDef<B = unknown, Q = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** e.g. `/environments/:env/promote` (params are `:name`). */
  path: string;
  summary: string;
  /** OpenAPI tag: `delivery`, `observe`, `pipelines`, `access`… */
  tag: string;
  /** The least role that may call it; `public` needs no credentials (health, login). */
  role: Role | 'public';
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** The success response's schema, for the OpenAPI document. */
  response?: z.ZodType;
  /** The success status, for the OpenAPI document (200 by default). */
  status?: number;
  /** The success response's media type when not JSON (`text/plain`, `text/event-stream`). */
  produces?: string;
  /**
   * Also served at this absolute path outside the API prefix (Prometheus scrapes `/metrics`).
   */
  rootPath?: string;
  /**
   * Answers with a JSON body, or writes the response itself (SSE, /metrics, static files) and
   * returns `undefined`.
   */
  handler(ctx: RouteContext<B, Q>): Promise<RouteResult | undefined>;
}

/** A helper that keeps the body and query types of a route definition. */
export function defineRoute<B = unknown, Q = unknown>(def: RouteDef<B, Q>): RouteDef<B, Q> {
  return def;
}
