import { randomBytes } from 'node:crypto';
import { link, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE_NAMES } from '../config/load.js';
import { TandemError } from '../errors.js';

/** The names a config file may have in a directory; the first is the one written. */

export interface WriteOptions {
  /** Overwrite an existing tandem.yaml (or tandem.yml, which is then the file written). */
  force?: boolean;
}

/**
 * Writes `text` to `dir/tandem.yaml` atomically: a temporary file in the same directory,
 * flushed, then moved into place, so a reader never sees half a file. Without `force` an
 * existing tandem.yaml or tandem.yml is an error (TANDEM_INIT_EXISTS), and the final step is
 * a hard link, which fails rather than replace a file created in the meantime.
 * Returns the path written.
 */
export async function writeConfigFile(
  dir: string,
  text: string,
  options: WriteOptions = {},
): Promise<string> {
  const existing = await existingConfigIn(dir);
  if (existing && !options.force) throw existsError(existing);
  const target = existing ?? path.join(dir, CONFIG_FILE_NAMES[0]);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.force) {
      await rename(temp, target);
    } else {
      await placeWithoutClobbering(temp, target);
    }
  } catch (err) {
    if (err instanceof TandemError) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TandemError('TANDEM_INIT_WRITE', `cannot write ${target}: ${reason}`, { cause: err });
  } finally {
    await rm(temp, { force: true });
  }
  return target;
}

/** The config file already in `dir`, if any: anything at those names counts, so nothing is clobbered. */
export async function existingConfigIn(dir: string): Promise<string | undefined> {
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(dir, name);
    try {
      await stat(file);
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return file;
    }
  }
  return undefined;
}

async function placeWithoutClobbering(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsError(target);
    // A file system without hard links: check again, then rename.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      const existing = await existingConfigIn(path.dirname(target));
      if (existing) throw existsError(existing);
      await rename(temp, target);
      return;
    }
    throw err;
  }
}

function existsError(file: string): TandemError {
  return new TandemError('TANDEM_INIT_EXISTS', `${file} already exists; pass --force to overwrite it`, {
    exitCode: 1,
  });
}
