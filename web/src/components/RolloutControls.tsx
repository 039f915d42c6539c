import { useState } from 'preact/hooks';
import type { ControlBody } from '../api/client.js';
import { useApp } from '../context.js';
import { ACTION_TEXT, type RolloutAction, visibleActions } from '../lib/roles.js';
import { ConfirmDialog } from './ConfirmDialog.js';

/**
 * The rollout buttons an environment offers this viewer (none for viewers; protected environments
 * need an operator), each behind a confirmation. `onDone` refreshes the page after an action.
 */
export function RolloutControls(props: {
  environment: string;
  protected: boolean;
  approval: readonly string[] | null;
  rolloutState: string | null;
  release: string | null;
  onDone(): void;
}) {
  const { client, session, announce } = useApp();
  const [open, setOpen] = useState<RolloutAction | null>(null);
  const actions = visibleActions(session.principal.roles, {
    protected: props.protected,
    approval: props.approval,
    rolloutState: props.rolloutState,
  });
  if (actions.length === 0) return null;
  const run = async (action: RolloutAction, body: ControlBody) => {
    await client.control(props.environment, action, body);
    announce(`${props.environment}: ${ACTION_TEXT[action].done}`);
    props.onDone();
  };
  return (
    <fieldset class="controls">
      <legend class="sr-only">Rollout controls for {props.environment}</legend>
      {actions.map((a) => (
        <button
          type="button"
          key={a}
          class={
            a === 'abort' || a === 'rollback' ? 'danger' : a === 'promote' || a === 'approve' ? 'primary' : ''
          }
          data-testid={`action-${a}`}
          onClick={() => setOpen(a)}
        >
          {ACTION_TEXT[a].label}
        </button>
      ))}
      {open !== null && (
        <ConfirmDialog
          action={open}
          environment={props.environment}
          release={props.release}
          onConfirm={(body) => run(open, body)}
          onClose={() => setOpen(null)}
        />
      )}
    </fieldset>
  );
}
