import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * The progressive-delivery parts of an environment (issue 4): canary steps, analysis gates,
 * approvals, freezes, promotion between environments. Composed by services-schema.ts.
 */

/** A fraction written as a percentage ("1%", "0.5%") or a number from 0 to 1. */
export const rateSchema = z
  .union([
    z.string().regex(/^\d+(\.\d+)?%$/, 'a percentage such as "1%" or "0.5%"'),
    z.number().min(0).max(1),
  ])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100))
  .refine((v) => v <= 1, 'at most 100%')
  .meta({ description: 'A rate: a percentage such as "1%", or a fraction from 0 to 1.' });

const latencyGate = z
  .strictObject({
    max: durationSchema
      .optional()
      .meta({ description: 'Fail when the canary is slower than this.', examples: ['300ms'] }),
    maxRatio: z
      .number()
      .positive()
      .optional()
      .meta({
        description:
          'Fail when the canary is more than this many times slower than stable (stable counts as at least 10ms: below that a ratio measures noise).',
        examples: [1.5],
      }),
  })
  .meta({
    description: 'Latency gates: absolute, and relative to the stable revision over the same window.',
  });

export const analysisSchema = z
  .strictObject({
    interval: durationSchema.optional().meta({
      description: 'Window of each measurement (and time between them). Default: 10s; at least 1s.',
      examples: ['2s'],
    }),
    minRequests: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({
        description: 'Canary requests a window needs for a verdict; fewer is inconclusive. Default: 50.',
        examples: [20],
      }),
    failureLimit: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Failed measurements that abort the rollout. Default: 1.', examples: [2] }),
    inconclusiveLimit: z.number().int().min(1).optional().meta({
      description: 'Inconclusive measurements in a row that pause the rollout for a human. Default: 3.',
    }),
    errorRate: z
      .strictObject({
        max: rateSchema
          .optional()
          .meta({ description: 'Fail above this error rate (5xx and failed connections).' }),
        maxIncrease: rateSchema
          .optional()
          .meta({ description: "Fail when the canary's error rate exceeds stable's by more than this." }),
      })
      .optional()
      .meta({ description: 'Error-rate gates.', examples: [{ max: '1%' }] }),
    p50: latencyGate.optional(),
    p95: latencyGate.optional(),
    p99: latencyGate.optional(),
  })
  .refine((a) => a.interval === undefined || a.interval >= 1000, {
    message: 'interval must be at least 1s',
    path: ['interval'],
  })
  .meta({
    description:
      "Built-in analysis of the canary against stable, from the data plane's own counts (no setup).",
    examples: [
      { interval: '10s', minRequests: 50, errorRate: { max: '1%' }, p95: { max: '300ms', maxRatio: 1.5 } },
    ],
  });

export const canaryStepSchema = z
  .strictObject({
    weight: z
      .number()
      .int()
      .min(1)
      .max(100)
      .meta({ description: 'Percentage of requests sent to the canary.' }),
    pause: durationSchema
      .nullable()
      .optional()
      .meta({
        description:
          'How long to stay at this weight (analysis runs meanwhile). Written without a value (`pause:`): wait for `tandem promote`.',
        examples: ['30s', null],
      }),
  })
  .meta({ description: 'One canary step.' });

export const ROLES = ['viewer', 'developer', 'operator', 'admin'] as const;

/** Keys of an environment added by progressive delivery. */
export const progressiveEnvironmentShape = {
  steps: z
    .array(canaryStepSchema)
    .min(1)
    .optional()
    .meta({
      description:
        'canary: the weights to go through, in increasing order; after the last, the new release takes all traffic.',
      examples: [[{ weight: 10, pause: '30s' }, { weight: 50, pause: '1m' }, { weight: 100 }]],
    }),
  analysis: analysisSchema.optional(),
  verify: durationSchema.optional().meta({
    description:
      'rolling and blue-green: keep analysing the new release this long after the cutover, and roll back on a failure.',
    examples: ['2m'],
  }),
  promote_from: z
    .string()
    .optional()
    .meta({ description: 'The environment whose promoted releases flow here.', examples: ['staging'] }),
  auto: z.boolean().optional().meta({
    description:
      'Deploy every green pipeline run of the tracked branch (or every release promoted from `promote_from`).',
  }),
  approval: z
    .array(z.enum(ROLES))
    .optional()
    .meta({
      description: 'Roles one of whom must `tandem approve` a rollout before it starts.',
      examples: [['operator']],
    }),
  self_approval: z.boolean().optional().meta({
    description:
      'false: whoever asked for a deployment may not approve it; someone else with an `approval` role must. Default: true.',
  }),
  protected: z
    .boolean()
    .optional()
    .meta({ description: 'Only operators may deploy, roll back or scale here.' }),
  freeze: z
    .array(z.string())
    .optional()
    .meta({
      description:
        'Windows in which automatic deploys are blocked; `--override-freeze --reason` records an exception.',
      examples: [['Fri 16:00-Mon 08:00 Europe/Paris', '2026-12-24..2026-12-26']],
    }),
  sticky: z.boolean().optional().meta({
    description:
      'While traffic is split between releases (canary, rolling), keep each user on the release they first got, by a `tandem-revision` cookie. Default: false.',
  }),
  timezone: z
    .string()
    .optional()
    .meta({
      description: 'Time zone of freeze windows written without one. Default: UTC.',
      examples: ['Europe/Paris'],
    }),
};
