import { execFile } from 'node:child_process';
import { lstat, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { logger } from '../../log/logger.js';
import { errnoCode, mapLimit } from './fs-util.js';

/** Never inputs, never outputs: git's own data and Tandem's state. */
const ALWAYS_IGNORED = ['**/.git/**', '**/.tandem/**'];
/** Also left out of the default inputs of a directory that is not in a git repository. */
const NO_GIT_IGNORED = [...ALWAYS_IGNORED, '**/node_modules/**'];
const STAT_CONCURRENCY = 32;
const GIT_MAX_BUFFER = 512 * 1024 * 1024;

/**
 * The files a job's cache key covers, relative to `root` (posix, sorted, deduplicated,
 * existing regular files only).
 *
 * - `inputs` given: the files its globs match under `cwd` (dot files included).
 * - `inputs` undefined: like Turborepo, every file git tracks under `cwd` plus untracked
 *   files git does not ignore, minus the files the job's own `outputs` globs match; outside
 *   a git repository, every file under `cwd` except .git, .tandem and node_modules.
 */
export async function listInputFiles(
  root: string,
  cwd: string,
  inputs: string[] | undefined,
  outputs: string[],
  opts: { listings?: Map<string, Promise<string[]>> } = {},
): Promise<string[]> {
  let files: string[];
  if (inputs !== undefined) {
    files = await globFiles(cwd, inputs, ALWAYS_IGNORED);
  } else {
    // One listing per directory and run is enough: content is still hashed per job, and
    // files an upstream job creates are covered by its key, which is part of this one.
    let listing = opts.listings?.get(cwd);
    if (!listing) {
      listing = gitListFiles(cwd).then((git) => git ?? globFiles(cwd, ['**'], NO_GIT_IGNORED));
      opts.listings?.set(cwd, listing);
    }
    const listed = await listing;
    const isOutput = globMatcher(outputs);
    files = listed.filter((file) => !isOutput(file) && !hasIgnoredSegment(file));
  }
  return toRootRelative(root, cwd, await existingFiles(cwd, files));
}

/** The files a job's `outputs` globs match under `cwd`, relative to `root` (for CacheStore.put). */
export async function listOutputFiles(root: string, cwd: string, outputs: string[]): Promise<string[]> {
  const files = await globFiles(cwd, outputs, ALWAYS_IGNORED);
  return toRootRelative(root, cwd, await outputEntries(cwd, files));
}

async function globFiles(cwd: string, patterns: string[], ignore: string[]): Promise<string[]> {
  if (!patterns.some((p) => !p.startsWith('!'))) return [];
  // Loaded on first use: jobs without globs (the default inputs come from git) never need it.
  const { glob } = await import('tinyglobby');
  return glob(patterns, { cwd, dot: true, onlyFiles: true, ignore });
}

/**
 * `git ls-files` under cwd, paths relative to cwd; undefined when cwd is not in a git
 * repository or git cannot be run.
 */
function gitListFiles(cwd: string): Promise<string[] | undefined> {
  const env = { ...process.env };
  // Let git find the repository from cwd, even when Tandem itself runs inside a git hook.
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX']) delete env[name];
  return new Promise((resolve) => {
    execFile(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd, env, maxBuffer: GIT_MAX_BUFFER, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          if (errnoCode(err) !== 'ENOENT' && !/not a git repository/i.test(stderr)) {
            logger().warn(
              { cwd, err: stderr.trim() || err.message },
              'cache: git ls-files failed; hashing every file',
            );
          }
          resolve(undefined);
          return;
        }
        resolve(stdout.split('\0').filter((file) => file !== ''));
      },
    );
  });
}

/** A matcher for globs relative to cwd; a plain directory pattern also matches what is under it. */
export function globMatcher(patterns: string[]): (file: string) => boolean {
  const clean = patterns.map((p) => p.replace(/^(!?)\.\//, '$1').replace(/\/+$/, ''));
  const expand = (list: string[]) => list.flatMap((p) => (p.endsWith('/**') ? [p] : [p, `${p}/**`]));
  const positive = expand(clean.filter((p) => !p.startsWith('!')));
  const negative = expand(clean.filter((p) => p.startsWith('!')).map((p) => p.slice(1)));
  if (positive.length === 0) return () => false;
  const include = picomatch(positive, { dot: true });
  const exclude = negative.length > 0 ? picomatch(negative, { dot: true }) : () => false;
  return (file) => include(file) && !exclude(file);
}

function hasIgnoredSegment(file: string): boolean {
  return file.split('/').some((segment) => segment === '.git' || segment === '.tandem');
}

/** The regular files that exist (symlinks followed): deleted files and dangling links drop out. */
async function existingFiles(cwd: string, files: string[]): Promise<string[]> {
  const kept = await mapLimit([...new Set(files)], STAT_CONCURRENCY, async (file) => {
    try {
      return (await stat(join(cwd, file))).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  });
  return kept.filter((file): file is string => file !== undefined);
}

/**
 * Output files as they should be cached: a symlink (to a file or a directory) is kept as
 * the link itself, and the files globbing found through a directory link are replaced by it.
 */
async function outputEntries(cwd: string, files: string[]): Promise<string[]> {
  const links = new Map<string, Promise<'link' | 'file' | 'other'>>();
  const kind = (path: string) => {
    let known = links.get(path);
    if (!known) {
      known = lstat(join(cwd, path)).then(
        (info) => (info.isSymbolicLink() ? 'link' : info.isFile() ? 'file' : 'other'),
        () => 'other' as const,
      );
      links.set(path, known);
    }
    return known;
  };
  const kept = await mapLimit([...new Set(files)], STAT_CONCURRENCY, async (file) => {
    const segments = file.split('/');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if ((await kind(prefix)) === 'link') return prefix;
    }
    return (await kind(file)) === 'other' ? undefined : file;
  });
  return kept.filter((file): file is string => file !== undefined);
}

function toRootRelative(root: string, cwd: string, files: string[]): string[] {
  const unique = new Set(files.map((file) => relative(root, join(cwd, file)).split(sep).join('/')));
  return [...unique].sort();
}

export { hashFiles } from './file-hashes.js';
