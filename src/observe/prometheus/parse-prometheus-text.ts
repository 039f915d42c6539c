/**
 * Parser of the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Pure and total: it never throws. A malformed line becomes a ParseError carrying its 1-based
 * line number and is skipped; every other line is still parsed, so one bad metric in a scrape
 * does not hide the rest.
 *
 * Limits (DEFAULT_PARSE_LIMITS, overridable): an input over 10 MiB (10 * 1024 * 1024 UTF-16
 * code units) is rejected whole, with a single error on line 0; only the first 100 000 lines
 * are parsed, and one error reports the truncation; at most 100 errors are kept, and a last
 * error counts the dropped ones.
 */
import { parseSampleLine } from './sample-line.js';
import type { MetricFamily, MetricType, ParseError, ParseLimits, ParseResult, Sample } from './types.js';
import { METRIC_NAME_RE, parseSampleValue, unescapeHelp } from './values.js';

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxChars: 10 * 1024 * 1024,
  maxLines: 100_000,
  maxErrors: 100,
};

const METRIC_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

interface FamilyState {
  family: MetricFamily;
  typed: boolean;
}

export function parsePrometheusText(text: string, limits: Partial<ParseLimits> = {}): ParseResult {
  const { maxChars, maxLines, maxErrors } = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const errors: ParseError[] = [];
  let droppedErrors = 0;
  const report = (line: number, message: string): void => {
    if (errors.length < maxErrors) errors.push({ line, message });
    else droppedErrors++;
  };

  if (text.length > maxChars) {
    return {
      families: [],
      errors: [
        {
          line: 0,
          message: `input is ${text.length} characters, over the limit of ${maxChars}; nothing was parsed`,
        },
      ],
    };
  }

  // Families in order of first appearance; each sample name remembers the family it went to,
  // so a TYPE arriving after those samples can be detected.
  const families = new Map<string, FamilyState>();
  const familyOfSampleName = new Map<string, string>();

  const getOrCreate = (name: string): FamilyState => {
    let state = families.get(name);
    if (!state) {
      state = { family: { name, type: 'untyped', samples: [] }, typed: false };
      families.set(name, state);
    }
    return state;
  };

  const lines = text.split('\n');
  // A trailing newline yields one empty last element, which is not a line of its own.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > maxLines) {
    report(
      maxLines + 1,
      `input has ${lines.length} lines, over the limit of ${maxLines}; the rest was not parsed`,
    );
  }
  const lineCount = Math.min(lines.length, maxLines);

  for (let index = 0; index < lineCount; index++) {
    const lineNo = index + 1;
    const line = lines[index]!.replace(/\r$/, '').trim();
    if (line === '') continue;

    if (line.startsWith('#')) {
      const tokens = line
        .slice(1)
        .trimStart()
        .split(/[ \t]+/);
      const keyword = tokens[0];
      if (keyword !== 'HELP' && keyword !== 'TYPE') continue; // a plain comment
      handleDescriptor(keyword, line, lineNo);
      continue;
    }

    const parsed = parseSampleLine(line);
    if (!parsed.ok) {
      report(lineNo, parsed.message);
      continue;
    }
    const problem = addSample(parsed.sample);
    if (problem) report(lineNo, problem);
  }

  if (droppedErrors > 0) {
    errors.push({ line: 0, message: `${droppedErrors} more errors were not reported (limit ${maxErrors})` });
  }
  return { families: [...families.values()].map((s) => s.family), errors };

  function handleDescriptor(keyword: 'HELP' | 'TYPE', line: string, lineNo: number): void {
    // `# KEYWORD name rest`: split off exactly two tokens so the docstring keeps its own spacing.
    const m = /^#[ \t]*(?:HELP|TYPE)(?:[ \t]+(\S+))?(?:[ \t]+(.*))?$/.exec(line);
    const name = m?.[1];
    const rest = m?.[2] ?? '';
    if (name === undefined) {
      report(lineNo, `# ${keyword} line is missing the metric name`);
      return;
    }
    if (!METRIC_NAME_RE.test(name)) {
      report(lineNo, `invalid metric name "${name}" in # ${keyword} (must match [a-zA-Z_:][a-zA-Z0-9_:]*)`);
      return;
    }

    if (keyword === 'HELP') {
      const state = getOrCreate(name);
      if (state.family.help !== undefined) {
        report(lineNo, `duplicate # HELP for ${name}; only one is allowed, the first is kept`);
        return;
      }
      state.family.help = unescapeHelp(rest);
      return;
    }

    const type = rest.trim();
    if (!METRIC_TYPES.has(type)) {
      report(
        lineNo,
        `invalid type "${type}" in # TYPE ${name} (expected counter, gauge, histogram, summary or untyped)`,
      );
      return;
    }
    const existing = families.get(name);
    if (existing?.typed) {
      report(lineNo, `duplicate # TYPE for ${name}; only one is allowed, the first is kept`);
      return;
    }
    const seen = sampleNamesOf(name, type as MetricType).find((n) => familyOfSampleName.has(n));
    if (seen !== undefined) {
      report(
        lineNo,
        `# TYPE ${name} comes after samples of ${seen}; it must come before them and is ignored`,
      );
      return;
    }
    const state = getOrCreate(name);
    state.family.type = type as MetricType;
    state.typed = true;
  }

  function addSample(sample: Sample): string | undefined {
    const familyName = resolveFamily(sample.name);
    const { family } = getOrCreate(familyName);
    const problem = checkSampleShape(family, sample);
    if (problem) return problem;
    family.samples.push(sample);
    familyOfSampleName.set(sample.name, familyName);
    return undefined;
  }

  /** The family a sample belongs to: a histogram or summary claims its suffixed names. */
  function resolveFamily(sampleName: string): string {
    for (const suffix of ['_bucket', '_sum', '_count'] as const) {
      if (!sampleName.endsWith(suffix)) continue;
      const base = sampleName.slice(0, -suffix.length);
      const type = families.get(base)?.family.type;
      if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
    }
    return sampleName;
  }
}

/** Sample names a family of this type may expose. */
function sampleNamesOf(name: string, type: MetricType): string[] {
  if (type === 'histogram') return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

/** Histogram and summary samples must carry the label that places them (le, quantile). */
function checkSampleShape(family: MetricFamily, sample: Sample): string | undefined {
  if (family.type === 'histogram') {
    if (sample.name === family.name) {
      return `histogram ${family.name} has a sample without a suffix; expected ${family.name}_bucket, _sum or _count`;
    }
    if (sample.name.endsWith('_bucket')) {
      const le = sample.labels.le;
      if (le === undefined) return `histogram bucket ${sample.name} is missing the "le" label`;
      if (parseSampleValue(le) === undefined)
        return `histogram bucket ${sample.name} has an invalid le="${le}"`;
    }
  }
  if (family.type === 'summary' && sample.name === family.name) {
    const q = sample.labels.quantile;
    if (q === undefined) return `summary ${family.name} has a sample without the "quantile" label`;
    if (parseSampleValue(q) === undefined) return `summary ${family.name} has an invalid quantile="${q}"`;
  }
  return undefined;
}
