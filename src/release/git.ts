import { execFile } from 'node:child_process';

export interface GitResult {
  ok: boolean;
  stdout: string;
  /** git's own message (stderr), trimmed. */
  stderr: string;
}

/** Variables that would point git at another repository than the one in `cwd`. */
const REPOSITORY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX'];
const MAX_BUFFER = 64 * 1024 * 1024;

/** Runs git in `cwd`, never prompting; resolves with its output whether it succeeded or not. */
export function git(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<GitResult> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !REPOSITORY_VARIABLES.includes(k)) childEnv[k] = v;
  }
  childEnv.GIT_TERMINAL_PROMPT = '0';
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, env: childEnv, maxBuffer: MAX_BUFFER, signal, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const message = stderr.trim() || (err ? err.message : '');
        resolve({ ok: !err, stdout: stdout.trimEnd(), stderr: message });
      },
    );
  });
}
