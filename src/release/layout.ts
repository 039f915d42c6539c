import path from 'node:path';
import { stateDir } from '../store/open.js';
import { isReleaseId } from '../store/repositories/releases.js';

/**
 * Where releases live: `<project>/.tandem/releases/<id>/src` is a detached checkout of the
 * release's commit; the release's project directory (its tandem.yaml) is inside it, at the
 * project's path within the git repository.
 */
export function releasesDir(stateRoot: string): string {
  return path.join(stateDir(stateRoot), 'releases');
}

/** The directory holding everything of one release. Refuses anything that is not a release id. */
export function releaseRoot(stateRoot: string, id: string): string {
  if (!isReleaseId(id)) throw new Error(`not a release id: ${JSON.stringify(id)}`);
  return path.join(releasesDir(stateRoot), id);
}

/** `ReleasesTable.dir` of a release: its project directory relative to `.tandem` (posix). */
export function releaseDirColumn(id: string, projectPath: string): string {
  return path.posix.join('releases', id, 'src', projectPath === '' ? '.' : projectPath);
}

/** The absolute project directory of a stored release (where its tandem.yaml and outputs are). */
export function releaseProjectDir(stateRoot: string, release: { dir: string }): string {
  return path.join(stateDir(stateRoot), release.dir);
}
