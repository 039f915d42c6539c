import { useEffect, useMemo, useState } from 'preact/hooks';
import type { RunSummary } from '../api/types.js';
import { StateBadge } from '../components/Badge.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Link } from '../components/Link.js';
import { StreamIndicator } from '../components/StreamIndicator.js';
import { useApp } from '../context.js';
import { navigate, useNow, useResource, useStream } from '../hooks.js';
import { coalesce } from '../lib/coalesce.js';
import { formatDateTime, formatDuration, formatRelative, NO_DATA, shortSha } from '../lib/format.js';
import { canRerun } from '../lib/roles.js';
import { hrefOf } from '../lib/routes.js';

const PAGE = 30;

/** Pipeline runs, newest first; new runs and finished ones appear live. */
export function Pipelines() {
  const { client, session } = useApp();
  const now = useNow();
  const first = useResource(() => client.runs({ limit: PAGE }), []);
  const [older, setOlder] = useState<RunSummary[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [moreError, setMoreError] = useState<Error | null>(null);
  const refresh = useMemo(() => coalesce(first.reload, 750), [first.reload]);
  useEffect(() => refresh.cancel, [refresh]);
  const stream = useStream(client.streamUrl({ topics: ['events'] }), {
    onEvent: (e) => {
      if (e.type.startsWith('pipeline.') || e.runId !== null) refresh();
    },
  });

  const items = useMemo(() => {
    const seen = new Set<string>();
    return [...(first.data?.items ?? []), ...older].filter((r) => !seen.has(r.id) && seen.add(r.id));
  }, [first.data, older]);
  const next = cursor === undefined ? (first.data?.next ?? null) : cursor;
  const loadMore = async () => {
    if (next === null) return;
    try {
      const page = await client.runs({ limit: PAGE, cursor: next });
      setOlder((o) => [...o, ...page.items]);
      setCursor(page.next);
      setMoreError(null);
    } catch (err) {
      setMoreError(err as Error);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>Pipelines</h1>
        <StreamIndicator state={stream} />
      </div>
      {canRerun(session.principal.roles) && <StartRun />}
      {first.error !== undefined && <ErrorBox error={first.error} onRetry={first.reload} />}
      {first.data === undefined && first.error === undefined && <p class="muted">Loading…</p>}
      {first.data !== undefined && items.length === 0 && (
        <p class="empty">
          No runs yet. <code>tandem run</code> runs the pipeline; a push runs it when <code>tandem up</code>{' '}
          watches the repository.
        </p>
      )}
      {items.length > 0 && (
        <div class="table-scroll">
          <table class="grid-table" data-testid="runs-table">
            <caption class="sr-only">Pipeline runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Branch</th>
                <th scope="col">Commit</th>
                <th scope="col">Started</th>
                <th scope="col" class="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} data-testid={`run-row-${r.id}`} data-status={r.status}>
                  <th scope="row">
                    <Link href={hrefOf({ name: 'run', id: r.id, job: null })}>{r.id}</Link>
                  </th>
                  <td>
                    <StateBadge state={r.status} />
                  </td>
                  <td>{r.branch ?? NO_DATA}</td>
                  <td>
                    <code>{shortSha(r.commit)}</code>
                  </td>
                  <td>
                    {r.startedAt === null ? (
                      NO_DATA
                    ) : (
                      <time
                        dateTime={new Date(r.startedAt).toISOString()}
                        title={formatDateTime(r.startedAt)}
                      >
                        {formatRelative(r.startedAt, now)}
                      </time>
                    )}
                  </td>
                  <td class="num">
                    {r.status === 'running' && r.startedAt !== null
                      ? `${formatDuration(now - r.startedAt)}…`
                      : formatDuration(r.durationMs)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {moreError !== null && <ErrorBox error={moreError} />}
      {next !== null && items.length > 0 && (
        <button type="button" onClick={loadMore} data-testid="runs-more">
          Load older runs
        </button>
      )}
    </>
  );
}

/** Runs the pipeline of a branch, tag or commit (developers): a release of it is built. */
function StartRun() {
  const { client, announce } = useApp();
  const [ref, setRef] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const out = await client.startRun(ref.trim() === '' ? undefined : ref.trim());
      if (out.runId !== null && out.status === 'started') {
        announce(`Started run ${out.runId}`);
        navigate(hrefOf({ name: 'run', id: out.runId, job: null }));
      } else {
        announce(
          out.status === 'reused'
            ? `Release ${out.release ?? ''} of this commit exists already: it passed, nothing ran again`
            : 'The pipeline started',
        );
      }
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" onSubmit={start} data-testid="start-run-form">
      <label class="field inline">
        Ref
        <input
          type="text"
          value={ref}
          placeholder="HEAD (or a branch, tag, commit)"
          onInput={(e) => setRef(e.currentTarget.value)}
          data-testid="start-run-ref"
        />
      </label>
      <button type="submit" class="primary" disabled={busy} data-testid="start-run">
        {busy ? 'Starting…' : 'Run pipeline'}
      </button>
      {error !== null && <ErrorBox error={error} />}
    </form>
  );
}
