import { z } from 'zod';
import { configSchema, pipelineSchema } from './schema.js';

/** The `$id` of the generated schema (a URN: the schema ships in the npm package, not on a site). */
export const SCHEMA_ID = 'urn:tandem:schema:tandem.yaml';

/** Where editors find the schema once tandem is installed in a project. */
export const SCHEMA_PATH_IN_PACKAGE = './node_modules/tandem/schema/tandem.schema.json';

/**
 * The JSON Schema of tandem.yaml (draft-07: the widest editor support), generated from
 * configSchema so it cannot drift. The input side: durations may be strings or numbers, etc.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const jobs = pipelineSchema.shape.jobs;
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-07',
    override: (ctx) => {
      // `.refine(at least one job)` has no JSON Schema form of its own.
      if (ctx.zodSchema === jobs) ctx.jsonSchema.minProperties = 1;
      // Zod drops examples of schemas with a transform in input mode; ours are written as input.
      const examples: unknown = z.globalRegistry.get(ctx.zodSchema)?.examples;
      if (Array.isArray(examples) && ctx.jsonSchema.examples === undefined)
        ctx.jsonSchema.examples = examples;
    },
  }) as Record<string, unknown>;
  const { $schema, title, description, ...rest } = generated;
  return { $schema, $id: SCHEMA_ID, title, description, ...rest };
}
