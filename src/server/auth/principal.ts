import type { Token } from '../../store/repositories/tokens.js';
import { effectiveRoles } from '../routes/roles.js';
import type { Principal } from '../routes/types.js';

/**
 * A token's principal. Its roles are the token's role and every role below it (an operator is
 * also a developer and a viewer), so checks that look for a named role (approval rules,
 * ControlPlane.authorize) honour the order of DESIGN.md §7.
 */
export function principalOf(token: Token, via: 'bearer' | 'session'): Principal {
  return { id: token.id, name: token.name, roles: effectiveRoles([token.role]), via };
}

/** Who a loopback caller is when auth is off: the local admin. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  id: 'local',
  name: 'local',
  roles: Object.freeze(effectiveRoles(['admin'])),
  via: 'local',
});
