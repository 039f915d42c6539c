import type { StreamState } from '../hooks.js';

const TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  off: 'Not live',
};

/** Whether the page is following the server live (announced when it changes). */
export function StreamIndicator({ state, testid = 'stream-state' }: { state: StreamState; testid?: string }) {
  return (
    <span class={`stream stream-${state}`} role="status" data-testid={testid} data-state={state}>
      <span class="stream-dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
