import { logger } from '../../log/logger.js';
import {
  type CacheManifest,
  CacheStore,
  computeCacheKey,
  explainMiss,
  hashFiles,
  listInputFiles,
  listOutputFiles,
} from '../cache/index.js';
import type { PlannedJob } from '../types.js';
import type { JobCache } from './ports.js';

/**
 * The scheduler's JobCache over the content-addressed store in `.tandem/cache/`. The key
 * covers the job's interpolated spec, its configured env, its input files and the keys of the
 * jobs it needs; the process environment is deliberately not part of it.
 *
 * `stateRoot` (default `root`): the project whose cache is used while the files are under `root`
 * — a release's snapshot shares the project's entries, so its pipeline restores cached outputs.
 */
export function createJobCache(root: string, opts: { maxBytes?: number; stateRoot?: string } = {}): JobCache {
  const store = new CacheStore(root, { maxBytes: opts.maxBytes, entriesRoot: opts.stateRoot });
  const manifests = new Map<string, CacheManifest>();
  const listings = new Map<string, Promise<string[]>>();
  // Most jobs run at the root with default inputs: start listing its files now, while the run
  // is being set up, instead of when the first job asks.
  void listInputFiles(root, root, undefined, [], { listings }).catch(() => undefined);
  // Jobs with the same directory and globs share their input hashes until the working tree may
  // have changed (a command ran or outputs were restored): a cached pipeline hashes once.
  let generation = 0;
  const hashMemo = new Map<string, { generation: number; hashes: Promise<Map<string, string>> }>();
  const inputHashes = (job: PlannedJob) => {
    const memoKey = JSON.stringify([job.cwd, job.inputs ?? null, job.outputs]);
    const memo = hashMemo.get(memoKey);
    if (memo?.generation === generation) return memo.hashes;
    const hashes = listInputFiles(root, job.cwd, job.inputs, job.outputs, { listings }).then((files) =>
      hashFiles(root, files),
    );
    hashMemo.set(memoKey, { generation, hashes });
    return hashes;
  };
  return {
    treeMayChange() {
      generation++;
    },
    async lookup(job, neededKeys, { read, explain }) {
      const hashes = await inputHashes(job);
      const { key, manifest } = computeCacheKey({ job, neededKeys, files: hashes, envForKey: job.env });
      manifests.set(job.name, manifest);
      if (read) {
        const entry = await store.get(key);
        if (entry) {
          return {
            key,
            hit: {
              log: entry.log,
              restore: async () => {
                if (entry.outputs.length > 0) generation++;
                await store.restore(entry);
                // Explain compares with the last hit: record it, unless it is the same entry again.
                // Not awaited: it only matters to a later run, and never fails (it logs).
                const last = await store.lastManifest(job.name);
                if (last?.key !== manifest.key) void store.recordManifest(job.name, manifest);
              },
            },
          };
        }
      }
      const missReasons = explain ? explainMiss(await store.lastManifest(job.name), manifest) : undefined;
      return { key, missReasons };
    },
    async save(job, key, log) {
      const manifest = manifests.get(job.name);
      if (!manifest) return;
      try {
        const outputs = await listOutputFiles(root, job.cwd, job.outputs);
        await store.put(key, { jobName: job.name, manifest, log, outputs });
      } catch (err) {
        logger().warn({ err, job: job.name }, 'could not store the job in the cache');
      }
    },
  };
}
