import { useState } from 'preact/hooks';
import { ApiError, type Client } from '../api/client.js';
import type { Session } from '../api/types.js';

/** Log in with an API token (`tandem token create`, or the one `tandem up` wrote). */
export function Login({ client, onLogin }: { client: Client; onLogin(session: Session): void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (token.trim() === '') {
      setError('Paste a token first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onLogin(await client.login(token.trim()));
    } catch (err) {
      setBusy(false);
      setError(messageOf(err));
    }
  };
  return (
    <main id="main" class="login">
      <form class="login-card" onSubmit={submit} aria-describedby="login-help">
        <h1>Tandem</h1>
        <p id="login-help" class="muted">
          Log in with an API token. <code>tandem up</code> writes one to <code>.tandem/run/token</code>;{' '}
          <code>tandem token create --role viewer --name you</code> makes another.
        </p>
        <label class="field">
          API token
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            data-testid="login-token"
            aria-invalid={error !== null}
            aria-describedby={error !== null ? 'login-error' : undefined}
            // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page
            autoFocus
          />
        </label>
        {error !== null && (
          <p id="login-error" class="error-text" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}

function messageOf(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429)
      return `Too many failed attempts. Try again${err.retryAfter === null ? ' later' : ` in ${err.retryAfter} s`}.`;
    if (err.status === 401 || err.status === 403) return `That token was not accepted: ${err.message}`;
    return err.message;
  }
  return `Cannot reach Tandem: ${err instanceof Error ? err.message : String(err)}`;
}
