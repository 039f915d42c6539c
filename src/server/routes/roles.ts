/** Role order (DESIGN.md §7): each role may do everything the ones before it may. */
import type { Actor } from '../../control/control-plane.js';
import { ROLES, type Role, type RouteContext } from './types.js';

export function roleRank(role: string): number {
  return ROLES.indexOf(role as Role);
}

/** The highest of `roles`, or undefined when none is known. */
export function highestRole(roles: readonly string[]): Role | undefined {
  let best: Role | undefined;
  for (const r of roles)
    if (roleRank(r) >= 0 && (best === undefined || roleRank(r) > roleRank(best))) best = r as Role;
  return best;
}

export function hasRole(roles: readonly string[], needed: Role | 'public'): boolean {
  if (needed === 'public') return true;
  const best = highestRole(roles);
  return best !== undefined && roleRank(best) >= roleRank(needed);
}

/**
 * Every role the holder of `roles` acts as: an operator is also a developer and a viewer. The
 * control plane's checks look for a named role (`operator` on protected environments, an
 * environment's approval roles), so it is given the whole set.
 */
export function effectiveRoles(roles: readonly string[]): Role[] {
  const best = highestRole(roles);
  return best === undefined ? [] : ROLES.slice(0, roleRank(best) + 1);
}

/** Who the control plane sees as acting for a route's caller. */
export function actorOf(ctx: Pick<RouteContext, 'principal'>): Actor {
  return { principal: ctx.principal?.name ?? 'anonymous', roles: effectiveRoles(ctx.principal?.roles ?? []) };
}
