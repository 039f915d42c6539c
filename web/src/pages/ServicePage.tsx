import { useEffect, useMemo, useState } from 'preact/hooks';
import type { MetricPoint, OverviewRow, ServiceStatus, TimelineItem } from '../api/types.js';
import { Badge, StateBadge } from '../components/Badge.js';
import { Chart } from '../components/Chart.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Link } from '../components/Link.js';
import { LogView } from '../components/LogView.js';
import { RolloutControls } from '../components/RolloutControls.js';
import { StreamIndicator } from '../components/StreamIndicator.js';
import { useApp } from '../context.js';
import { useNow, useResource, useStream } from '../hooks.js';
import { coalesce } from '../lib/coalesce.js';
import {
  formatBytes,
  formatClock,
  formatCores,
  formatDateTime,
  formatMs,
  formatPercent,
  formatRate,
  formatRelative,
  NO_DATA,
} from '../lib/format.js';
import { isActiveRollout } from '../lib/roles.js';
import { hrefOf } from '../lib/routes.js';
import {
  type AnalysisMeasurement,
  deployMarkers,
  filterKinds,
  KIND_LABEL,
  mergeTimeline,
  TIMELINE_KINDS,
  type TimelineKind,
  toneOf,
} from '../lib/timeline.js';

/** Chart ranges: the query's `from` and a step giving 90–150 points. */
export const RANGES: Record<string, { from: string; step: string; ms: number }> = {
  '15m': { from: '15m', step: '10s', ms: 15 * 60_000 },
  '1h': { from: '1h', step: '30s', ms: 3_600_000 },
  '6h': { from: '6h', step: '3m', ms: 6 * 3_600_000 },
  '24h': { from: '24h', step: '10m', ms: 24 * 3_600_000 },
};
const TIMELINE_PAGE = 50;

/** One service: its environments, rollout and controls, charts with deploy markers, and timeline. */
export function ServicePage(props: { service: string; environment: string | null; range: string | null }) {
  const { client } = useApp();
  const { service } = props;
  const overview = useResource(() => client.overview(), [], { pollMs: 10_000 });
  const rows = useMemo(
    () => (overview.data ?? []).filter((r) => r.service === service),
    [overview.data, service],
  );
  const environment = props.environment ?? rows[0]?.environment ?? null;
  const row = rows.find((r) => r.environment === environment);
  const range = props.range !== null && RANGES[props.range] !== undefined ? props.range : '1h';

  const status = useResource(() => client.status(), [], { pollMs: 10_000 });
  const detail = status.data?.find((s) => s.service === service && s.environment === environment);

  const timeline = useTimeline(service, environment);
  const refresh = useMemo(
    () =>
      coalesce(() => {
        overview.reload();
        status.reload();
        timeline.refresh();
      }, 750),
    [overview.reload, status.reload, timeline.refresh],
  );
  useEffect(() => refresh.cancel, [refresh]);
  const stream = useStream(
    environment === null ? null : client.streamUrl({ topics: ['events'], environment, service }),
    {
      onEvent: (e) => {
        if (
          (e.service === null || e.service === service) &&
          (e.environment === null || e.environment === environment)
        )
          refresh();
      },
    },
  );
  const reloadAll = () => {
    overview.reload();
    status.reload();
    timeline.refresh();
  };

  return (
    <>
      <p class="crumbs">
        <Link href="/">Overview</Link> / <span>{service}</span>
      </p>
      <div class="page-head">
        <h1>{service}</h1>
        <StreamIndicator state={stream} />
      </div>
      {overview.error !== undefined && <ErrorBox error={overview.error} onRetry={overview.reload} />}
      {overview.data !== undefined && rows.length === 0 && (
        <p class="empty">No service "{service}" in any environment.</p>
      )}
      {rows.length > 0 && (
        <nav class="tabs" aria-label="Environments">
          {rows.map((r) => (
            <Link
              key={r.environment}
              href={hrefOf({ name: 'service', service, environment: r.environment, range: props.range })}
              aria-current={r.environment === environment ? 'page' : undefined}
              data-testid={`env-tab-${r.environment}`}
            >
              {r.environment}
            </Link>
          ))}
        </nav>
      )}
      {row !== undefined && environment !== null && (
        <>
          <Summary row={row} />
          <RolloutPanel row={row} detail={detail} onDone={reloadAll} />
          <Charts
            service={service}
            environment={environment}
            range={range}
            rangeParam={props.range}
            items={timeline.items}
          />
          <Timeline timeline={timeline} />
          {detail !== undefined && <Instances detail={detail} />}
          {detail !== undefined && detail.instances.length > 0 && <InstanceLogs detail={detail} />}
        </>
      )}
    </>
  );
}

function Summary({ row }: { row: OverviewRow }) {
  return (
    <dl class="facts" data-testid="service-summary">
      <div>
        <dt>Release</dt>
        <dd>
          <code data-testid="service-release">{row.release ?? NO_DATA}</code>
        </dd>
      </div>
      <div>
        <dt>Health</dt>
        <dd>
          <StateBadge state={row.health} />
        </dd>
      </div>
      <div>
        <dt>Replicas</dt>
        <dd>
          {row.ready ?? NO_DATA}/{row.desired ?? NO_DATA}
          {row.autoscale !== null && (
            <span class="muted small">
              {' '}
              (auto {row.autoscale.min}–{row.autoscale.max})
            </span>
          )}
        </dd>
      </div>
      <div>
        <dt>Req/s</dt>
        <dd>{formatRate(row.rps)}</dd>
      </div>
      <div>
        <dt>Errors</dt>
        <dd>{formatPercent(row.errorRate)}</dd>
      </div>
      <div>
        <dt>p95</dt>
        <dd>{formatMs(row.p95Ms)}</dd>
      </div>
      <div>
        <dt>Alerts</dt>
        <dd>
          {row.firingAlerts === 0 && row.openIncidents === 0 ? (
            'none'
          ) : (
            <Badge
              tone="bad"
              text={`${row.firingAlerts} firing · ${row.openIncidents} incident${row.openIncidents === 1 ? '' : 's'}`}
            />
          )}
        </dd>
      </div>
      <div>
        <dt>Owners</dt>
        <dd>{row.owners.join(', ') || NO_DATA}</dd>
      </div>
    </dl>
  );
}

function RolloutPanel(props: { row: OverviewRow; detail: ServiceStatus | undefined; onDone(): void }) {
  const { row, detail } = props;
  const r = detail?.rollout ?? null;
  const state = r?.state ?? row.rollout?.state ?? null;
  const step = r?.step ?? row.rollout?.step ?? null;
  const steps = row.rollout?.steps ?? null;
  const weight = r?.weight ?? row.rollout?.weight ?? null;
  return (
    <section
      class="panel"
      aria-labelledby="rollout-title"
      data-testid="rollout-panel"
      data-state={state ?? ''}
    >
      <h2 id="rollout-title">
        Rollout in {row.environment}
        {row.protected && <span class="tag">protected</span>}
      </h2>
      {state === null ? (
        <p class="muted">No rollout yet.</p>
      ) : (
        <p class="rollout-line">
          <StateBadge state={state} testid="rollout-state" />
          {r?.strategy && <span>{r.strategy}</span>}
          {r?.release && (
            <span>
              release <code>{r.release}</code>
              {r.from && (
                <>
                  {' '}
                  from <code>{r.from}</code>
                </>
              )}
            </span>
          )}
          {isActiveRollout(state) && step !== null && (
            <span>
              step {step + 1}
              {steps !== null && ` of ${steps}`}
            </span>
          )}
          {isActiveRollout(state) && weight !== null && <span>{weight}% of traffic</span>}
          {r?.analysis && (
            <span>
              analysis: {r.analysis.measurements} measurements, {r.analysis.failures} failed,{' '}
              {r.analysis.inconclusive} inconclusive
            </span>
          )}
        </p>
      )}
      {r?.pausedReason && <p class="reason">Paused: {r.pausedReason}</p>}
      {r?.reason && <p class="reason">{r.reason}</p>}
      <RolloutControls
        environment={row.environment}
        protected={row.protected}
        approval={row.approval}
        rolloutState={state}
        release={r?.release ?? row.release}
        onDone={props.onDone}
      />
    </section>
  );
}

function Charts(props: {
  service: string;
  environment: string;
  range: string;
  rangeParam: string | null;
  items: readonly TimelineItem[];
}) {
  const { client } = useApp();
  const spec = RANGES[props.range]!;
  const metrics = useResource(
    () =>
      client.metrics({
        environment: props.environment,
        service: props.service,
        from: spec.from,
        step: spec.step,
      }),
    [props.environment, props.service, props.range],
    { pollMs: 15_000 },
  );
  const points: MetricPoint[] = metrics.data ?? [];
  // The window ends now (not at the last point) so a service that stopped reporting shows a gap.
  const to = Math.max(Date.now(), points.at(-1)?.at ?? 0);
  const from = to - spec.ms;
  const times = points.map((p) => p.at);
  const col = (f: (p: MetricPoint) => number | null) => points.map(f);
  const markers = deployMarkers(props.items, from, to);
  const common = { times, from, to, markers };
  return (
    <section class="panel" aria-labelledby="charts-title">
      <div class="section-head">
        <h2 id="charts-title">Metrics</h2>
        <nav class="segmented" aria-label="Time range">
          {Object.keys(RANGES).map((k) => (
            <Link
              key={k}
              href={hrefOf({
                name: 'service',
                service: props.service,
                environment: props.environment,
                range: k,
              })}
              aria-current={k === props.range ? 'true' : undefined}
              data-testid={`range-${k}`}
            >
              {k}
            </Link>
          ))}
        </nav>
      </div>
      {metrics.error !== undefined && <ErrorBox error={metrics.error} onRetry={metrics.reload} />}
      <div class="charts">
        <Chart
          id="rps"
          title="Requests per second"
          format={formatRate}
          series={[{ label: 'req/s', values: col((p) => p.rps), color: 's1' }]}
          {...common}
        />
        <Chart
          id="errors"
          title="Error rate"
          format={formatPercent}
          series={[{ label: 'errors', values: col((p) => p.errorRate), color: 's4' }]}
          {...common}
        />
        <Chart
          id="latency"
          title="Latency"
          format={formatMs}
          series={[
            { label: 'p50', values: col((p) => p.p50Ms), color: 's1' },
            { label: 'p95', values: col((p) => p.p95Ms), color: 's2' },
            { label: 'p99', values: col((p) => p.p99Ms), color: 's4' },
          ]}
          {...common}
        />
        <Chart
          id="cpu"
          title="CPU (cores)"
          format={formatCores}
          series={[{ label: 'cpu', values: col((p) => p.cpuCores), color: 's3' }]}
          {...common}
        />
        <Chart
          id="rss"
          title="Memory (RSS)"
          format={formatBytes}
          series={[{ label: 'rss', values: col((p) => p.rssBytes), color: 's2' }]}
          {...common}
        />
        <Chart
          id="replicas"
          title="Replicas"
          format={(v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))}
          minMax={1}
          series={[
            { label: 'instances', values: col((p) => p.instances), color: 's1' },
            { label: 'healthy', values: col((p) => p.healthy), color: 's3' },
          ]}
          {...common}
        />
      </div>
    </section>
  );
}

interface TimelineState {
  items: TimelineItem[];
  error: Error | undefined;
  loading: boolean;
  hasMore: boolean;
  refresh(): void;
  loadMore(): void;
}

/** The first page, refreshed on events and merged with what is loaded; older pages on demand. */
function useTimeline(service: string, environment: string | null): TimelineState {
  const { client } = useApp();
  const first = useResource(
    () =>
      environment === null
        ? Promise.resolve({ items: [], next: null })
        : client.timeline(service, { environment, limit: TIMELINE_PAGE }),
    [service, environment],
    { pollMs: 30_000 },
  );
  const [older, setOlder] = useState<{ items: TimelineItem[]; next: string | null | undefined }>({
    items: [],
    next: undefined,
  });
  const [moreError, setMoreError] = useState<Error | undefined>(undefined);
  useEffect(() => setOlder({ items: [], next: undefined }), [service, environment]);
  const items = useMemo(() => mergeTimeline(first.data?.items ?? [], older.items), [first.data, older.items]);
  const next = older.next === undefined ? (first.data?.next ?? null) : older.next;
  return {
    items,
    error: first.error ?? moreError,
    loading: first.loading && first.data === undefined,
    hasMore: next !== null,
    refresh: first.reload,
    loadMore: () => {
      if (next === null || environment === null) return;
      client.timeline(service, { environment, limit: TIMELINE_PAGE, cursor: next }).then(
        (page) => {
          setOlder((o) => ({ items: [...o.items, ...page.items], next: page.next }));
          setMoreError(undefined);
        },
        (err: Error) => setMoreError(err),
      );
    },
  };
}

function Timeline({ timeline }: { timeline: TimelineState }) {
  const now = useNow();
  const [on, setOn] = useState<ReadonlySet<TimelineKind>>(new Set());
  // Live only once the first page is in, so loading it is not read out item by item.
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (timeline.loading) return;
    const t = setTimeout(() => setLive(true), 1000);
    return () => clearTimeout(t);
  }, [timeline.loading]);
  const shown = filterKinds(timeline.items, on);
  const present = new Set(timeline.items.map((i) => i.kind));
  const toggle = (k: TimelineKind) =>
    setOn((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });
  return (
    <section class="panel" aria-labelledby="timeline-title">
      <div class="section-head">
        <h2 id="timeline-title">Timeline</h2>
        <fieldset class="chips">
          <legend class="sr-only">Show only</legend>
          {TIMELINE_KINDS.filter((k) => present.has(k)).map((k) => (
            <button type="button" key={k} class="chip" aria-pressed={on.has(k)} onClick={() => toggle(k)}>
              {KIND_LABEL[k]}
            </button>
          ))}
        </fieldset>
      </div>
      {timeline.error !== undefined && <ErrorBox error={timeline.error} onRetry={timeline.refresh} />}
      {timeline.loading && <p class="muted">Loading…</p>}
      {!timeline.loading && shown.length === 0 && <p class="muted">Nothing happened here yet.</p>}
      <ol
        class="timeline"
        data-testid="timeline"
        aria-live={live ? 'polite' : 'off'}
        aria-relevant="additions"
      >
        {shown.map((item) => (
          <li
            key={item.id}
            class={`tl-item kind-${item.kind} tone-${toneOf(item.type, item.data)}`}
            data-testid="timeline-item"
            data-kind={item.kind}
            data-type={item.type}
          >
            <time dateTime={new Date(item.at).toISOString()} title={formatDateTime(item.at)}>
              {formatRelative(item.at, now)}
            </time>
            <span class="tl-kind">{KIND_LABEL[item.kind]}</span>
            <div class="tl-body">
              <span class="tl-title">{item.title}</span>
              {item.release !== null && (
                <span class="muted small">
                  {' '}
                  release <code>{item.release}</code>
                </span>
              )}
              {item.analysis.length > 0 && <AnalysisList measurements={item.analysis} />}
              {Object.keys(item.data).length > 0 && (
                <details>
                  <summary>Details</summary>
                  <pre>{JSON.stringify(item.data, null, 2)}</pre>
                </details>
              )}
            </div>
          </li>
        ))}
      </ol>
      {timeline.hasMore && (
        <button type="button" onClick={timeline.loadMore} data-testid="timeline-more">
          Load older events
        </button>
      )}
    </section>
  );
}

function Instances({ detail }: { detail: ServiceStatus }) {
  if (detail.instances.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="instances-title">
      <h2 id="instances-title">Instances</h2>
      <div class="table-scroll">
        <table class="grid-table" data-testid="instances-table">
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Release</th>
              <th scope="col">State</th>
              <th scope="col">Health</th>
              <th scope="col">Traffic</th>
              <th scope="col" class="num">
                Restarts
              </th>
            </tr>
          </thead>
          <tbody>
            {detail.instances.map((i) => (
              <tr key={i.id}>
                <th scope="row">
                  <code>{i.id}</code>
                </th>
                <td>
                  <code>{i.release}</code>
                </td>
                <td>{i.state}</td>
                <td>
                  <StateBadge state={i.healthy ? 'healthy' : 'down'} />
                </td>
                <td>{i.inTraffic ? 'in traffic' : 'out'}</td>
                <td class="num">{i.restarts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function AnalysisList({ measurements }: { measurements: readonly AnalysisMeasurement[] }) {
  return (
    <ul class="analysis" aria-label="Analysis measurements">
      {measurements.map((m) => (
        <li key={m.at}>
          <Badge
            tone={m.verdict === 'pass' ? 'ok' : m.verdict === 'fail' ? 'bad' : 'warn'}
            text={m.verdict === 'pass' ? 'passed' : m.verdict === 'fail' ? 'failed' : m.verdict}
          />{' '}
          <span class="small">
            {formatClock(m.at)} · {m.requests ?? NO_DATA} requests · errors {formatPercent(m.errorRate)} · p95{' '}
            {formatMs(m.p95Ms)}
            {m.reasons.length > 0 && <> · {m.reasons.join('; ')}</>}
          </span>
        </li>
      ))}
    </ul>
  );
}

const MAX_LOG_LINES = 2000;

/** One instance's log, live (the stream's `logs` topic follows one instance at a time). */
function InstanceLogs({ detail }: { detail: ServiceStatus }) {
  const { client } = useApp();
  const [instance, setInstance] = useState('');
  const [lines, setLines] = useState<string[]>([]);
  const stream = useStream(instance === '' ? null : client.streamUrl({ topics: ['logs'], instance }), {
    onLog: (ls) =>
      setLines((cur) => {
        const next = [...cur, ...ls.map((l) => l.text)];
        return next.length > MAX_LOG_LINES ? next.slice(next.length - MAX_LOG_LINES) : next;
      }),
  });
  return (
    <section class="panel" aria-labelledby="logs-title" data-testid="instance-logs">
      <div class="section-head">
        <h2 id="logs-title">Logs</h2>
        {instance !== '' && <StreamIndicator state={stream} />}
      </div>
      <label class="field inline">
        Instance
        <select
          value={instance}
          onChange={(e) => {
            setLines([]);
            setInstance(e.currentTarget.value);
          }}
          data-testid="log-instance"
        >
          <option value="">Choose an instance to follow</option>
          {detail.instances.map((i) => (
            <option key={i.id} value={i.id}>
              {i.id} ({i.release}, {i.state})
            </option>
          ))}
        </select>
      </label>
      {instance !== '' && (
        <LogView lines={lines} label={`Log of ${instance}`} empty="Waiting for log lines…" />
      )}
    </section>
  );
}
