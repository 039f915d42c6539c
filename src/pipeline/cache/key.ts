import type { PlannedJob } from '../types.js';
import { canonicalJson, sha256 } from './hash.js';
import { type CacheManifest, SPEC_FIELDS, type SpecField } from './types.js';

/** The salt of every key: bump it when what goes into a key, or an entry's format, changes. */
export const CACHE_VERSION = 2;
const SHORT_KEY_LENGTH = 16;

export interface CacheKeyInput {
  job: PlannedJob;
  /** Cache key of every job this one needs. */
  neededKeys: Record<string, string>;
  /** Input file (relative to root) → content hash, from hashFiles. */
  files: Map<string, string>;
  /** The env that takes part in the key (the caller decides which variables). */
  envForKey: Record<string, string>;
}

/**
 * The job's content-addressed cache key (sha256 hex) and the manifest of what it covers:
 * the interpolated spec (name, run, workingDirectory, matrix, inputs, outputs, if), the env, the
 * input files' hashes and the keys of the needed jobs, salted with CACHE_VERSION.
 */
export function computeCacheKey(input: CacheKeyInput): { key: string; manifest: CacheManifest } {
  const { job } = input;
  // The name is part of the key, as in Turborepo: two jobs with the same command never share
  // an entry, so a job's replayed log and outputs are always its own.
  const specValues: Record<SpecField, unknown> = {
    name: job.name,
    run: job.run,
    workingDirectory: job.workingDirectory,
    matrix: job.matrix,
    inputs: job.inputs ?? null,
    outputs: job.outputs,
    if: job.if ?? null,
  };
  const spec = Object.fromEntries(SPEC_FIELDS.map((f) => [f, hashValue(specValues[f])])) as Record<
    SpecField,
    string
  >;
  const components = {
    version: CACHE_VERSION,
    specHash: hashValue(spec),
    spec,
    env: Object.fromEntries(
      Object.entries(input.envForKey)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => [name, hashEnvValue(name, value)]),
    ),
    files: Object.fromEntries([...input.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    needs: Object.fromEntries(
      Object.entries(input.neededKeys).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
  };
  const key = sha256(`tandem-cache-v${CACHE_VERSION}\n${canonicalJson(components)}`);
  return { key, manifest: { ...components, key } };
}

/** The first 16 characters of a key, for display. */
export function shortKey(key: string): string {
  return key.slice(0, SHORT_KEY_LENGTH);
}

function hashValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** Salted with the name, so equal values of different variables do not show as equal. */
function hashEnvValue(name: string, value: string): string {
  return sha256(`tandem-env\0${name}\0${value}`);
}
