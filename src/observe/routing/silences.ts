import { TandemError } from '../../errors.js';
import { allMatch, checkMatcher, type Matcher, matcherMatches } from './matchers.js';

/**
 * Silences (`tandem silence`): an alert whose labels match every matcher of an active silence
 * is not notified, but still listed, as silenced. A silence is active from `startsAt` until
 * `endsAt` and expires by itself; nothing has to delete it.
 */

export interface Silence {
  id: string;
  matchers: Matcher[];
  /** ISO-8601. */
  startsAt: string;
  /** ISO-8601; the silence is over at this instant. */
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** The silence covers these labels (ignores its time window; see activeSilences). */
export function matches(silence: Silence, labels: Record<string, string>): boolean {
  return allMatch(silence.matchers, labels);
}

/** The silences in force at `now` (ms since epoch): started, not yet ended. */
export function activeSilences(list: readonly Silence[], now: number): Silence[] {
  return list.filter((s) => isActive(s, now));
}

export function isActive(silence: Silence, now: number): boolean {
  const starts = Date.parse(silence.startsAt);
  const ends = Date.parse(silence.endsAt);
  return !Number.isNaN(starts) && !Number.isNaN(ends) && starts <= now && now < ends;
}

/** Ids of the active silences hiding an alert with these labels. */
export function silencedBy(active: readonly Silence[], labels: Record<string, string>): string[] {
  return active.filter((s) => matches(s, labels)).map((s) => s.id);
}

/**
 * Checks a silence before it is stored; throws a TandemError saying what to fix. Refuses a
 * silence that would match every alert (each of its matchers matches the empty label set), as
 * Alertmanager does: muting everything is never what was meant.
 */
export function validateSilence(silence: Silence): void {
  const invalid = (message: string) => new TandemError('TANDEM_SILENCE_INVALID', message, { exitCode: 2 });
  if (silence.matchers.length === 0) {
    throw invalid('a silence needs at least one matcher, e.g. service=web');
  }
  for (const m of silence.matchers) checkMatcher(m);
  if (silence.matchers.every((m) => matcherMatches(m, {}))) {
    throw invalid('this silence would match every alert; add a matcher that needs a label, e.g. service=web');
  }
  const starts = Date.parse(silence.startsAt);
  const ends = Date.parse(silence.endsAt);
  if (Number.isNaN(starts) || Number.isNaN(ends)) {
    throw invalid('a silence needs ISO-8601 startsAt and endsAt times');
  }
  if (ends <= starts) {
    throw invalid(`the silence ends (${silence.endsAt}) before it starts (${silence.startsAt})`);
  }
}
