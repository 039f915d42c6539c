import { useEffect, useMemo, useState } from 'preact/hooks';
import type { OverviewRow } from '../api/types.js';
import { Badge, StateBadge } from '../components/Badge.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Link } from '../components/Link.js';
import { StreamIndicator } from '../components/StreamIndicator.js';
import { useApp } from '../context.js';
import { useResource, useStream } from '../hooks.js';
import { coalesce } from '../lib/coalesce.js';
import { formatMs, formatPercent, formatRate, NO_DATA } from '../lib/format.js';
import { filterRows, ROWS_SHOWN } from '../lib/overview-filter.js';
import { hrefOf } from '../lib/routes.js';

/** Every service × environment on one screen, refreshed live. */
export function Overview() {
  const { client } = useApp();
  const rows = useResource(() => client.overview(), [], { pollMs: 5000 });
  const refresh = useMemo(() => coalesce(rows.reload, 750), [rows.reload]);
  useEffect(() => refresh.cancel, [refresh]);
  const stream = useStream(client.streamUrl({ topics: ['events'] }), { onEvent: refresh });
  const [filter, setFilter] = useState('');
  const [attentionOnly, setAttentionOnly] = useState(false);
  const [limit, setLimit] = useState(ROWS_SHOWN);

  const matching = useMemo(
    () => filterRows(rows.data ?? [], filter, attentionOnly),
    [rows.data, filter, attentionOnly],
  );
  const shown = matching.length > limit ? matching.slice(0, limit) : matching;
  const counts = useMemo(() => summarise(rows.data ?? []), [rows.data]);

  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <StreamIndicator state={stream} />
      </div>
      {rows.data !== undefined && (
        <ul class="stats" aria-label="Summary">
          <li>
            <strong>{counts.services}</strong> services
          </li>
          <li>
            <strong>{counts.environments}</strong> environments
          </li>
          <li class={counts.unhealthy > 0 ? 'tone-bad' : ''}>
            <strong>{counts.unhealthy}</strong> not healthy
          </li>
          <li>
            <strong>{counts.rollouts}</strong> rollouts in progress
          </li>
          <li class={counts.alerts > 0 ? 'tone-bad' : ''}>
            <strong>{counts.alerts}</strong> alerts firing
          </li>
        </ul>
      )}
      <div class="inline-form">
        <label class="field inline">
          Filter
          <input
            type="search"
            value={filter}
            placeholder="service, environment or owner"
            onInput={(e) => {
              setFilter(e.currentTarget.value);
              setLimit(ROWS_SHOWN);
            }}
            data-testid="overview-filter"
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={attentionOnly}
            onChange={(e) => {
              setAttentionOnly(e.currentTarget.checked);
              setLimit(ROWS_SHOWN);
            }}
            data-testid="overview-attention"
          />
          Needs attention only
        </label>
      </div>
      {rows.error !== undefined && <ErrorBox error={rows.error} onRetry={rows.reload} />}
      {rows.data === undefined && rows.error === undefined && <p class="muted">Loading…</p>}
      {rows.data !== undefined && rows.data.length === 0 && (
        <p class="empty">
          No services yet. Add <code>services:</code> and <code>environments:</code> to tandem.yaml, then{' '}
          <code>tandem apply</code>.
        </p>
      )}
      {shown.length > 0 && (
        <div class="table-scroll">
          <table class="grid-table" data-testid="overview-table">
            <caption class="sr-only">Services by environment</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Environment</th>
                <th scope="col">Release</th>
                <th scope="col">Health</th>
                <th scope="col" class="num">
                  Replicas
                </th>
                <th scope="col" class="num">
                  Req/s
                </th>
                <th scope="col" class="num">
                  Errors
                </th>
                <th scope="col" class="num">
                  p95
                </th>
                <th scope="col">Rollout</th>
                <th scope="col">Alerts</th>
                <th scope="col">Owners</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <OverviewTableRow key={`${r.environment}/${r.service}`} row={r} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows.data !== undefined && rows.data.length > 0 && matching.length === 0 && (
        <p class="empty">Nothing matches{attentionOnly ? ': every service is healthy and steady' : ''}.</p>
      )}
      {matching.length > shown.length && (
        <p class="more" data-testid="overview-more">
          Showing {shown.length} of {matching.length}.{' '}
          <button type="button" onClick={() => setLimit((l) => l + ROWS_SHOWN * 5)}>
            Show {Math.min(ROWS_SHOWN * 5, matching.length - shown.length)} more
          </button>{' '}
          <span class="muted small">or narrow it with the filter</span>
        </p>
      )}
    </>
  );
}

function OverviewTableRow({ row: r }: { row: OverviewRow }) {
  return (
    <tr
      data-testid={`overview-row-${r.environment}-${r.service}`}
      data-health={r.health}
      data-rollout={r.rollout?.state ?? ''}
    >
      <th scope="row">
        <Link href={hrefOf({ name: 'service', service: r.service, environment: r.environment, range: null })}>
          {r.service}
        </Link>
      </th>
      <td>
        {r.environment}
        {r.protected && (
          <span class="tag" title="Protected: operators steer it">
            protected
          </span>
        )}
      </td>
      <td>
        <code>{r.release ?? NO_DATA}</code>
      </td>
      <td>
        <StateBadge state={r.health} />
      </td>
      <td class="num">
        {r.ready ?? NO_DATA}/{r.desired ?? NO_DATA}
        {r.autoscale !== null && (
          <span class="muted small">
            {' '}
            (auto {r.autoscale.min}–{r.autoscale.max})
          </span>
        )}
      </td>
      <td class="num">{formatRate(r.rps)}</td>
      <td class={`num${(r.errorRate ?? 0) >= 0.01 ? ' tone-bad' : ''}`}>{formatPercent(r.errorRate)}</td>
      <td class="num">{formatMs(r.p95Ms)}</td>
      <td>
        {r.rollout === null ? (
          <span class="muted">{NO_DATA}</span>
        ) : (
          <span class="rollout-cell">
            <StateBadge state={r.rollout.state} />
            {r.rollout.active && r.rollout.step !== null && (
              <span class="small">
                {' '}
                step {r.rollout.step + 1}
                {r.rollout.steps !== null && `/${r.rollout.steps}`}
              </span>
            )}
            {r.rollout.active && r.rollout.weight !== null && (
              <span class="small"> · {r.rollout.weight}%</span>
            )}
          </span>
        )}
      </td>
      <td>
        {r.firingAlerts === 0 && r.openIncidents === 0 ? (
          <span class="muted">{NO_DATA}</span>
        ) : (
          <Badge
            tone="bad"
            text={[
              r.firingAlerts > 0 ? `${r.firingAlerts} firing` : '',
              r.openIncidents > 0 ? `${r.openIncidents} incident${r.openIncidents === 1 ? '' : 's'}` : '',
            ]
              .filter((s) => s !== '')
              .join(' · ')}
          />
        )}
      </td>
      <td>{r.owners.length === 0 ? <span class="muted">{NO_DATA}</span> : r.owners.join(', ')}</td>
    </tr>
  );
}

function summarise(rows: readonly OverviewRow[]) {
  return {
    services: new Set(rows.map((r) => r.service)).size,
    environments: new Set(rows.map((r) => r.environment)).size,
    unhealthy: rows.filter((r) => r.health === 'down' || r.health === 'degraded').length,
    rollouts: rows.filter((r) => r.rollout?.active === true).length,
    alerts: rows.reduce((n, r) => n + r.firingAlerts, 0),
  };
}
