import { z } from 'zod';
import { type CachedOutput, type CacheManifest, SPEC_FIELDS } from './types.js';

/** Schemas of what the cache reads back from disk: anything else is a corrupt entry. */

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const hashRecord = z.record(z.string(), z.string());

export const manifestSchema: z.ZodType<CacheManifest> = z.object({
  version: z.number().int(),
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

const outputSchema: z.ZodType<CachedOutput> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('file'),
    path: z.string(),
    mode: z.number().int().min(0).max(0o777),
    size: z.number().int().nonnegative(),
    sha256: sha256Hex,
  }),
  z.object({ type: z.literal('symlink'), path: z.string(), target: z.string().min(1) }),
]);

export const META_FORMAT = 1;

export const metaSchema = z.object({
  format: z.literal(META_FORMAT),
  key: z.string(),
  jobName: z.string(),
  createdAt: z.string(),
  size: z.number().int().nonnegative(),
  log: z.object({ size: z.number().int().nonnegative(), sha256: sha256Hex }),
  outputs: z.array(outputSchema),
  manifest: manifestSchema,
});
export type EntryMeta = z.infer<typeof metaSchema>;

/** `.tandem/cache/last/<sha(jobName)>.json`. */
export const lastSchema = z.object({ jobName: z.string(), manifest: manifestSchema });

/** `entries/<key>/usage.json`: the entry's size; its mtime is the entry's last use (LRU). */
export const usageSchema = z.object({ size: z.number().int().nonnegative() });
