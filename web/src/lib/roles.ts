/**
 * Which controls the dashboard shows to whom (DESIGN.md §7, issue 6). The server decides; this
 * only hides what would be refused: viewers see no controls, developers steer unprotected
 * environments, operators and admins every environment.
 */

export const ROLES = ['viewer', 'developer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The rank of the highest known role held; -1 for none. */
export function rank(roles: readonly string[]): number {
  return Math.max(-1, ...roles.map((r) => ROLES.indexOf(r as Role)));
}

export function hasRole(roles: readonly string[], least: Role): boolean {
  return rank(roles) >= ROLES.indexOf(least);
}

export const ROLLOUT_ACTIONS = ['promote', 'pause', 'resume', 'abort', 'approve', 'rollback'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/** Rollout states (DESIGN.md §5) in which a release is still on its way. */
const ACTIVE = new Set(['pending', 'awaiting-approval', 'progressing', 'paused']);

/** The actions that make sense in a rollout state; rollback only once nothing is in flight. */
export function actionsForState(state: string | null | undefined): RolloutAction[] {
  switch (state) {
    case 'progressing':
      return ['promote', 'pause', 'abort'];
    case 'paused':
      return ['promote', 'resume', 'abort'];
    case 'awaiting-approval':
      return ['approve', 'abort'];
    case 'pending':
      return ['abort'];
    default:
      return ['rollback'];
  }
}

export function isActiveRollout(state: string | null | undefined): boolean {
  return state !== null && state !== undefined && ACTIVE.has(state);
}

/**
 * The rollout controls to show for an environment. Approving follows the environment's
 * `approval:` roles (admins always may) when known; everything else its protection.
 */
export function visibleActions(
  roles: readonly string[],
  environment: {
    protected: boolean;
    rolloutState: string | null | undefined;
    approval?: readonly string[] | null;
  },
): RolloutAction[] {
  if (!hasRole(roles, 'developer')) return [];
  const steer = hasRole(roles, environment.protected ? 'operator' : 'developer');
  const approval = environment.approval;
  const approve =
    approval === undefined || approval === null || approval.length === 0
      ? steer
      : roles.includes('admin') || approval.some((r) => roles.includes(r));
  return actionsForState(environment.rolloutState).filter((a) => (a === 'approve' ? approve : steer));
}

/** Running a pipeline again: developers and above. */
export function canRerun(roles: readonly string[]): boolean {
  return hasRole(roles, 'developer');
}

/** The audit log: admins. */
export function canReadAudit(roles: readonly string[]): boolean {
  return hasRole(roles, 'admin');
}

/** Words for the confirmation dialog and the result announcement. */
export const ACTION_TEXT: Record<RolloutAction, { label: string; done: string; explain: string }> = {
  promote: {
    label: 'Promote',
    done: 'promoted',
    explain: 'moves the canary to its next step (or straight to 100% with "full")',
  },
  pause: { label: 'Pause', done: 'paused', explain: 'holds the rollout at its current step' },
  resume: { label: 'Resume', done: 'resumed', explain: 'continues a paused rollout' },
  abort: {
    label: 'Abort',
    done: 'aborted',
    explain: 'stops the rollout and sends all traffic back to the stable release',
  },
  approve: { label: 'Approve', done: 'approved', explain: 'starts the rollout held for approval' },
  rollback: {
    label: 'Roll back',
    done: 'rolled back',
    explain: 'deploys the previous release (or the one you name) again',
  },
};
