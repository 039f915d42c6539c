import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface GitInfo {
  branch: string | null;
  commit: string | null;
}

/**
 * Branch and commit of the working tree, null outside a git repository; `TANDEM_BRANCH`
 * overrides the branch. Read from .git's files (HEAD, refs, packed-refs) because every run
 * needs them and two `git` processes cost more than the rest of a cached run's bookkeeping;
 * anything unusual falls back to asking git.
 */
export async function gitInfo(cwd: string, env: Record<string, string | undefined>): Promise<GitInfo> {
  const info = (await readGitFiles(cwd).catch(() => undefined)) ?? (await askGit(cwd));
  return env.TANDEM_BRANCH ? { ...info, branch: env.TANDEM_BRANCH } : info;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** undefined when the files cannot be read simply (the caller then asks git). */
async function readGitFiles(cwd: string): Promise<GitInfo | undefined> {
  const gitDir = await findGitDir(path.resolve(cwd));
  if (gitDir === null) return { branch: null, commit: null };
  if (gitDir === undefined) return undefined;
  const head = (await readFile(path.join(gitDir, 'HEAD'), 'utf8')).trim();
  if (SHA.test(head)) return { branch: null, commit: head }; // detached
  const ref = /^ref: (refs\/heads\/.+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  // Linked worktrees keep shared refs in the common directory.
  const common = await readFile(path.join(gitDir, 'commondir'), 'utf8').then(
    (text) => path.resolve(gitDir, text.trim()),
    () => gitDir,
  );
  return { branch: ref.slice('refs/heads/'.length), commit: await resolveRef(gitDir, common, ref) };
}

async function resolveRef(gitDir: string, common: string, ref: string): Promise<string | null> {
  for (const dir of new Set([gitDir, common])) {
    const loose = await readFile(path.join(dir, ref), 'utf8').catch(() => undefined);
    if (loose !== undefined && SHA.test(loose.trim())) return loose.trim();
  }
  const packed = await readFile(path.join(common, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.trim().split(' ');
    if (name === ref && sha && SHA.test(sha)) return sha;
  }
  return null; // a branch with no commit yet
}

/** The git directory for cwd: null outside a repository, undefined when unsure. */
async function findGitDir(start: string): Promise<string | null | undefined> {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.git');
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isDirectory()) return candidate;
    if (info?.isFile()) {
      const target = /^gitdir: (.+)$/m.exec(await readFile(candidate, 'utf8'))?.[1]?.trim();
      return target ? path.resolve(dir, target) : undefined;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000 }, (err, stdout) =>
      resolve(err ? null : stdout.trim() || null),
    );
  });
}

async function askGit(cwd: string): Promise<GitInfo> {
  const [branch, commit] = await Promise.all([
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(cwd, ['rev-parse', '--verify', '-q', 'HEAD']),
  ]);
  return { branch: branch === 'HEAD' ? null : branch, commit };
}
