import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../log/logger.js';
import { isReleaseId, releaseSeq } from '../store/repositories/releases.js';
import { releasesDir } from './layout.js';

/**
 * Removes release directories beyond the newest `max` (by sequence number), except those in
 * `keep` (what environments run or may roll back to, and releases being built). Only
 * directories of `.tandem/releases/` named like a release id are ever considered, so nothing
 * else can be reached. Returns the ids removed, newest first.
 */
export async function pruneReleases(stateRoot: string, keep: Iterable<string>, max = 10): Promise<string[]> {
  const base = releasesDir(stateRoot);
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return []; // no release yet
  }
  const kept = new Set(keep);
  const ids = names.filter(isReleaseId).sort((a, b) => releaseSeq(b) - releaseSeq(a));
  const doomed = ids.slice(Math.max(0, max)).filter((id) => !kept.has(id));
  const removed: string[] = [];
  for (const id of doomed) {
    const dir = path.join(base, id);
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(id);
    } catch (err) {
      logger().warn({ err, release: id }, 'cannot remove an old release directory');
    }
  }
  return removed;
}
