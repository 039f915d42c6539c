import { ApiError } from '../api/client.js';

/** An error the viewer can act on: the server's detail, its code, and a retry when given. */
export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div class="error-box" role="alert" data-testid="error">
      <p>
        {error.message}
        {code !== null && <code class="error-code">{code}</code>}
      </p>
      {onRetry !== undefined && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
