import { execFile } from 'node:child_process';

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000 }, (err, stdout) =>
      resolve(err ? null : stdout.trim() || null),
    );
  });
}

/** Branch and commit of the working tree, null outside a git repository. `TANDEM_BRANCH` overrides the branch. */
export async function gitInfo(cwd: string, env: Record<string, string | undefined>) {
  const [branch, commit] = await Promise.all([
    env.TANDEM_BRANCH ? Promise.resolve(env.TANDEM_BRANCH) : git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(cwd, ['rev-parse', '--verify', '-q', 'HEAD']),
  ]);
  return { branch: branch === 'HEAD' ? null : branch, commit };
}
