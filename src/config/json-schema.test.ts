import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildJsonSchema, SCHEMA_ID } from './json-schema.js';
import { buildReferenceDoc } from './reference-doc.js';

interface Node {
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  minProperties?: number;
  examples?: unknown[];
  required?: string[];
}

describe('buildJsonSchema', () => {
  const schema = buildJsonSchema();
  const pipeline = (schema as Node).properties?.pipeline;
  const jobs = pipeline?.properties?.jobs;
  const job = jobs?.additionalProperties as Node;

  it('is a draft-07 schema with an id and a title', () => {
    expect(schema).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: SCHEMA_ID,
      title: 'tandem.yaml',
      required: ['project', 'pipeline'],
      additionalProperties: false,
    });
  });

  it('describes the input side: durations, at least one job, examples kept', () => {
    expect(jobs?.minProperties).toBe(1);
    expect(job.required).toEqual(['run']);
    expect(job.properties?.timeout?.examples).toEqual(['10m', '1h30m', 90]);
    expect(job.properties?.needs?.examples).toEqual(['build', ['build', 'lint']]);
  });
});

describe('buildReferenceDoc', () => {
  const doc = buildReferenceDoc();

  it('documents every key path with its type and requirement', () => {
    expect(doc).toContain('### `pipeline.jobs.<name>.timeout`');
    expect(doc).toContain('| `pipeline.jobs.<name>.timeout` | `duration` | no, default 1h |');
    expect(doc).toContain('| `pipeline.jobs.<name>.run` | `string` | yes |');
    expect(doc).toContain('| `pipeline.jobs.<name>.retries` | `integer` | no, default 0 |');
  });

  it('explains editors, interpolation and that it is generated', () => {
    expect(doc).toContain('# yaml-language-server: $schema=./node_modules/tandem/schema/tandem.schema.json');
    expect(doc).toContain('| `$' + '{{ secrets.NAME }}` |');
    expect(doc).toContain('npm run gen');
  });

  it('matches the committed files (run `npm run gen` when this fails)', async () => {
    const root = new URL('../../', import.meta.url);
    expect(await readFile(new URL('docs/configuration.md', root), 'utf8')).toBe(doc);
    expect(await readFile(new URL('schema/tandem.schema.json', root), 'utf8')).toBe(
      `${JSON.stringify(buildJsonSchema(), null, 2)}\n`,
    );
  });
});
