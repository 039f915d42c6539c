import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { TandemError } from '../../errors.js';
import { logger } from '../../log/logger.js';
import { readVerifiedEntry } from './entry-check.js';
import {
  errnoCode,
  isInside,
  isSafeLinkTarget,
  isSafeRelativePath,
  mapLimit,
  writeFileAtomic,
} from './fs-util.js';
import { sha256, sha256File } from './hash.js';
import { type CachePaths, cachePaths } from './paths.js';
import { restoreOutputs } from './restore.js';
import { type EntryMeta, lastSchema, META_FORMAT, usageSchema } from './schema.js';
import type { CachedOutput, CacheEntry, CacheManifest } from './types.js';

/** Default cap on the total size of cache entries: 2 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;
const KEY_PATTERN = /^[0-9a-f]{16,128}$/;
const COPY_CONCURRENCY = 8;
/** Leftovers of a crashed put older than this are removed. */
const STALE_TMP_MS = 60 * 60 * 1000;

export interface CacheStoreOptions {
  /** Evict least-recently-used entries beyond this many bytes (default 2 GiB). */
  maxBytes?: number;
  /**
   * Keep the entries under this project instead of `root` (a release's snapshot shares its
   * project's cache, so its pipeline restores cached outputs). Same file system expected.
   */
  entriesRoot?: string;
}

export interface CachePutInput {
  jobName: string;
  manifest: CacheManifest;
  /** The job's log, already masked: it is stored and replayed as is. */
  log: string;
  /** Output files and symlinks, relative to the project root (e.g. from listOutputFiles). */
  outputs: string[];
  /** The job's absolute working directory; when given, outputs outside it are not stored. */
  cwdRoot?: string;
}

/**
 * The content-addressed job cache under `<root>/.tandem/cache/`:
 * `entries/<key>/{meta.json, usage.json, log.txt, outputs/<path>}`, `tmp/` (entries being
 * built, moved into place by one rename), `last/<sha(jobName)>.json` (the manifest of the
 * job's latest hit or stored entry, to explain the next miss) and `file-hashes.json`.
 *
 * Reading never fails a run: a corrupt or tampered entry is logged, removed and reported as
 * a miss. Writing never fails a run either: a put that cannot complete logs a warning.
 */
export class CacheStore {
  readonly #root: string;
  readonly #paths: CachePaths;
  readonly #maxBytes: number;

  constructor(root: string, opts: CacheStoreOptions = {}) {
    this.#root = root;
    this.#paths = cachePaths(opts.entriesRoot ?? root);
    this.#maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  /** The verified entry for `key`, or undefined (a miss). Marks the entry as just used. */
  async get(key: string): Promise<CacheEntry | undefined> {
    if (!KEY_PATTERN.test(key)) return undefined;
    const dir = this.#entryDir(key);
    if (!existsSync(dir)) return undefined;
    let result: CacheEntry | string;
    try {
      result = await readVerifiedEntry(dir, key);
    } catch (err) {
      result = `cannot be read (${errnoCode(err) ?? String(err)})`;
    }
    if (typeof result === 'string') {
      logger().warn({ key, reason: result }, 'cache: corrupt entry, treating it as a miss and removing it');
      await this.#discard(key);
      return undefined;
    }
    const now = new Date();
    try {
      utimesSync(join(dir, 'usage.json'), now, now);
    } catch {
      // Only the LRU order suffers.
    }
    return result;
  }

  /**
   * Stores an entry for `key` (no-op when one exists), records its manifest as the job's
   * latest, then evicts least-recently-used entries beyond maxBytes.
   */
  async put(key: string, input: CachePutInput): Promise<void> {
    if (!KEY_PATTERN.test(key))
      throw new TandemError('TANDEM_CACHE_KEY', `invalid cache key ${JSON.stringify(key)}`);
    const dir = this.#entryDir(key);
    if (!(await exists(dir))) {
      const temp = join(this.#paths.tmp, `${Date.now()}-${randomBytes(8).toString('hex')}`);
      try {
        await this.#build(temp, key, input);
        await mkdir(this.#paths.entries, { recursive: true });
        await rename(temp, dir).catch((err: unknown) => {
          // Someone stored the same key meanwhile: keep theirs, discard ours.
          if (errnoCode(err) !== 'ENOTEMPTY' && errnoCode(err) !== 'EEXIST') throw err;
        });
      } catch (err) {
        logger().warn({ key, job: input.jobName, err }, 'cache: cannot store the entry');
        return;
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    }
    await this.recordManifest(input.jobName, input.manifest);
    await this.#evict();
  }

  /** Copies the entry's outputs back under the root. Throws a TandemError if it cannot. */
  async restore(entry: CacheEntry): Promise<void> {
    if (!KEY_PATTERN.test(entry.key)) {
      throw new TandemError('TANDEM_CACHE_KEY', `invalid cache key ${JSON.stringify(entry.key)}`);
    }
    await restoreOutputs(this.#root, this.#entryDir(entry.key), entry.outputs);
  }

  /** The manifest of the job's most recent hit or stored entry, to explain a miss. */
  async lastManifest(jobName: string): Promise<CacheManifest | undefined> {
    try {
      const text = readFileSync(this.#lastPath(jobName), 'utf8');
      const parsed = lastSchema.safeParse(JSON.parse(text));
      return parsed.success && parsed.data.jobName === jobName ? parsed.data.manifest : undefined;
    } catch {
      return undefined;
    }
  }

  /** Remembers `manifest` as the job's latest (call it on a hit; put does it on store). */
  async recordManifest(jobName: string, manifest: CacheManifest): Promise<void> {
    try {
      await mkdir(this.#paths.last, { recursive: true });
      await writeFileAtomic(this.#lastPath(jobName), JSON.stringify({ jobName, manifest }));
    } catch (err) {
      logger().warn({ job: jobName, err }, 'cache: cannot record the last manifest');
    }
  }

  #entryDir(key: string): string {
    return join(this.#paths.entries, key);
  }

  #lastPath(jobName: string): string {
    return join(this.#paths.last, `${sha256(jobName)}.json`);
  }

  async #build(temp: string, key: string, input: CachePutInput): Promise<void> {
    await mkdir(join(temp, 'outputs'), { recursive: true });
    const log = Buffer.from(input.log, 'utf8');
    await writeFile(join(temp, 'log.txt'), log);
    const paths = [...new Set(input.outputs.map((p) => this.#checkOutputPath(p, input.cwdRoot)))]
      .filter((p): p is string => p !== undefined)
      .sort();
    const copied = await mapLimit(paths, COPY_CONCURRENCY, (path) => this.#copyOutput(path, temp));
    const outputs = copied.filter((o): o is CachedOutput => o !== undefined);
    const size = outputs.reduce((sum, o) => sum + (o.type === 'file' ? o.size : 0), log.length);
    const meta: EntryMeta = {
      format: META_FORMAT,
      key,
      jobName: input.jobName,
      createdAt: new Date().toISOString(),
      size,
      log: { size: log.length, sha256: sha256(log) },
      outputs,
      manifest: input.manifest,
    };
    await writeFile(join(temp, 'usage.json'), JSON.stringify({ size }));
    await writeFile(join(temp, 'meta.json'), JSON.stringify(meta));
  }

  /** The normalized output path, or undefined (with a warning) when it may not be cached. */
  #checkOutputPath(path: string, cwdRoot: string | undefined): string | undefined {
    const normalized = posix.normalize(path).replace(/^\.\//, '');
    const inside = cwdRoot === undefined || isInside(cwdRoot, join(this.#root, normalized));
    if (isSafeRelativePath(normalized) && inside) return normalized;
    logger().warn({ path }, 'cache: not caching an output outside the project or the job directory');
    return undefined;
  }

  async #copyOutput(path: string, temp: string): Promise<CachedOutput | undefined> {
    const source = join(this.#root, path);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(source);
    } catch {
      return undefined;
    }
    if (info.isSymbolicLink()) {
      const target = await readlink(source);
      if (isSafeLinkTarget(path, target)) return { type: 'symlink', path, target };
      logger().warn({ path, target }, 'cache: not caching a symlink that points outside the project');
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const dest = join(temp, 'outputs', path);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(source, dest);
    const size = (await stat(dest)).size;
    return { type: 'file', path, mode: info.mode & 0o777, size, sha256: await sha256File(dest, size) };
  }

  /** Moves the entry out of sight (one rename), then deletes it. */
  async #discard(name: string): Promise<void> {
    const doomed = join(this.#paths.tmp, `discard-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(this.#paths.tmp, { recursive: true });
      await rename(this.#entryDir(name), doomed);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') logger().warn({ entry: name, err }, 'cache: cannot remove an entry');
      return;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  /** Removes least-recently-used entries until the total size is within maxBytes. */
  async #evict(): Promise<void> {
    await this.#removeStaleTemps();
    let names: string[];
    try {
      names = await readdir(this.#paths.entries);
    } catch {
      return;
    }
    const entries = await mapLimit(names, 16, async (name) => {
      const usage = join(this.#entryDir(name), 'usage.json');
      try {
        const [text, info] = await Promise.all([readFile(usage, 'utf8'), stat(usage)]);
        return { name, size: usageSchema.parse(JSON.parse(text)).size, usedAt: info.mtimeMs };
      } catch {
        return { name, size: 0, usedAt: 0 };
      }
    });
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    if (total <= this.#maxBytes) return;
    entries.sort((a, b) => a.usedAt - b.usedAt || a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (total <= this.#maxBytes) break;
      logger().debug({ key: entry.name, size: entry.size }, 'cache: evicting least recently used entry');
      await this.#discard(entry.name);
      total -= entry.size;
    }
  }

  async #removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#paths.tmp);
    } catch {
      return;
    }
    const cutoff = Date.now() - STALE_TMP_MS;
    await mapLimit(names, 16, async (name) => {
      const path = join(this.#paths.tmp, name);
      const info = await lstat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
