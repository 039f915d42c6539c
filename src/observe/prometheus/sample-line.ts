/** Parses one sample line: `name[{label="value",...}] value [timestamp]`. */
import type { Sample } from './types.js';
import { LABEL_NAME_RE, METRIC_NAME_RE, parseSampleValue, parseTimestampMs } from './values.js';

export type SampleLineResult = { ok: true; sample: Sample } | { ok: false; message: string };

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

export function parseSampleLine(line: string): SampleLineResult {
  let i = 0;
  const skipBlanks = (): void => {
    while (isBlank(line[i])) i++;
  };
  const fail = (message: string): SampleLineResult => ({ ok: false, message });

  const nameMatch = /^[^\s{]*/.exec(line);
  const name = nameMatch ? nameMatch[0] : '';
  if (!METRIC_NAME_RE.test(name)) {
    return fail(`invalid metric name "${name}" (must match [a-zA-Z_:][a-zA-Z0-9_:]*)`);
  }
  i = name.length;
  skipBlanks();

  const labels: Record<string, string> = Object.create(null);
  if (line[i] === '{') {
    i++;
    for (;;) {
      skipBlanks();
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^[^\s=,}"]*/.exec(line.slice(i));
      const labelName = labelMatch ? labelMatch[0] : '';
      if (!LABEL_NAME_RE.test(labelName)) {
        return fail(`invalid label name "${labelName}" in ${name} (must match [a-zA-Z_][a-zA-Z0-9_]*)`);
      }
      i += labelName.length;
      skipBlanks();
      if (line[i] !== '=') return fail(`expected "=" after label name "${labelName}" in ${name}`);
      i++;
      skipBlanks();
      if (line[i] !== '"') return fail(`expected '"' to open the value of label "${labelName}" in ${name}`);
      i++;
      let value = '';
      let closed = false;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\') {
          const next = line[i + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else {
            return fail(
              `invalid escape "\\${next ?? ''}" in the value of label "${labelName}" in ${name} (only \\\\, \\" and \\n are allowed)`,
            );
          }
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      if (!closed) return fail(`unterminated value of label "${labelName}" in ${name} (missing closing '"')`);
      if (Object.hasOwn(labels, labelName)) return fail(`duplicate label "${labelName}" in ${name}`);
      labels[labelName] = value;
      skipBlanks();
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      return fail(`expected "," or "}" after the value of label "${labelName}" in ${name}`);
    }
  }

  const rest = line.slice(i).trim();
  const tokens = rest === '' ? [] : rest.split(/[ \t]+/);
  if (tokens.length === 0) return fail(`missing value for ${name}`);
  if (tokens.length > 2)
    return fail(`unexpected text "${tokens.slice(2).join(' ')}" after the timestamp of ${name}`);
  const value = parseSampleValue(tokens[0]!);
  if (value === undefined) {
    return fail(`invalid value "${tokens[0]}" for ${name} (expected a float, NaN, +Inf or -Inf)`);
  }
  const sample: Sample = { name, labels: { ...labels }, value };
  if (tokens.length === 2) {
    const ts = parseTimestampMs(tokens[1]!);
    if (ts === undefined) {
      return fail(
        `invalid timestamp "${tokens[1]}" for ${name} (expected integer milliseconds since the epoch)`,
      );
    }
    sample.timestampMs = ts;
  }
  return { ok: true, sample };
}
