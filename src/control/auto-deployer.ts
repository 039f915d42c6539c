/**
 * Push-to-deploy (issue 4): a push to a tracked branch queues a deploy of that commit to every
 * `auto` environment at the head of a chain; a promoted release queues a deploy to every `auto`
 * environment that `promote_from`s the one it was promoted in. One deploy per environment at a
 * time: while an environment is busy only the newest request waits (older pushes are skipped,
 * as a newer commit contains them).
 */
import type { EnvironmentPlan } from '../delivery/environment-plan.js';
import { logger } from '../log/logger.js';

export type AutoRequest = { ref: string; reason: string } | { release: string; reason: string };

export interface AutoDeployTarget {
  plans(): EnvironmentPlan[];
  /** Whether a rollout of the environment is being prepared or in progress. */
  busy(environment: string): Promise<boolean>;
  deploy(environment: string, request: AutoRequest): Promise<void>;
}

export class AutoDeployer {
  private readonly queue = new Map<string, AutoRequest>();
  private running: Promise<void> | undefined;

  constructor(private readonly target: AutoDeployTarget) {}

  /** A new commit on a tracked branch. */
  push(branch: string, commit: string): void {
    for (const env of this.target.plans()) {
      if (env.auto && env.promoteFrom === null) {
        this.queue.set(env.name, { ref: commit, reason: `push to ${branch} (${commit.slice(0, 7)})` });
      }
    }
  }

  /** A release promoted in `environment`: it flows on to the environments that promote from it. */
  promoted(environment: string, release: string): void {
    for (const env of this.target.plans()) {
      if (env.auto && env.promoteFrom === environment) {
        this.queue.set(env.name, { release, reason: `promoted in ${environment}` });
      }
    }
  }

  pending(): ReadonlyMap<string, AutoRequest> {
    return this.queue;
  }

  /** Starts the queued deploys whose environment is free. */
  tick(): Promise<void> {
    this.running ??= this.runQueued().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when no automatic deploy is being started (for shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async runQueued(): Promise<void> {
    for (const [environment, request] of [...this.queue]) {
      if (await this.target.busy(environment)) continue;
      this.queue.delete(environment);
      await this.target.deploy(environment, request).catch((err: unknown) => {
        logger().warn({ err, environment, ...request }, 'automatic deploy failed');
      });
    }
  }
}
