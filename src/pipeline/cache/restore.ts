import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, realpath, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TandemError } from '../../errors.js';
import { isInside, isSafeLinkTarget, isSafeRelativePath, mapLimit } from './fs-util.js';
import type { CachedOutput } from './types.js';

const RESTORE_CONCURRENCY = 8;

/**
 * Copies cached outputs from `entryDir/outputs` back to their places under `root`, each file
 * atomically (temp file beside it, then rename). Paths that would leave the root (`..`,
 * absolute, or through a symlinked directory) are refused before anything is written.
 */
export async function restoreOutputs(root: string, entryDir: string, outputs: CachedOutput[]): Promise<void> {
  for (const output of outputs) {
    const safe =
      isSafeRelativePath(output.path) &&
      (output.type !== 'symlink' || isSafeLinkTarget(output.path, output.target));
    if (!safe) {
      throw new TandemError(
        'TANDEM_CACHE_UNSAFE_PATH',
        `cache entry output ${JSON.stringify(output.path)} is unsafe`,
      );
    }
  }
  if (outputs.length === 0) return;
  const realRoot = await realpath(root);
  await mapLimit(outputs, RESTORE_CONCURRENCY, async (output) => {
    const dest = join(root, output.path);
    const parent = dirname(dest);
    const temp = join(parent, `.${basename(dest)}.${randomBytes(6).toString('hex')}.tandem-restore`);
    try {
      await mkdir(parent, { recursive: true });
      if (!isInside(realRoot, await realpath(parent))) {
        throw new TandemError(
          'TANDEM_CACHE_UNSAFE_PATH',
          `cache entry output ${output.path} would leave the project`,
        );
      }
      if (output.type === 'file') {
        await copyFile(join(entryDir, 'outputs', output.path), temp);
        await chmod(temp, output.mode);
      } else {
        await symlink(output.target, temp);
      }
      await rename(temp, dest);
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof TandemError) throw err;
      throw new TandemError('TANDEM_CACHE_RESTORE', `cannot restore cached output ${output.path}`, {
        cause: err,
      });
    }
  });
}
