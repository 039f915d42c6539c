/**
 * Push-to-deploy without a webhook (issue 4): polls the tracked branches of the project's
 * repository and reports each new head commit once. The first poll only learns the heads
 * (starting Tandem must not redeploy what is already there). A webhook delivery reports the
 * same push through `seen()`, so a push is acted on once whichever way it arrives.
 */
import { git } from '../release/git.js';

export interface BranchHead {
  branch: string;
  commit: string;
}

export type HeadReader = (branches: readonly string[]) => Promise<Map<string, string>>;

export interface BranchPollerOptions {
  branches: readonly string[];
  read: HeadReader;
  onPush(head: BranchHead): void;
}

export class BranchPoller {
  private readonly heads = new Map<string, string>();
  private primed = false;

  constructor(private readonly opts: BranchPollerOptions) {}

  /** One poll: calls onPush for every branch whose head moved since the last poll. */
  async poll(): Promise<BranchHead[]> {
    const now = await this.opts.read(this.opts.branches);
    const pushed: BranchHead[] = [];
    for (const [branch, commit] of now) {
      const before = this.heads.get(branch);
      this.heads.set(branch, commit);
      if (this.primed && before !== commit) pushed.push({ branch, commit });
    }
    this.primed = true;
    for (const head of pushed) this.opts.onPush(head);
    return pushed;
  }

  /**
   * A push known from elsewhere (a webhook): returns false when the poller already reported this
   * head, so the caller does not act twice; the poller will not report it again either.
   */
  seen(head: BranchHead): boolean {
    if (this.heads.get(head.branch) === head.commit) return false;
    this.heads.set(head.branch, head.commit);
    return true;
  }
}

/** Reads branch heads with one `git for-each-ref` (branches that do not exist are left out). */
export function gitHeadReader(cwd: string, env: Record<string, string | undefined>): HeadReader {
  return async (branches) => {
    const result = await git(
      cwd,
      ['for-each-ref', '--format=%(refname:short) %(objectname)', ...branches.map((b) => `refs/heads/${b}`)],
      env,
    );
    const heads = new Map<string, string>();
    if (!result.ok) return heads;
    for (const line of result.stdout.split('\n')) {
      const [branch, commit] = line.split(' ');
      if (branch && commit) heads.set(branch, commit);
    }
    return heads;
  };
}
