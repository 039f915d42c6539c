import type { Tone } from '../lib/timeline.js';

/** Colour never carries meaning alone: each tone has a glyph, and the text says it. */
const GLYPH: Record<Tone, string> = { ok: '✓', warn: '!', bad: '✕', info: '●', neutral: '○' };

export function Badge({ tone, text, testid }: { tone: Tone; text: string; testid?: string }) {
  return (
    <span class={`badge tone-${tone}`} data-testid={testid}>
      <span class="badge-glyph" aria-hidden="true">
        {GLYPH[tone]}
      </span>
      {text}
    </span>
  );
}

const STATE_TONE: Record<string, Tone> = {
  passed: 'ok',
  promoted: 'ok',
  succeeded: 'ok',
  healthy: 'ok',
  running: 'info',
  progressing: 'info',
  pending: 'neutral',
  cached: 'ok',
  skipped: 'neutral',
  stopped: 'neutral',
  unknown: 'neutral',
  paused: 'warn',
  'awaiting-approval': 'warn',
  degraded: 'warn',
  failed: 'bad',
  cancelled: 'bad',
  aborted: 'bad',
  'rolled-back': 'bad',
  down: 'bad',
};

export function toneOfState(state: string): Tone {
  return STATE_TONE[state] ?? 'info';
}

/** A run, job, rollout or health state as a badge. */
export function StateBadge({ state, testid }: { state: string; testid?: string }) {
  return <Badge tone={toneOfState(state)} text={state.replace(/-/g, ' ')} testid={testid} />;
}
