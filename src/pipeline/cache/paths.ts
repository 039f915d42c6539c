import { join } from 'node:path';

/** Where the job cache lives under a project root. */
export interface CachePaths {
  base: string;
  entries: string;
  tmp: string;
  last: string;
  fileHashes: string;
}

export function cachePaths(root: string): CachePaths {
  const base = join(root, '.tandem', 'cache');
  return {
    base,
    entries: join(base, 'entries'),
    tmp: join(base, 'tmp'),
    last: join(base, 'last'),
    fileHashes: join(base, 'file-hashes.json'),
  };
}
