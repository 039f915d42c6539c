import { parse } from 'yaml';
import type { Detection, ProposedJob } from './types.js';

export const SCHEMA_MODELINE =
  '# yaml-language-server: $schema=./node_modules/tandem/schema/tandem.schema.json';

export interface TemplateOptions {
  /**
   * 'commented' (default) writes the optional keys (owners, env, retries, matrix, if) as
   * comments; 'active' writes them as keys, which lets tests check the examples are valid.
   */
  examples?: 'commented' | 'active';
}

/** The commented tandem.yaml for a detection. Valid against the config schema by construction. */
export function renderTemplate(detection: Detection, options: TemplateOptions = {}): string {
  const active = options.examples === 'active';
  const example = (indent: string, text: string) => (active ? `${indent}${text}` : `${indent}# ${text}`);
  const showcase = detection.jobs.find((j) => j.kind === 'test') ?? detection.jobs.at(-1);
  const out: string[] = [
    SCHEMA_MODELINE,
    '#',
    `# tandem.yaml: how Tandem builds and checks ${oneLine(detection.project)}.`,
  ];
  if (detection.detected.length > 0) {
    out.push(
      '# Written by `tandem init` from what it found:',
      ...detection.detected.map((e) => `#   - ${oneLine(e.label)}`),
    );
  } else {
    out.push('# Written by `tandem init`, which found no project files it knows: edit the example job.');
  }
  out.push(
    '#',
    '# The pipeline is a graph of jobs ordered by `needs`. A job whose inputs have not changed',
    '# since it last passed is skipped, and its outputs are restored from the cache.',
    '#',
    '#   tandem validate     check this file: schema, job graph, expressions',
    '#   tandem run          run the whole pipeline here, without a server',
    `#   ${`tandem run ${showcase?.name ?? 'JOB'}`.padEnd(19)} run one job and the jobs it needs`,
    '#',
    '# Editors with the YAML language server complete and check this file from the schema above.',
    '',
    `project: ${yamlString(detection.project)}`,
    '',
    '# Who owns the project, for notifications and incidents:',
    example('', 'owners:'),
    example('', '  team: my-team'),
    example('', '  oncall: https://chat.example/my-team'),
    '',
    'pipeline:',
    `  # Environment variables for every job; values may use ${expr('env.NAME')} and ${expr('secrets.NAME')}.`,
    example('  ', 'env:'),
    example('  ', '  CI: "true"'),
    '  jobs:',
  );

  detection.jobs.forEach((job, i) => {
    if (i > 0) out.push('');
    out.push(...renderJob(job));
    if (job === showcase) {
      out.push(
        '      # Optional keys, for when you need them:',
        example('      ', 'retries: 1                # extra attempts when it fails'),
        example(
          '      ',
          `matrix:                   # one copy per value; the command sees ${expr('matrix.shard')}`,
        ),
        example('      ', '  shard: [1, 2]'),
        example('      ', `if: "branch == 'main'"    # run only when the expression holds`),
      );
    }
  });
  return `${out.join('\n')}\n`;
}

function renderJob(job: ProposedJob): string[] {
  const lines = [
    `    # ${job.description}`,
    ...(job.remarks ?? []).map((r) => `    # ${r}`),
    `    ${job.name}:`,
  ];
  if (job.needs?.length) lines.push(`      needs: ${flowList(job.needs)}`);
  lines.push(`      run: ${yamlString(job.run)}`);
  if (job.inputs?.length) lines.push(`      inputs: ${flowList(job.inputs)}`);
  if (job.outputs?.length) {
    const comment = job.outputsComment ? `   # ${job.outputsComment}` : '';
    lines.push(`      outputs: ${flowList(job.outputs)}${comment}`);
  }
  if (job.timeout) lines.push(`      timeout: ${yamlString(job.timeout)}`);
  return lines;
}

/** Text safe inside a comment: a line break would end the comment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** A Tandem expression as written in tandem.yaml: `${{ name }}`. */
function expr(name: string): string {
  return `\${{ ${name} }}`;
}

/** `[a, b]`, each item quoted only when it must be. */
export function flowList(values: readonly string[]): string {
  return `[${values.map((v) => yamlString(v, true)).join(', ')}]`;
}

/**
 * A string as a YAML scalar: plain when it reads back as the same string (in a mapping value,
 * or in a flow sequence when `flow`), else double-quoted (a JSON string is valid YAML).
 */
export function yamlString(value: string, flow = false): string {
  if (value !== '' && value.trim() === value && !/[\r\n\t]/.test(value)) {
    try {
      const parsed: unknown = parse(flow ? `[${value}]` : `k: ${value}`);
      const back = flow
        ? Array.isArray(parsed) && parsed.length === 1
          ? parsed[0]
          : undefined
        : (parsed as { k?: unknown } | null)?.k;
      if (back === value) return value;
    } catch {
      // Not a plain scalar: quote it.
    }
  }
  return JSON.stringify(value);
}
