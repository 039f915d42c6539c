import { useEffect, useRef, useState } from 'preact/hooks';
import type { ControlBody } from '../api/client.js';
import { ACTION_TEXT, type RolloutAction } from '../lib/roles.js';
import { ErrorBox } from './ErrorBox.js';

/**
 * Asks before a rollout control acts. A native modal <dialog>: focus stays inside, Escape
 * cancels, and focus returns to the button that opened it. Destructive actions focus Cancel.
 */
export function ConfirmDialog(props: {
  action: RolloutAction;
  environment: string;
  release: string | null;
  onConfirm(body: ControlBody): Promise<void>;
  onClose(): void;
}) {
  const { action, environment } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [full, setFull] = useState(false);
  const [reason, setReason] = useState('');
  const [to, setTo] = useState('');
  const text = ACTION_TEXT[action];
  const destructive = action === 'abort' || action === 'rollback';

  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    if (dialog !== null && !dialog.open) dialog.showModal();
    // Destructive actions start on Cancel, so Enter alone does not abort or roll back.
    (destructive ? cancel : confirm).current?.focus();
    return () => opener?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: ControlBody = {};
    if (action === 'promote' && full) body.full = true;
    if (action === 'abort' && reason.trim() !== '') body.reason = reason.trim();
    if (action === 'rollback' && to.trim() !== '') body.to = to.trim();
    try {
      await props.onConfirm(body);
      ref.current?.close();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-text"
      data-testid="confirm-dialog"
      onClose={props.onClose}
    >
      <form onSubmit={submit}>
        <h2 id="confirm-title">
          {text.label} {environment}?
        </h2>
        <p id="confirm-text">
          This {text.explain}
          {props.release !== null && (
            <>
              {' '}
              (release <code>{props.release}</code>)
            </>
          )}
          .
        </p>
        {action === 'promote' && (
          <label class="check">
            <input type="checkbox" checked={full} onChange={(e) => setFull(e.currentTarget.checked)} />
            Skip the remaining steps (full promotion)
          </label>
        )}
        {action === 'abort' && (
          <label class="field">
            Reason (optional)
            <input type="text" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
        )}
        {action === 'rollback' && (
          <label class="field">
            To release (optional; the previous one by default)
            <input type="text" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
        )}
        {error !== null && <ErrorBox error={error} />}
        <div class="dialog-buttons">
          <button type="button" ref={cancel} data-testid="cancel-action" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="submit"
            class={destructive ? 'danger' : 'primary'}
            ref={confirm}
            data-testid="confirm-action"
            disabled={busy}
          >
            {busy ? 'Working…' : `${text.label} ${environment}`}
          </button>
        </div>
      </form>
    </dialog>
  );
}
