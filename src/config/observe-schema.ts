import { z } from 'zod';
import { durationSchema } from './duration.js';
import { rateSchema } from './progressive-schema.js';

/**
 * The operations half of tandem.yaml (issue 5): what is measured (`metrics`, `observe`), when
 * owners are told (`alerts`, `slo`, `notify.receivers` / `notify.routes`) and how a service
 * scales (`autoscale`). Composed by schema.ts and services-schema.ts.
 */

const positive = z.number().positive();
const SEVERITIES = ['page', 'ticket', 'info'] as const;

export const serviceMetricsSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^\//, 'an HTTP path starting with "/"')
      .meta({
        description: 'Where each instance serves Prometheus text-format metrics.',
        examples: ['/metrics'],
      }),
    interval: durationSchema
      .optional()
      .meta({ description: 'Time between scrapes of each instance. Default: 15s.', examples: ['15s'] }),
    timeout: durationSchema.optional().meta({
      description: 'A scrape slower than this fails (and is reported). Default: 5s.',
      examples: ['5s'],
    }),
  })
  .meta({ description: 'Application metrics scraped from every instance.' });

const targetSchema = z
  .union([
    z.strictObject({
      cpu: rateSchema.meta({
        description: 'Average CPU per instance, as a share of one core ("70%").',
        examples: ['70%'],
      }),
    }),
    z.strictObject({
      rps: positive.meta({ description: 'Requests per second per instance.', examples: [100] }),
    }),
    z.strictObject({
      p95: durationSchema.meta({
        description: "The service's p95 latency (scales out when slower).",
        examples: ['300ms'],
      }),
    }),
    z.strictObject({
      inflight: positive.meta({ description: 'In-flight requests per instance.', examples: [10] }),
    }),
  ])
  .meta({ description: 'The one metric the autoscaler holds at its target: cpu, rps, p95 or inflight.' });

export const autoscaleSchema = z
  .strictObject({
    min: z
      .number()
      .int()
      .min(1)
      .max(64)
      .meta({ description: 'Fewest instances.', examples: [1] }),
    max: z
      .number()
      .int()
      .min(1)
      .max(64)
      .meta({ description: 'Most instances.', examples: [8] }),
    target: targetSchema,
    interval: durationSchema
      .optional()
      .meta({ description: 'Time between evaluations. Default: 15s.', examples: ['15s'] }),
    tolerance: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .meta({ description: 'No change while |metric/target − 1| stays within this. Default: 0.1.' }),
    scaleUp: z
      .strictObject({
        percent: positive
          .optional()
          .meta({ description: 'Add at most this % of the instances per period. Default: 100.' }),
        instances: z
          .number()
          .int()
          .min(1)
          .optional()
          .meta({ description: '…or this many instances, whichever is more. Default: 4.' }),
        period: durationSchema.optional().meta({ description: 'Default: 15s.' }),
        stabilization: durationSchema
          .optional()
          .meta({ description: 'Scale up to the lowest recommendation in this window. Default: 0s.' }),
      })
      .optional()
      .meta({ description: 'How fast it may scale out.' }),
    scaleDown: z
      .strictObject({
        stabilization: durationSchema.optional().meta({
          description: 'Scale in to the highest recommendation in this window. Default: 5m.',
          examples: ['5m'],
        }),
      })
      .optional()
      .meta({ description: 'How cautiously it scales in.' }),
  })
  .refine((a) => a.min <= a.max, { message: '`min` cannot be more than `max`', path: ['min'] })
  .meta({
    description:
      'Scale with load (the Kubernetes HPA algorithm). Takes over from `replicas`; missing data holds the count.',
    examples: [{ min: 1, max: 8, target: { rps: 100 } }],
  });

export const sloSchema = z
  .strictObject({
    availability: rateSchema
      .optional()
      .meta({ description: 'Share of requests answered without a 5xx or a failure.', examples: ['99.9%'] }),
    latency: z
      .strictObject({
        p50: durationSchema.optional(),
        p90: durationSchema.optional(),
        p95: durationSchema.optional(),
        p99: durationSchema.optional(),
      })
      .refine((l) => Object.keys(l).length === 1, 'exactly one of p50, p90, p95, p99')
      .optional()
      .meta({
        description: 'p95: 300ms means 95% of requests are faster than 300ms.',
        examples: [{ p95: '300ms' }],
      }),
    window: durationSchema
      .optional()
      .meta({ description: 'The period the objective is measured over. Default: 30d.', examples: ['30d'] }),
  })
  .refine(
    (s) => s.availability !== undefined || s.latency !== undefined,
    'set `availability`, `latency` or both',
  )
  .meta({
    description:
      'Service level objectives: they generate multiwindow burn-rate alerts (page at 14.4× and 6×, ticket at 3× and 1×) and show the error budget left.',
    examples: [{ availability: '99.9%', latency: { p95: '300ms' } }],
  });

export const serviceOwnersSchema = z
  .strictObject({
    team: z.string().optional().meta({ description: 'The owning team (alerts route on it as `owner`).' }),
    oncall: z.string().optional().meta({ description: 'Where to reach the on-call person.' }),
  })
  .meta({ description: "The service's owners; defaults to the project's `owners`." });

/** Service keys added by issue 5; services-schema.ts spreads them in. */
export const observeServiceShape = {
  metrics: serviceMetricsSchema.optional(),
  autoscale: autoscaleSchema.optional(),
  slo: sloSchema.optional(),
  owners: serviceOwnersSchema.optional(),
};

export const alertRuleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'a lowercase name of letters, digits and "-"')
      .meta({ examples: ['web-errors'] }),
    when: z
      .string()
      .min(1)
      .meta({
        description:
          'The condition: `<metric> <op> <value>` with error_rate, rps, p50/p90/p95/p99, cpu, rss, inflight, healthy, up, rate(name{label="v"}) or value(name).',
        examples: ['error_rate > 5%', 'p95 > 300ms', 'healthy < 1'],
      }),
    service: z.string().optional().meta({ description: 'Only this service. Default: every service.' }),
    environment: z.string().optional().meta({ description: 'Only this environment. Default: every one.' }),
    window: durationSchema
      .optional()
      .meta({ description: 'The window the metric is measured over. Default: 1m.', examples: ['5m'] }),
    for: durationSchema.optional().meta({
      description: 'How long the condition must hold before firing (pending until then). Default: 0s.',
    }),
    keep_firing_for: durationSchema
      .optional()
      .meta({ description: 'Keep firing this long after the condition clears. Default: 0s.' }),
    severity: z
      .enum(SEVERITIES)
      .optional()
      .meta({ description: 'page opens an incident; ticket and info only notify. Default: ticket.' }),
    labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).optional(),
    summary: z.string().optional().meta({ description: 'One line for the notification.' }),
    runbook: z.string().optional().meta({ description: 'URL of the runbook.' }),
    nodata: z.enum(['nodata', 'ok', 'firing']).optional().meta({
      description:
        'What missing data means: a state of its own (`nodata`, notified as such), OK, or firing. Default: nodata.',
    }),
  })
  .meta({ description: 'An alert rule.' });

export const alertsSchema = z.array(alertRuleSchema).meta({
  description: 'Alert rules, evaluated every collection tick.',
  examples: [[{ name: 'web-errors', when: 'error_rate > 5%', window: '1m', for: '30s', severity: 'page' }]],
});

export const observeSchema = z
  .strictObject({
    enabled: z.boolean().optional().meta({
      description:
        'Collect metrics, evaluate alerts and autoscale. Default: true; false turns all three off (the data plane still counts for canary analysis).',
    }),
    interval: durationSchema.optional().meta({
      description: 'Time between metric collections (and alert evaluations). Default: 5s.',
      examples: ['5s'],
    }),
    retention: z
      .strictObject({
        raw: durationSchema.optional().meta({ description: 'Raw samples. Default: 1h.' }),
        minute: durationSchema.optional().meta({ description: '1-minute rollups. Default: 7d.' }),
        hour: durationSchema.optional().meta({ description: '1-hour rollups. Default: 90d.' }),
      })
      .optional(),
    flapping: z
      .strictObject({
        changes: z
          .number()
          .int()
          .min(2)
          .optional()
          .meta({ description: 'State changes that make an alert flapping. Default: 4.' }),
        window: durationSchema.optional().meta({ description: 'Within this window. Default: 10m.' }),
        stable: durationSchema
          .optional()
          .meta({ description: 'Quiet time before a flapping alert notifies again. Default: 5m.' }),
      })
      .optional(),
  })
  .meta({ description: 'The built-in metrics store and alert evaluation.' });

const receiverSchema = z
  .union([
    z.strictObject({
      webhook: z.strictObject({ url: z.string().min(1), secret: z.string().optional() }),
    }),
    z.strictObject({ slack: z.strictObject({ url: z.string().min(1) }) }),
  ])
  .meta({ description: 'A receiver: `webhook: {url, secret}` or `slack: {url}`.' });

export const routeSchema = z
  .strictObject({
    match: z
      .strictObject({
        severity: z.enum(SEVERITIES).optional(),
        service: z.string().optional(),
        environment: z.string().optional(),
        owner: z.string().optional(),
        labels: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    receiver: z.string().min(1),
    group_by: z
      .array(z.string())
      .optional()
      .meta({ description: 'Default: [alertname, environment, service].' }),
    group_wait: durationSchema.optional().meta({ description: 'Default: 30s.' }),
    group_interval: durationSchema.optional().meta({ description: 'Default: 5m.' }),
    repeat_interval: durationSchema.optional().meta({ description: 'Default: 4h.' }),
    continue: z.boolean().optional().meta({ description: 'Keep matching later routes. Default: false.' }),
  })
  .meta({
    description: 'Sends the alerts it matches to a receiver; the first match wins unless `continue`.',
  });

/** Keys added to `notify:` by issue 5. */
export const notifyRoutingShape = {
  receivers: z
    .record(z.string().regex(/^[a-z][a-z0-9-]*$/), receiverSchema)
    .optional()
    .meta({
      description: 'Named alert receivers. `notify.webhook` and `notify.slack` are the receiver `default`.',
    }),
  routes: z
    .array(routeSchema)
    .optional()
    .meta({ description: 'Alert routing; alerts no route matches go to `default`.' }),
};

export type AutoscaleConfig = z.output<typeof autoscaleSchema>;
export type SloConfig = z.output<typeof sloSchema>;
export type AlertRuleConfig = z.output<typeof alertRuleSchema>;
export type ObserveConfig = z.output<typeof observeSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
