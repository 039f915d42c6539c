import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A destructive button that asks once more in place: "Revoke" becomes "Revoke alice" and
 * "Cancel", with focus on Cancel so Enter alone never confirms.
 */
export function ConfirmInline(props: {
  /** The button's word ("Revoke"). */
  verb: string;
  /** What it acts on ("alice"): said in the button's label and the confirmation. */
  target: string;
  onConfirm(): Promise<void>;
  testid: string;
}) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" onClick={() => setAsking(true)} aria-label={`${props.verb} ${props.target}`}>
        {props.verb}
      </button>
    );
  }
  return (
    <span class="confirm-inline">
      <button
        type="button"
        class="danger"
        data-testid={props.testid}
        onClick={() => void props.onConfirm().finally(() => setAsking(false))}
      >
        {props.verb} {props.target}
      </button>{' '}
      <button type="button" ref={cancel} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
