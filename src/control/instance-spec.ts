import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ServicePlan } from '../delivery/environment-plan.js';
import type { InstanceSpec } from '../runtime/local/types.js';

/** Variables of the control plane's own environment that an instance must never inherit. */
const PRIVATE_ENV = /^(TANDEM_|NODE_OPTIONS$|npm_)/;

export function instanceId(environment: string, service: string): string {
  return `${environment}-${service}-${randomBytes(4).toString('hex')}`;
}

/** The process environment of an instance: the machine's, minus Tandem's own, plus the service's. */
export function instanceEnv(
  base: Record<string, string | undefined>,
  plan: ServicePlan,
  ids: { environment: string; revision: string; instance: string },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !PRIVATE_ENV.test(k)) env[k] = v;
  Object.assign(env, plan.env);
  env.TANDEM_ENVIRONMENT = ids.environment;
  env.TANDEM_SERVICE = plan.name;
  env.TANDEM_RELEASE = ids.revision;
  env.TANDEM_INSTANCE = ids.instance;
  return env;
}

export function instanceSpec(opts: {
  environment: string;
  revision: string;
  plan: ServicePlan;
  /** The release's project directory (absolute). */
  projectDir: string;
  baseEnv: Record<string, string | undefined>;
}): InstanceSpec {
  const id = instanceId(opts.environment, opts.plan.name);
  return {
    id,
    environment: opts.environment,
    service: opts.plan.name,
    revision: opts.revision,
    command: opts.plan.run,
    cwd: path.resolve(opts.projectDir, opts.plan.workingDirectory),
    env: instanceEnv(opts.baseEnv, opts.plan, {
      environment: opts.environment,
      revision: opts.revision,
      instance: id,
    }),
    port: 0,
    health: opts.plan.health,
    stop: opts.plan.stop,
  };
}
