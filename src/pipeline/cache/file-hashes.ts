import { readFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { logger } from '../../log/logger.js';
import { mapLimit, writeFileAtomic } from './fs-util.js';
import { sha256File } from './hash.js';
import { cachePaths } from './paths.js';

const HASH_CONCURRENCY = 16;
/**
 * A file modified this recently is hashed but not remembered: on a file system with coarse
 * timestamps it could still change within the same mtime (git's "racy" files).
 */
const RACY_MS = 2_000;

const statEntrySchema = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  ino: z.number(),
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});
const statCacheSchema = z.object({ version: z.literal(1), files: z.record(z.string(), statEntrySchema) });
type StatEntry = z.infer<typeof statEntrySchema>;

/** In-process lock per cache file, so concurrent jobs merge their updates instead of losing them. */
const writeChains = new Map<string, Promise<void>>();

/**
 * sha256 of each file's contents, keyed by the same relative paths. A stat cache
 * (size + mtimeMs + inode → hash) in `.tandem/cache/file-hashes.json` spares re-reading
 * unchanged files. Files that vanished meanwhile are left out of the result.
 */
export async function hashFiles(root: string, files: string[]): Promise<Map<string, string>> {
  const cachePath = cachePaths(root).fileHashes;
  const known = await loadStatCache(cachePath);
  const updates = new Map<string, StatEntry | null>();
  const hashed = await mapLimit(files, HASH_CONCURRENCY, async (file) => {
    const path = join(root, file);
    try {
      const info = await stat(path, { bigint: false });
      if (!info.isFile()) return undefined;
      const cached = known[file];
      if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs && cached.ino === info.ino) {
        return [file, cached.hash] as const;
      }
      const hash = await sha256File(path, info.size);
      if (Date.now() - info.mtimeMs > RACY_MS) {
        updates.set(file, { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, hash });
      } else if (cached) {
        updates.set(file, null);
      }
      return [file, hash] as const;
    } catch {
      return undefined;
    }
  });
  if (updates.size > 0) await persist(cachePath, updates);
  return new Map(hashed.filter((pair): pair is readonly [string, string] => pair !== undefined));
}

async function loadStatCache(path: string, quiet = false): Promise<Record<string, StatEntry>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return Object.create(null) as Record<string, StatEntry>;
  }
  try {
    const parsed = statCacheSchema.safeParse(JSON.parse(text));
    if (parsed.success)
      return Object.assign(Object.create(null), parsed.data.files) as Record<string, StatEntry>;
  } catch {
    // Fall through: an unreadable stat cache is only a slower run.
  }
  if (!quiet) logger().warn({ path }, 'cache: ignoring an unreadable file-hash cache');
  return Object.create(null) as Record<string, StatEntry>;
}

function persist(path: string, updates: Map<string, StatEntry | null>): Promise<void> {
  const previous = writeChains.get(path) ?? Promise.resolve();
  const next = previous.then(async () => {
    try {
      const current = await loadStatCache(path, true);
      for (const [file, entry] of updates) {
        if (entry === null) delete current[file];
        else current[file] = entry;
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, JSON.stringify({ version: 1, files: current }));
    } catch (err) {
      logger().warn({ err, path }, 'cache: cannot save the file-hash cache');
    }
  });
  writeChains.set(path, next);
  void next.then(() => {
    if (writeChains.get(path) === next) writeChains.delete(path);
  });
  return next;
}
