import { z } from 'zod';
import { durationSchema } from './duration.js';
import { alertsSchema, notifyRoutingShape, observeSchema } from './observe-schema.js';
import { environmentsSchema, servicesSchema } from './services-schema.js';

/**
 * The one schema of tandem.yaml. The JSON Schema (schema/tandem.schema.json) and the
 * reference (docs/configuration.md) are generated from it, so code, schema and docs agree.
 * Every object is strict: an unknown key is an error with a did-you-mean.
 */

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const envMap = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), scalar)
  .meta({
    description: `Environment variables; values may use \${{ env.NAME }} and \${{ secrets.NAME }}.`,
    examples: [{ NODE_ENV: 'production', NPM_TOKEN: `\${{ secrets.NPM_TOKEN }}` }],
  });

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const jobSchema = z
  .strictObject({
    run: z
      .string()
      .min(1)
      .meta({
        description:
          'The shell script to run (bash with `set -eo pipefail`: it fails on the first failing command).',
        examples: ['npm test', 'npm ci\nnpm run build\n'],
      }),
    needs: stringList.optional().meta({
      description: 'Jobs that must finish first. A job with a matrix is needed as a whole.',
      examples: ['build', ['build', 'lint']],
    }),
    if: z
      .string()
      .optional()
      .meta({
        description:
          'When to run: an expression over `branch`, `env.NAME`, `needs.JOB.result` and the functions success(), failure(), always(), cancelled(). Default: success().',
        examples: ["branch == 'main'", 'always()', "failure() && env.CI == 'true'"],
      }),
    env: envMap.optional(),
    working_directory: z
      .string()
      .optional()
      .meta({
        description:
          'Directory the job runs in, relative to the directory of tandem.yaml. It may not escape it.',
        examples: ['services/api'],
      }),
    timeout: durationSchema.optional().meta({
      description: 'Kill the job (its whole process group) when it runs longer than this. Default: 1h.',
      examples: ['10m', '1h30m', 90],
    }),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .meta({
        description: 'Extra attempts after a failure or a timeout (not after a cancellation). Default: 0.',
        examples: [2],
      }),
    matrix: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.array(scalar).min(1))
      .optional()
      .meta({
        description:
          'Run the job once per combination of the values; each copy is named like `test (node=20, os=linux)` and sees ' +
          `\${{ matrix.NAME }}.`,
        examples: [{ node: [18, 20, 22] }],
      }),
    inputs: z
      .array(z.string())
      .optional()
      .meta({
        description:
          'Globs of the files whose content is part of the cache key, relative to the working directory. Default: every file git tracks under the working directory.',
        examples: [['src/**', 'package.json', 'package-lock.json']],
      }),
    outputs: z
      .array(z.string())
      .optional()
      .meta({
        description: 'Globs of the files the job produces; cached and restored on a cache hit.',
        examples: [['dist/**']],
      }),
    cache: z
      .boolean()
      .optional()
      .meta({ description: 'Set to false to always run the job. Default: true.', examples: [false] }),
  })
  .meta({ description: 'One pipeline job.' });

export const pipelineSchema = z
  .strictObject({
    on: z
      .strictObject({
        push: z
          .strictObject({
            branches: z
              .array(z.string().min(1))
              .min(1)
              .meta({
                description: 'Branches whose new commits run the pipeline and flow to `auto` environments.',
                examples: [['main']],
              }),
            poll: durationSchema.optional().meta({
              description: 'How often `tandem up` looks for new commits. Default: 5s.',
              examples: ['5s'],
            }),
            secret: z
              .string()
              .optional()
              .meta({
                description:
                  'Secret of push webhooks (GitHub X-Hub-Signature-256 or GitLab X-Gitlab-Token) sent to `/api/v1/webhooks/github` or `/api/v1/webhooks/gitlab`.',
                examples: [`\${{ secrets.WEBHOOK_SECRET }}`],
              }),
          })
          .optional()
          .meta({ description: 'Push-to-deploy: what `tandem up` watches.' }),
      })
      .optional()
      .meta({
        description: 'What triggers the pipeline while `tandem up` runs.',
        examples: [{ push: { branches: ['main'] } }],
      }),
    env: envMap.optional(),
    jobs: z
      .record(
        z.string().regex(JOB_NAME_PATTERN, 'a job name of letters, digits, ".", "_" and "-"'),
        jobSchema,
      )
      .refine((jobs) => Object.keys(jobs).length > 0, 'at least one job')
      .meta({
        description: 'The jobs, by name. They run as a DAG ordered by `needs`.',
        examples: [{ build: { run: 'npm run build' }, test: { run: 'npm test', needs: 'build' } }],
      }),
  })
  .meta({ description: 'The pipeline: a DAG of jobs run by `tandem run`.' });

export const configSchema = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .meta({
        description: 'Path or URL of the JSON Schema, for editors.',
        examples: ['./node_modules/tandem/schema/tandem.schema.json'],
      }),
    project: z
      .string()
      .min(1)
      .meta({ description: 'The project name.', examples: ['shop'] }),
    owners: z
      .strictObject({
        team: z
          .string()
          .optional()
          .meta({ description: 'The owning team.', examples: ['payments'] }),
        oncall: z
          .string()
          .optional()
          .meta({
            description: 'Where to reach the on-call person (URL or handle).',
            examples: ['@payments-oncall'],
          }),
      })
      .optional()
      .meta({ description: 'Who owns the project.' }),
    pipeline: pipelineSchema,
    notify: z
      .strictObject({
        webhook: z
          .array(
            z.strictObject({
              url: z.string().min(1).meta({ description: 'Receiver URL (POST, JSON body).' }),
              secret: z.string().optional().meta({
                description: 'HMAC-SHA256 key: the body is signed in `X-Tandem-Signature-256: sha256=<hex>`.',
              }),
            }),
          )
          .optional()
          .meta({
            description: 'JSON webhooks told of every rollout event.',
            examples: [[{ url: 'https://hooks.example/tandem', secret: `\${{ secrets.HOOK_SECRET }}` }]],
          }),
        slack: z
          .strictObject({
            url: z.string().min(1).meta({ description: 'A Slack-compatible incoming webhook URL.' }),
          })
          .optional()
          .meta({
            description: 'A Slack-compatible channel.',
            examples: [{ url: `\${{ secrets.SLACK_WEBHOOK }}` }],
          }),
        ...notifyRoutingShape,
      })
      .optional()
      .meta({
        description:
          'Who hears about rollouts (started, step, paused, awaiting approval, promoted, aborted, rolled back). Retried with backoff; a failing receiver never blocks a rollout.',
      }),
    services: servicesSchema.optional(),
    environments: environmentsSchema.optional(),
    server: z
      .strictObject({
        auth: z.boolean().optional().meta({
          description:
            'Require a token (API, CLI) or a dashboard login. Default: true. false trusts every local caller and is refused on a non-loopback --host.',
        }),
      })
      .optional()
      .meta({ description: 'The control plane API and dashboard.' }),
    alerts: alertsSchema.optional(),
    observe: observeSchema.optional(),
  })
  .meta({ title: 'tandem.yaml', description: 'The configuration of a Tandem project.' });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type JobConfig = z.output<typeof jobSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;
