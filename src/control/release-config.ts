/**
 * A release carries the `services:` and `environments:` it was made with (release = commit +
 * artifacts + config), so a rollback runs the old release exactly as it ran. This plans that
 * snapshot like a loaded tandem.yaml; it was valid when the release was made.
 */
import type { ConfigIssue } from '../config/errors.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import type { Config } from '../config/schema.js';
import {
  type EnvironmentPlanContext,
  planEnvironments,
  type ServicePlan,
} from '../delivery/environment-plan.js';
import { TandemError } from '../errors.js';

export interface ConfigSnapshot {
  services?: Config['services'];
  environments?: Config['environments'];
}

export function snapshotOf(config: Config): string {
  return JSON.stringify({ services: config.services ?? {}, environments: config.environments ?? {} });
}

/** The plan of `service` in `environment` as the release `releaseId` defines it. */
export function servicePlanOfRelease(
  releaseId: string,
  snapshotJson: string,
  projectDir: string,
  environment: string,
  service: string,
  ctx: EnvironmentPlanContext,
): ServicePlan {
  const snapshot = JSON.parse(snapshotJson) as ConfigSnapshot;
  const file = `release ${releaseId}`;
  const loaded: LoadedConfig = {
    file,
    dir: projectDir,
    config: { project: releaseId, pipeline: { jobs: {} }, ...snapshot } as Config,
    positionOf: () => ({ line: 1, col: 1 }),
    issueAt: (path, message, extra): ConfigIssue => ({ file, line: 1, col: 1, path, message, ...extra }),
  };
  const env = planEnvironments(loaded, ctx).find((e) => e.name === environment);
  const plan = env?.services.find((s) => s.name === service);
  if (plan === undefined) {
    throw new TandemError(
      'TANDEM_RELEASE_LACKS_SERVICE',
      `release ${releaseId} does not define service "${service}" in environment "${environment}"; deploy a newer release`,
    );
  }
  return plan;
}
