/**
 * What a cache key was computed from, one hash per component, so a miss can be explained.
 * It holds hashes only: env values and scripts may contain secrets.
 */
export interface CacheManifest {
  /** Cache format version (part of the key: bumping it invalidates every entry). */
  version: number;
  /** The key these components hash to. */
  key: string;
  /** Hash of the whole interpolated job spec. */
  specHash: string;
  /** Hash of each part of the spec. */
  spec: Record<SpecField, string>;
  /** Variable name → hash of its value. */
  env: Record<string, string>;
  /** Input file (relative to the project root, posix) → sha256 of its contents. */
  files: Record<string, string>;
  /** Needed job name → its cache key. */
  needs: Record<string, string>;
}

export const SPEC_FIELDS = ['name', 'run', 'workingDirectory', 'matrix', 'inputs', 'outputs', 'if'] as const;
export type SpecField = (typeof SPEC_FIELDS)[number];

/** One cached output, as recorded in meta.json. */
export type CachedOutput =
  | { type: 'file'; path: string; mode: number; size: number; sha256: string }
  | { type: 'symlink'; path: string; target: string };

/** A verified cache entry, as returned by CacheStore.get. */
export interface CacheEntry {
  key: string;
  jobName: string;
  /** ISO 8601. */
  createdAt: string;
  /** Bytes of the log and the output files. */
  size: number;
  /** The job's (masked) log, to replay on a hit. */
  log: string;
  /** Output paths are relative to the project root. */
  outputs: CachedOutput[];
  manifest: CacheManifest;
}
