/**
 * The dashboard's URLs. The server answers every one of them with index.html (SPA fallback), so
 * each page can be bookmarked and reloaded. Pure: parse a location, build an href.
 */

export type Route =
  | { name: 'overview' }
  | { name: 'login'; next: string | null }
  | { name: 'pipelines' }
  | { name: 'run'; id: string; job: string | null }
  | { name: 'service'; service: string; environment: string | null; range: string | null }
  | { name: 'audit' }
  | { name: 'access' }
  | { name: 'not-found'; path: string };

export function parseRoute(pathname: string, search = ''): Route {
  const q = new URLSearchParams(search);
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map((p) => safeDecode(p));
  if (parts.some((p) => p === undefined)) return { name: 'not-found', path: pathname };
  const [a, b, ...rest] = parts as string[];
  if (a === undefined) return { name: 'overview' };
  if (a === 'login' && b === undefined) return { name: 'login', next: safeNext(q.get('next')) };
  if (a === 'pipelines' && b === undefined) return { name: 'pipelines' };
  if (a === 'pipelines' && b !== undefined && rest.length === 0)
    return { name: 'run', id: b, job: q.get('job') };
  if (a === 'services' && b !== undefined && rest.length === 0)
    return { name: 'service', service: b, environment: q.get('environment'), range: q.get('range') };
  if (a === 'audit' && b === undefined) return { name: 'audit' };
  if (a === 'access' && b === undefined) return { name: 'access' };
  return { name: 'not-found', path: pathname };
}

export function hrefOf(route: Route): string {
  switch (route.name) {
    case 'overview':
      return '/';
    case 'login':
      return route.next === null ? '/login' : `/login?next=${encodeURIComponent(route.next)}`;
    case 'pipelines':
      return '/pipelines';
    case 'run':
      return `/pipelines/${encodeURIComponent(route.id)}${
        route.job === null ? '' : `?job=${encodeURIComponent(route.job)}`
      }`;
    case 'service': {
      const q = new URLSearchParams();
      if (route.environment !== null) q.set('environment', route.environment);
      if (route.range !== null) q.set('range', route.range);
      const s = q.toString();
      return `/services/${encodeURIComponent(route.service)}${s === '' ? '' : `?${s}`}`;
    }
    case 'audit':
      return '/audit';
    case 'access':
      return '/access';
    case 'not-found':
      return route.path;
  }
}

/** Only same-site paths may be a post-login destination (no `//evil.example`, no `javascript:`). */
export function safeNext(next: string | null): string | null {
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  if (next.startsWith('/login')) return null;
  return next;
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
