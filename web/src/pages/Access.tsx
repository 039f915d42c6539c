import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Token } from '../api/client.js';
import { Badge } from '../components/Badge.js';
import { ConfirmInline } from '../components/ConfirmInline.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useApp } from '../context.js';
import { type Resource, useResource } from '../hooks.js';
import { formatDateTime, NO_DATA } from '../lib/format.js';
import { ROLES } from '../lib/roles.js';

const SECRET_REF = '$' + '{{ secrets.NAME }}';

/** Tokens and secrets (admins): what `tandem token` and `tandem secret` do, in the browser. */
export function Access() {
  return (
    <>
      <div class="page-head">
        <h1>Access</h1>
      </div>
      <Tokens />
      <Secrets />
    </>
  );
}

/** Runs a change, then announces what it did and reloads the list; a failure is kept to show. */
function useChange(reload: () => void) {
  const { announce } = useApp();
  const [error, setError] = useState<Error | null>(null);
  const run = async (change: () => Promise<string>) => {
    setError(null);
    try {
      announce(await change());
      reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  return { error, run };
}

function Tokens() {
  const { client } = useApp();
  const list = useResource(() => client.tokens(), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const { error, run } = useChange(list.reload);

  const create = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const out = await client.createToken({ name: name.trim(), role });
      setCreated({ name: out.name, token: out.token });
      setName('');
      return `Token ${out.name} created: copy it now, it is not shown again`;
    });
  };
  const revoke = (t: Token) =>
    run(async () => {
      await client.revokeToken(t.id);
      return `Token ${t.name} revoked: its sessions ended`;
    });

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">Tokens</h2>
      <form class="inline-form" onSubmit={create} data-testid="token-form">
        <label class="field">
          Name
          <input
            type="text"
            value={name}
            required
            maxLength={64}
            placeholder="ci-deploy"
            onInput={(e) => setName(e.currentTarget.value)}
            data-testid="token-name"
          />
        </label>
        <label class="field">
          Role
          <select value={role} onChange={(e) => setRole(e.currentTarget.value)} data-testid="token-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" data-testid="token-create">
          Create token
        </button>
      </form>
      {created !== null && (
        <div class="notice" role="status" data-testid="token-created">
          <p>
            Token <strong>{created.name}</strong>: copy it now, it is not shown again (only its hash is kept).
          </p>
          <code class="secret-value" data-testid="token-plaintext">
            {created.token}
          </code>{' '}
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <ListTable
        list={list}
        error={error}
        empty="No active tokens."
        caption="Active API tokens"
        testid="tokens-table"
        columns={['Name', 'Role', 'Token', 'Created', 'Last used']}
        rows={(items) =>
          items.map((t) => (
            <tr key={t.id} data-testid={`token-row-${t.name}`}>
              <th scope="row">{t.name}</th>
              <td>
                <Badge tone="neutral" text={t.role} />
              </td>
              <td>
                <code>{t.prefix}</code>
              </td>
              <td>
                {formatDateTime(Date.parse(t.createdAt))} <span class="muted small">by {t.createdBy}</span>
              </td>
              <td>{t.lastUsedAt === null ? NO_DATA : formatDateTime(Date.parse(t.lastUsedAt))}</td>
              <td>
                <ConfirmInline
                  verb="Revoke"
                  target={t.name}
                  onConfirm={() => revoke(t)}
                  testid="revoke-confirm"
                />
              </td>
            </tr>
          ))
        }
      />
    </section>
  );
}

function Secrets() {
  const { client } = useApp();
  const list = useResource(() => client.secrets(), []);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const { error, run } = useChange(list.reload);

  const save = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const out = await client.setSecret(name.trim(), value);
      setName('');
      setValue('');
      return `Secret ${out.name} ${out.created ? 'stored' : 'replaced'}`;
    });
  };
  const remove = (secret: string) =>
    run(async () => {
      await client.removeSecret(secret);
      return `Secret ${secret} removed`;
    });

  return (
    <section aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p class="muted">
        Used in tandem.yaml as <code>{SECRET_REF}</code>; stored encrypted, masked in every log, and never
        shown again.
      </p>
      <form class="inline-form" onSubmit={save} data-testid="secret-form">
        <label class="field">
          Name
          <input
            type="text"
            value={name}
            required
            pattern="[A-Za-z_][A-Za-z0-9_]*"
            placeholder="DATABASE_URL"
            onInput={(e) => setName(e.currentTarget.value)}
            data-testid="secret-name"
          />
        </label>
        <label class="field">
          Value
          <input
            type="password"
            value={value}
            required
            autoComplete="off"
            onInput={(e) => setValue(e.currentTarget.value)}
            data-testid="secret-value"
          />
        </label>
        <button type="submit" class="primary" data-testid="secret-save">
          Store secret
        </button>
      </form>
      <ListTable
        list={list}
        error={error}
        empty="No secrets yet."
        caption="Secrets (names only)"
        testid="secrets-table"
        columns={['Name', 'Updated']}
        rows={(items) =>
          items.map((s) => (
            <tr key={s.name} data-testid={`secret-row-${s.name}`}>
              <th scope="row">
                <code>{s.name}</code>
              </th>
              <td>{formatDateTime(Date.parse(s.updatedAt))}</td>
              <td>
                <ConfirmInline
                  verb="Remove"
                  target={s.name}
                  onConfirm={() => remove(s.name)}
                  testid="remove-confirm"
                />
              </td>
            </tr>
          ))
        }
      />
    </section>
  );
}

/** A list's table with its states: the last change's error, the list's own error, empty. */
function ListTable<T>(props: {
  list: Resource<{ items: T[] }>;
  error: Error | null;
  empty: string;
  caption: string;
  testid: string;
  /** Column headings; a last, unnamed column holds each row's actions. */
  columns: readonly string[];
  rows(items: T[]): ComponentChildren;
}) {
  const { list } = props;
  return (
    <>
      {props.error !== null && <ErrorBox error={props.error} />}
      {list.error !== undefined && <ErrorBox error={list.error} onRetry={list.reload} />}
      {list.data !== undefined && list.data.items.length === 0 && <p class="empty">{props.empty}</p>}
      {list.data !== undefined && list.data.items.length > 0 && (
        <div class="table-scroll">
          <table class="grid-table" data-testid={props.testid}>
            <caption class="sr-only">{props.caption}</caption>
            <thead>
              <tr>
                {props.columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>{props.rows(list.data.items)}</tbody>
          </table>
        </div>
      )}
    </>
  );
}
