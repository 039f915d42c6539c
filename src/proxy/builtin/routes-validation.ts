/** Validation of a route table given to the builtin data plane's setRoutes. */
import { TandemError } from '../../errors.js';
import type { RouteTable } from '../types.js';
import { isCookieToken, isCookieValue } from './sticky-cookie.js';

export function validate(table: RouteTable): void {
  const ids = new Set<string>();
  const names = new Set<string>();
  const sticky = table.sticky;
  if (sticky !== undefined && !isCookieToken(sticky.cookie)) {
    throw invalid(`sticky cookie name "${sticky.cookie}" is not a valid cookie name`);
  }
  for (const r of table.revisions) {
    if (sticky !== undefined && !isCookieValue(r.revision)) {
      throw invalid(`revision "${r.revision}" cannot be a cookie value (sticky routing)`);
    }
    if (names.has(r.revision)) throw invalid(`revision "${r.revision}" appears twice`);
    names.add(r.revision);
    if (!Number.isInteger(r.weight) || r.weight < 0) {
      throw invalid(`revision "${r.revision}" has weight ${r.weight}; weights are integers >= 0`);
    }
    for (const i of r.instances) {
      if (ids.has(i.id)) throw invalid(`instance "${i.id}" appears twice`);
      ids.add(i.id);
      if (!Number.isInteger(i.port) || i.port < 1 || i.port > 65_535) {
        throw invalid(`instance "${i.id}" has port ${i.port}`);
      }
    }
  }
}

function invalid(message: string): TandemError {
  return new TandemError('TANDEM_PROXY_ROUTES', `invalid route table: ${message}`);
}
