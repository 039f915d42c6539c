import { z } from 'zod';
import { durationSchema } from './duration.js';
import { observeServiceShape } from './observe-schema.js';
import { progressiveEnvironmentShape } from './progressive-schema.js';

/**
 * `services:` and `environments:` of tandem.yaml (issue 3): what runs, and where and how it is
 * rolled out. Kept apart from the pipeline's schema; schema.ts composes both.
 */

export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
const serviceName = z.string().regex(SERVICE_NAME_PATTERN, 'a lowercase name of letters, digits and "-"');
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const port = z.number().int().min(1).max(65535);
const count = (max: number) => z.number().int().min(0).max(max);

export const healthSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^\//, 'an HTTP path starting with "/"')
      .optional()
      .meta({
        description: 'HTTP path answered with 2xx/3xx when healthy. Default: a TCP connect.',
        examples: ['/healthz'],
      }),
    tcp: z
      .boolean()
      .optional()
      .meta({
        description: 'Check by opening a TCP connection instead of an HTTP request.',
        examples: [true],
      }),
    interval: durationSchema
      .optional()
      .meta({ description: 'Time between checks. Default: 2s.', examples: ['2s'] }),
    timeout: durationSchema
      .optional()
      .meta({ description: 'A check slower than this fails. Default: 1s.', examples: ['1s'] }),
    healthy: count(20)
      .min(1)
      .optional()
      .meta({
        description: 'Consecutive passing checks before an instance is healthy. Default: 1.',
        examples: [2],
      }),
    unhealthy: count(20)
      .min(1)
      .optional()
      .meta({
        description:
          'Consecutive failing checks before a healthy instance is unhealthy (and out of traffic). Default: 3.',
        examples: [3],
      }),
  })
  .refine((h) => !(h.path !== undefined && h.tcp === true), 'either `path` or `tcp: true`, not both')
  .meta({ description: 'How instances are health-checked, continuously (not only at start).' });

export const serviceSchema = z
  .strictObject({
    run: z
      .string()
      .min(1)
      .meta({
        description:
          "The command of one instance (bash), run in the release directory with PORT set to the instance's own port.",
        examples: ['node src/server.js'],
      }),
    port: port.optional().meta({
      description:
        'The port the service listens on in a container (kubernetes runtime). Locally each instance gets its own PORT.',
      examples: [8080],
    }),
    health: healthSchema.optional(),
    replicas: count(64)
      .min(1)
      .optional()
      .meta({ description: 'Instances per environment. Default: 1.', examples: [2] }),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), scalar)
      .optional()
      .meta({
        description: `Environment of every instance; values may use \${{ env.NAME }} and \${{ secrets.NAME }}.`,
        examples: [{ DATABASE_URL: `\${{ secrets.DATABASE_URL }}` }],
      }),
    release: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'Run once per release and environment before the rollout (e.g. migrations); failing it fails the deploy.',
        examples: ['node scripts/migrate.js'],
      }),
    working_directory: z
      .string()
      .optional()
      .meta({
        description: 'Directory of the command, relative to tandem.yaml. It may not escape it.',
        examples: ['api'],
      }),
    stop: z
      .strictObject({
        signal: z
          .enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'])
          .optional()
          .meta({ description: 'Signal asking an instance to stop. Default: SIGTERM.' }),
        grace: durationSchema
          .optional()
          .meta({ description: 'Time after the signal before SIGKILL. Default: 10s.', examples: ['10s'] }),
      })
      .optional()
      .meta({ description: 'How an instance is stopped.' }),
    drain: durationSchema.optional().meta({
      description:
        'How long a leaving instance may finish its in-flight requests and WebSockets before it is stopped. Default: 30s.',
      examples: ['30s'],
    }),
    ...observeServiceShape,
  })
  .meta({ description: 'One long-running service.' });

export const STRATEGIES = ['rolling', 'blue-green', 'canary'] as const;

export const environmentSchema = z
  .strictObject({
    runtime: z.enum(['local']).optional().meta({ description: 'Where instances run. Default: local.' }),
    listen: z.union([port, z.record(serviceName, port)]).meta({
      description:
        "The data plane's port for this environment (127.0.0.1). A number routes to the environment's only service; a map gives each service its port.",
      examples: [8080, { web: 8080, api: 8081 }],
    }),
    services: z
      .array(serviceName)
      .optional()
      .meta({ description: 'Services deployed here. Default: all of them.', examples: [['web']] }),
    strategy: z
      .enum(STRATEGIES)
      .optional()
      .meta({ description: 'How a new release replaces the old one. Default: rolling.' }),
    maxSurge: count(64)
      .optional()
      .meta({ description: 'rolling: instances allowed above `replicas` during a rollout. Default: 1.' }),
    maxUnavailable: count(64).optional().meta({
      description: 'rolling: healthy instances allowed below `replicas` during a rollout. Default: 0.',
    }),
    progressDeadline: durationSchema.optional().meta({
      description:
        'A rollout whose new instances make no progress (become healthy) for this long fails. Default: 120s.',
      examples: ['2m'],
    }),
    scaleDownDelay: durationSchema.optional().meta({
      description:
        'blue-green: how long the old instances stay warm after the cutover, for an instant rollback. Default: 30s.',
      examples: ['30s'],
    }),
    steps: progressiveEnvironmentShape.steps,
    analysis: progressiveEnvironmentShape.analysis,
    verify: progressiveEnvironmentShape.verify,
    auto: progressiveEnvironmentShape.auto,
    promote_from: progressiveEnvironmentShape.promote_from,
    approval: progressiveEnvironmentShape.approval,
    self_approval: progressiveEnvironmentShape.self_approval,
    protected: progressiveEnvironmentShape.protected,
    freeze: progressiveEnvironmentShape.freeze,
    timezone: progressiveEnvironmentShape.timezone,
    sticky: progressiveEnvironmentShape.sticky,
  })
  .refine((e) => !(e.maxSurge === 0 && e.maxUnavailable === 0), {
    message: '`maxSurge` and `maxUnavailable` cannot both be 0 (the rollout could never progress)',
    path: ['maxSurge'],
  })
  .meta({ description: 'One environment: a runtime, a listening data plane and a rollout strategy.' });

export const servicesSchema = z.record(serviceName, serviceSchema).meta({
  description: 'Long-running services, by name, deployed by `tandem deploy`.',
  examples: [{ web: { run: 'node server.js', health: { path: '/healthz' }, replicas: 2 } }],
});

export const environmentsSchema = z
  .record(
    z.string().regex(SERVICE_NAME_PATTERN, 'a lowercase name of letters, digits and "-"'),
    environmentSchema,
  )
  .meta({
    description: 'Environments, by name: `tandem deploy NAME` rolls a release out to one.',
    examples: [{ production: { listen: 8080, strategy: 'rolling' } }],
  });

export type ServiceConfig = z.output<typeof serviceSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type HealthConfig = z.output<typeof healthSchema>;
