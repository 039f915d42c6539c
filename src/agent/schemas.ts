/**
 * zod schemas of the admin API's request bodies (protocol.ts). Strict: an unknown key is refused,
 * so a typo in the control plane fails loudly instead of being silently ignored by the agent.
 */
import { constants } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { InstanceSpec } from '../runtime/local/types.js';
import type { ListenerSpec, StopInstanceBody } from './protocol.js';

/** Instance ids and listener key parts: [a-z0-9-], as protocol.ts and types.ts promise. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/** `<environment>.<service>` */
export const LISTENER_KEY_PATTERN = /^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/;

const name = z.string().regex(NAME_PATTERN, 'expected lowercase letters, digits and -');
const nonEmpty = z.string().min(1);
const ms = z.number().int().min(0);
const positiveMs = z.number().int().min(1);
const port = z.number().int().min(0).max(65_535);
const threshold = z.number().int().min(1);

const signal = z.custom<NodeJS.Signals>(
  (v) => typeof v === 'string' && v.startsWith('SIG') && Object.hasOwn(constants.signals, v),
  'expected a signal name such as "SIGTERM"',
);

const healthCommon = {
  intervalMs: positiveMs,
  timeoutMs: positiveMs,
  healthyThreshold: threshold,
  unhealthyThreshold: threshold,
};

const healthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('http'), path: z.string().startsWith('/'), ...healthCommon }),
  z.strictObject({ kind: z.literal('tcp'), ...healthCommon }),
]);

export const instanceSpecSchema = z.strictObject({
  id: name,
  environment: name,
  service: name,
  revision: nonEmpty,
  command: nonEmpty,
  cwd: z.string().refine((p) => path.isAbsolute(p), 'expected an absolute path'),
  env: z.record(z.string(), z.string()),
  port,
  health: healthSchema,
  stop: z.strictObject({ signal, graceMs: ms }),
});

export const stopInstanceSchema = z.strictObject({ drainMs: ms });

export const listenerSpecSchema = z
  .strictObject({
    key: z.string().regex(LISTENER_KEY_PATTERN, 'expected "<environment>.<service>"'),
    port,
    host: nonEmpty,
    traffic: z.array(
      z.strictObject({
        revision: nonEmpty,
        weight: z.number().int().min(0),
        instances: z.array(name),
      }),
    ),
    sticky: z.boolean().optional(),
  })
  .superRefine((spec, ctx) => {
    // The data plane refuses these too, but only after the listener would have changed.
    const revisions = new Set<string>();
    const instances = new Set<string>();
    spec.traffic.forEach((group, i) => {
      if (revisions.has(group.revision)) {
        ctx.addIssue({
          code: 'custom',
          path: ['traffic', i, 'revision'],
          message: `revision "${group.revision}" appears twice`,
        });
      }
      revisions.add(group.revision);
      group.instances.forEach((id, j) => {
        if (instances.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['traffic', i, 'instances', j],
            message: `instance "${id}" appears twice`,
          });
        }
        instances.add(id);
      });
    });
  });

// Compile-time checks that the schemas produce exactly the protocol's types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const checks: [
  Same<z.infer<typeof instanceSpecSchema>, InstanceSpec>,
  Same<z.infer<typeof listenerSpecSchema>, ListenerSpec>,
  Same<z.infer<typeof stopInstanceSchema>, StopInstanceBody>,
] = [true, true, true];
void checks;
