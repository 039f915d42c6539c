import path from 'node:path';

/**
 * Resolves a job's working_directory against the project root (pure: no file-system access, so
 * symlinks are not followed). `relative` uses posix separators, '.' for the root itself.
 */
export function resolveWorkingDirectory(
  root: string,
  workingDirectory: string,
): { cwd: string; relative: string } | { error: string } {
  const cwd = path.resolve(root, workingDirectory);
  const relative = path.relative(root, cwd);
  if (relative === '') return { cwd, relative: '.' };
  if (escapes(relative) || path.isAbsolute(relative)) {
    return { error: `working_directory "${workingDirectory}" is outside the project root` };
  }
  return { cwd, relative: relative.split(path.sep).join('/') };
}

/** Whether a glob relative to `workingDirectory` (posix, relative to the root) reaches outside the root. */
export function globEscapesRoot(workingDirectory: string, glob: string): boolean {
  const pattern = glob.startsWith('!') ? glob.slice(1) : glob;
  if (path.posix.isAbsolute(pattern) || path.win32.isAbsolute(pattern)) return true;
  return escapes(path.posix.normalize(path.posix.join(workingDirectory, pattern)));
}

function escapes(relative: string): boolean {
  return relative === '..' || relative.startsWith('../') || relative.startsWith(`..${path.sep}`);
}
