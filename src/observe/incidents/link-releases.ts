/**
 * Which releases an incident is linked to (issue 5). DevLake links an incident to the most recent
 * successful production deployment that finished before it, however old (incubator-devlake
 * #8150: a week-old deployment gets blamed). Tandem knows more, so it links:
 *
 * - `running`: the release running when the incident started (the last succeeded deployment of
 *   the environment that finished at or before `from`). It is a *suspect* only when it finished
 *   within `lookbackMs` (default 24h) before `from`; an older one is linked for context but does
 *   not count as a change failure.
 * - `before`: deployments that started before the incident and after the running one (failed,
 *   superseded or still in flight: a canary that breaks things is usually one), or that were still
 *   in progress when it started; skipped when they finished before the lookback. Suspects.
 * - `during`: deployments started within [from, to] (usually the rollback or the fix). Linked, not
 *   suspects.
 *
 * Deployments of another environment and `scale` / `restart` ones (they change no code) are
 * ignored. Pure: the caller passes the deployments (e.g. `store.deployments.history(env)`).
 */

export const DEFAULT_LINK_LOOKBACK_MS = 24 * 60 * 60 * 1000;

export interface LinkableDeployment {
  id: string;
  environment: string;
  release: string;
  state: 'progressing' | 'succeeded' | 'failed' | 'superseded';
  /** ISO-8601. */
  startedAt: string;
  finishedAt: string | null;
  kind?: 'deploy' | 'rollback' | 'restart' | 'scale';
}

export type ReleaseRelation = 'running' | 'before' | 'during';

export interface ReleaseLink {
  deployment: string;
  release: string;
  relation: ReleaseRelation;
  /** Could have caused the incident: counts towards change-failure rate. */
  suspect: boolean;
}

export interface LinkedReleases {
  /** Every linked release, once: the running one first, then by deployment start. */
  releases: string[];
  /** The linked releases that could have caused it. */
  suspects: string[];
  links: ReleaseLink[];
}

export interface IncidentWindow {
  from: Date;
  /** Now for an open incident. */
  to: Date;
}

export function linkReleases(
  window: IncidentWindow,
  deployments: readonly LinkableDeployment[],
  environment: string,
  options: { lookbackMs?: number } = {},
): LinkedReleases {
  const from = window.from.getTime();
  const to = Math.max(from, window.to.getTime());
  const since = from - (options.lookbackMs ?? DEFAULT_LINK_LOOKBACK_MS);
  const candidates = deployments
    .filter((d) => d.environment === environment && d.kind !== 'scale' && d.kind !== 'restart')
    .map((d) => ({
      d,
      start: Date.parse(d.startedAt),
      end: d.finishedAt === null ? Infinity : Date.parse(d.finishedAt),
    }))
    .sort((a, b) => a.start - b.start || a.end - b.end || (a.d.id < b.d.id ? -1 : 1));

  let running: (typeof candidates)[number] | undefined;
  for (const c of candidates) {
    if (c.d.state !== 'succeeded' || c.end > from) continue;
    if (running === undefined || c.end >= running.end) running = c;
  }

  const links: ReleaseLink[] = [];
  if (running !== undefined) {
    links.push({
      deployment: running.d.id,
      release: running.d.release,
      relation: 'running',
      suspect: running.end >= since,
    });
  }
  for (const c of candidates) {
    if (c === running || c.start > to) continue;
    if (c.start >= from) {
      links.push({ deployment: c.d.id, release: c.d.release, relation: 'during', suspect: false });
      continue;
    }
    const activeAtStart = c.end > from;
    const afterRunning = running === undefined || c.start > running.start;
    if (!activeAtStart && (!afterRunning || c.end < since)) continue;
    links.push({ deployment: c.d.id, release: c.d.release, relation: 'before', suspect: true });
  }

  return {
    releases: unique(links.map((l) => l.release)),
    suspects: unique(links.filter((l) => l.suspect).map((l) => l.release)),
    links,
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
