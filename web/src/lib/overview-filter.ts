/** Which overview rows are shown: the filter box and "needs attention only". Pure. */
import type { OverviewRow } from '../api/types.js';

/**
 * Rows drawn at first. Laying out a table costs the browser about 1 ms a row: 2,000 rows took
 * 3.8 s to a usable page (bench/dashboard-load.bench.ts), 100 stay well under a second; the
 * filter, "needs attention" and "show more" reach the rest.
 */
export const ROWS_SHOWN = 100;

/** Rows whose service, environment or owner contains `text`; with `attention`, only the troubled. */
export function filterRows(rows: readonly OverviewRow[], text: string, attention: boolean): OverviewRow[] {
  const f = text.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!attention || needsAttention(r)) &&
      (f === '' ||
        r.service.toLowerCase().includes(f) ||
        r.environment.toLowerCase().includes(f) ||
        r.owners.some((o) => o.toLowerCase().includes(f))),
  );
}

/** Not healthy, rolling out, or alerting: what someone on call looks at first. */
export function needsAttention(r: OverviewRow): boolean {
  return (
    r.health === 'down' ||
    r.health === 'degraded' ||
    r.rollout?.active === true ||
    r.firingAlerts > 0 ||
    r.openIncidents > 0
  );
}
