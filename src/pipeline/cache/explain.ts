import { type CacheManifest, SPEC_FIELDS, type SpecField } from './types.js';

/** At most this many reasons of one kind (files, env, needs) are listed; the rest are counted. */
const MAX_PER_KIND = 10;

const SPEC_REASONS: Record<SpecField, string> = {
  name: 'job name changed',
  run: 'command changed',
  workingDirectory: 'working directory changed',
  matrix: 'matrix values changed',
  inputs: 'input globs changed',
  outputs: 'output globs changed',
  if: 'if condition changed',
};

/**
 * Why the current key differs from the job's last hit or stored entry, in words:
 * 'no earlier cache entry for this job', 'command changed', 'input changed: src/a.ts',
 * 'env changed: FOO', 'needed job "build" changed', …
 */
export function explainMiss(previous: CacheManifest | undefined, current: CacheManifest): string[] {
  if (previous === undefined) return ['no earlier cache entry for this job'];
  if (previous.version !== current.version) return ['the cache format changed (new Tandem version)'];
  const reasons: string[] = [];
  for (const field of SPEC_FIELDS) {
    if (previous.spec[field] !== current.spec[field]) reasons.push(SPEC_REASONS[field]);
  }
  if (reasons.length === 0 && previous.specHash !== current.specHash) reasons.push('job definition changed');
  reasons.push(...limit(diff(previous.env, current.env, 'env')));
  reasons.push(...limit(diff(previous.files, current.files, 'input')));
  reasons.push(...limit(diffNeeds(previous.needs, current.needs)));
  if (reasons.length > 0) return reasons;
  return previous.key === current.key
    ? ['nothing changed since the last entry, but it is no longer in the cache (evicted or removed)']
    : ['the cache key changed for an unknown reason'];
}

function diff(before: Record<string, string>, after: Record<string, string>, noun: string): string[] {
  const old = new Map(Object.entries(before));
  const now = new Map(Object.entries(after));
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const [name, hash] of now) {
    const was = old.get(name);
    if (was === undefined) added.push(`${noun} added: ${name}`);
    else if (was !== hash) changed.push(`${noun} changed: ${name}`);
  }
  for (const name of old.keys()) if (!now.has(name)) removed.push(`${noun} removed: ${name}`);
  return [...changed.sort(), ...added.sort(), ...removed.sort()];
}

function diffNeeds(before: Record<string, string>, after: Record<string, string>): string[] {
  const old = new Map(Object.entries(before));
  const now = new Map(Object.entries(after));
  const reasons: string[] = [];
  for (const [name, key] of now) {
    const was = old.get(name);
    if (was === undefined) reasons.push(`now needs job "${name}"`);
    else if (was !== key) reasons.push(`needed job "${name}" changed`);
  }
  for (const name of old.keys()) if (!now.has(name)) reasons.push(`no longer needs job "${name}"`);
  return reasons;
}

function limit(reasons: string[]): string[] {
  if (reasons.length <= MAX_PER_KIND) return reasons;
  return [...reasons.slice(0, MAX_PER_KIND), `…and ${reasons.length - MAX_PER_KIND} more`];
}
