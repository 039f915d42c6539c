import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** The text of `dir/name`, or undefined when it is missing or not a file. */
export async function readTextIfExists(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, name), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export async function isFile(dir: string, name: string): Promise<boolean> {
  return (await kind(path.join(dir, name))) === 'file';
}

export async function isDirectory(dir: string, name = '.'): Promise<boolean> {
  return (await kind(path.join(dir, name))) === 'dir';
}

async function kind(file: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** The names among `names` that are files in `dir`, in the order given. */
export async function presentFiles(dir: string, names: readonly string[]): Promise<string[]> {
  const found = await Promise.all(names.map((n) => isFile(dir, n)));
  return names.filter((_, i) => found[i]);
}
