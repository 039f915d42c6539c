import * as z from 'zod/mini';
import { type CachedOutput, type CacheManifest, SPEC_FIELDS } from './types.js';

/**
 * Schemas of what the cache reads back from disk: anything else is a corrupt entry.
 * zod/mini, not zod: these are read on every cache hit, and the full zod costs ~40 ms to
 * load while mini tree-shakes to a few kilobytes.
 */

const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const hashRecord = z.record(z.string(), z.string());
const count = z.int().check(z.nonnegative());

export const manifestSchema: z.ZodMiniType<CacheManifest> = z.object({
  version: z.int(),
  key: z.string(),
  specHash: sha256Hex,
  spec: z.object(
    Object.fromEntries(SPEC_FIELDS.map((f) => [f, sha256Hex])) as Record<
      (typeof SPEC_FIELDS)[number],
      typeof sha256Hex
    >,
  ),
  env: hashRecord,
  files: hashRecord,
  needs: hashRecord,
});

const outputSchema: z.ZodMiniType<CachedOutput> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('file'),
    path: z.string(),
    mode: z.int().check(z.minimum(0), z.maximum(0o777)),
    size: count,
    sha256: sha256Hex,
  }),
  z.object({ type: z.literal('symlink'), path: z.string(), target: z.string().check(z.minLength(1)) }),
]);

export const META_FORMAT = 1;

export const metaSchema = z.object({
  format: z.literal(META_FORMAT),
  key: z.string(),
  jobName: z.string(),
  createdAt: z.string(),
  size: count,
  log: z.object({ size: count, sha256: sha256Hex }),
  outputs: z.array(outputSchema),
  manifest: manifestSchema,
});
export type EntryMeta = z.infer<typeof metaSchema>;

/** `.tandem/cache/last/<sha(jobName)>.json`. */
export const lastSchema = z.object({ jobName: z.string(), manifest: manifestSchema });

/** `entries/<key>/usage.json`: the entry's size; its mtime is the entry's last use (LRU). */
export const usageSchema = z.object({ size: count });
