import { useState } from 'preact/hooks';
import type { AuditRow } from '../api/types.js';
import { Badge } from '../components/Badge.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useApp } from '../context.js';
import { useResource } from '../hooks.js';
import { formatDateTime, NO_DATA } from '../lib/format.js';

const PAGE = 50;

/** Every mutating call: who, what, on what, when, from where, and the answer (admins). */
export function Audit() {
  const { client } = useApp();
  const first = useResource(() => client.audit({ limit: PAGE }), [], { pollMs: 15_000 });
  const [older, setOlder] = useState<AuditRow[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [moreError, setMoreError] = useState<Error | null>(null);
  const seen = new Set<string>();
  const items = [...(first.data?.items ?? []), ...older].filter((r) => !seen.has(r.id) && seen.add(r.id));
  const next = cursor === undefined ? (first.data?.next ?? null) : cursor;
  const loadMore = async () => {
    if (next === null) return;
    try {
      const page = await client.audit({ limit: PAGE, cursor: next });
      setOlder((o) => [...o, ...page.items]);
      setCursor(page.next);
    } catch (err) {
      setMoreError(err as Error);
    }
  };
  return (
    <>
      <div class="page-head">
        <h1>Audit log</h1>
      </div>
      {first.error !== undefined && <ErrorBox error={first.error} onRetry={first.reload} />}
      {first.data === undefined && first.error === undefined && <p class="muted">Loading…</p>}
      {first.data !== undefined && items.length === 0 && <p class="empty">No changes recorded yet.</p>}
      {items.length > 0 && (
        <div class="table-scroll">
          <table class="grid-table" data-testid="audit-table">
            <caption class="sr-only">Mutating API calls, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <time dateTime={new Date(r.at).toISOString()}>{formatDateTime(r.at)}</time>
                  </td>
                  <td>
                    {r.principal}
                    {r.role !== null && <span class="muted small"> ({r.role})</span>}
                  </td>
                  <td>
                    <code>{r.action}</code>
                  </td>
                  <td>{r.target || NO_DATA}</td>
                  <td>{r.address ?? NO_DATA}</td>
                  <td>
                    {r.status === null ? (
                      NO_DATA
                    ) : (
                      <Badge tone={r.status < 400 ? 'ok' : 'bad'} text={String(r.status)} />
                    )}
                    {r.detail !== null && <span class="small"> {r.detail}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {moreError !== null && <ErrorBox error={moreError} />}
      {next !== null && items.length > 0 && (
        <button type="button" onClick={loadMore}>
          Load older entries
        </button>
      )}
    </>
  );
}
