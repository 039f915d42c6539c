/**
 * The `when:` language of alert rules: one comparison, `<metric> <op> <number><unit?>`, e.g.
 * `error_rate > 5%`, `p95 >= 300ms`, `rate(jobs_failed_total{queue="mail"}) > 0.5`.
 * A hand-written scanner rather than a regex so that every error can say where it is, what was
 * expected there and, for a misspelt metric or unit, what was probably meant.
 */
import { didYouMean } from '../../util/did-you-mean.js';
import { ConditionError } from './condition-error.js';
import { EXAMPLES, toBaseUnit, UNITS, unitFamily } from './condition-units.js';
import {
  BUILTIN_METRICS,
  type BuiltinMetric,
  type Comparator,
  type Condition,
  type ConditionMetric,
} from './types.js';

const FUNCTIONS = ['rate', 'value'] as const;
const METRIC_LIST = `a metric: ${BUILTIN_METRICS.join(', ')}, rate(name{label="v"}) or value(name{label="v"})`;
const OP_LIST = 'a comparison: >, >=, <, <=, == or !=';
const OPS: readonly Comparator[] = ['>=', '<=', '==', '!=', '>', '<'];
/** Common slips, with what they meant. */
const OP_TYPOS: ReadonlyArray<[string, Comparator]> = [
  ['=>', '>='],
  ['=<', '<='],
  ['<>', '!='],
  ['=', '=='],
  ['!', '!='],
];

const IDENT = /[A-Za-z_][A-Za-z0-9_:]*/y;
const APP_NAME = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const LABEL_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const UNIT = /[A-Za-z%]+/y;

/** Parses a `when:` expression; throws a ConditionError (TANDEM_ALERT_CONDITION) when invalid. */
export function parseCondition(input: string): Condition {
  return new Parser(input).parse();
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): Condition {
    this.skipSpace();
    const metric = this.metric();
    this.skipSpace();
    const op = this.operator();
    this.skipSpace();
    const threshold = this.threshold(metric);
    this.skipSpace();
    if (this.pos < this.text.length) {
      const rest = this.text.slice(this.pos);
      const joined = /^(and|or|&&|\|\|)\b/i.test(rest) || rest.startsWith('&&') || rest.startsWith('||');
      this.fail(
        `unexpected "${rest}"`,
        joined
          ? 'the end of the condition (one comparison per rule: write two rules)'
          : 'the end of the condition',
      );
    }
    return { text: this.text.trim(), metric, op, threshold };
  }

  private metric(): ConditionMetric {
    const start = this.pos;
    const ident = this.match(IDENT);
    if (ident === undefined) this.fail(this.found(), METRIC_LIST);
    const afterIdent = this.pos;
    this.skipSpace();
    if (this.peek() === '(') {
      if (ident !== 'rate' && ident !== 'value') {
        this.pos = start;
        this.fail(
          `"${ident}" is not a function`,
          'rate(name{...}) for a counter or value(name{...}) for a gauge',
          didYouMean(ident, FUNCTIONS),
        );
      }
      this.pos++;
      return this.appMetric(ident);
    }
    this.pos = afterIdent;
    if ((BUILTIN_METRICS as readonly string[]).includes(ident)) {
      return { kind: 'builtin', name: ident as BuiltinMetric };
    }
    this.pos = start;
    if (ident === 'rate' || ident === 'value') {
      this.fail(`"${ident}" needs a metric in parentheses`, `${ident}(name) or ${ident}(name{label="v"})`);
    }
    const suggestion = didYouMean(ident, BUILTIN_METRICS);
    this.fail(
      `unknown metric "${ident}"`,
      suggestion === undefined
        ? `${METRIC_LIST} (application metrics go inside rate(...) for counters or value(...) for gauges)`
        : METRIC_LIST,
      suggestion,
    );
  }

  private appMetric(fn: 'rate' | 'value'): ConditionMetric {
    this.skipSpace();
    const name = this.match(APP_NAME);
    if (name === undefined) this.fail(this.found(), `the name of an application metric inside ${fn}(...)`);
    this.skipSpace();
    const labels = this.peek() === '{' ? this.labels() : {};
    this.skipSpace();
    if (this.peek() !== ')') this.fail(this.found(), this.peek() === '{' ? '")"' : '"{" or ")"');
    this.pos++;
    return { kind: 'app', fn, name, labels };
  }

  private labels(): Record<string, string> {
    this.pos++; // '{'
    const labels: Record<string, string> = {};
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return labels;
    }
    for (;;) {
      const nameAt = this.pos;
      const name = this.match(LABEL_NAME);
      if (name === undefined) this.fail(this.found(), 'a label name');
      if (Object.hasOwn(labels, name)) {
        this.pos = nameAt;
        this.fail(`label "${name}" is given twice`, 'each label once');
      }
      this.skipSpace();
      const matcher = this.text.slice(this.pos, this.pos + 2);
      if (matcher === '!=' || matcher === '=~' || matcher === '!~') {
        this.fail(`the matcher "${matcher}" is not supported`, `an exact match: ${name}="value"`);
      }
      if (this.peek() !== '=') this.fail(this.found(), `"=" after the label name ${name}`);
      this.pos++;
      this.skipSpace();
      labels[name] = this.quoted();
      this.skipSpace();
      const next = this.peek();
      if (next === ',') {
        this.pos++;
        this.skipSpace();
        if (this.peek() === '}') {
          this.pos++;
          return labels;
        }
        continue;
      }
      if (next === '}') {
        this.pos++;
        return labels;
      }
      this.fail(this.found(), '"," or "}"');
    }
  }

  /** A double-quoted label value with the Prometheus escapes \\, \" and \n. */
  private quoted(): string {
    if (this.peek() !== '"') this.fail(this.found(), 'a label value in double quotes, such as "500"');
    const open = this.pos;
    this.pos++;
    let value = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (c === '"') {
        this.pos++;
        return value;
      }
      if (c === '\\') {
        const escaped = this.text[this.pos + 1];
        if (escaped === '\\' || escaped === '"') value += escaped;
        else if (escaped === 'n') value += '\n';
        else this.fail(`unknown escape "\\${escaped ?? ''}"`, '\\\\, \\" or \\n');
        this.pos += 2;
        continue;
      }
      value += c;
      this.pos++;
    }
    this.pos = open;
    this.fail('this label value is never closed', 'a closing double quote');
  }

  private operator(): Comparator {
    for (const op of OPS) {
      if (this.text.startsWith(op, this.pos)) {
        // `=>`/`=<` start with `=`, not `==`, so they never reach here; `<>` would match `<`.
        if (op === '<' && this.text.startsWith('<>', this.pos)) break;
        this.pos += op.length;
        return op;
      }
    }
    for (const [typo, meant] of OP_TYPOS) {
      if (this.text.startsWith(typo, this.pos)) this.fail(`"${typo}" is not a comparison`, OP_LIST, meant);
    }
    this.fail(this.found(), OP_LIST);
  }

  private threshold(metric: ConditionMetric): number {
    const family = unitFamily(metric);
    const label = metric.kind === 'app' ? `${metric.fn}(${metric.name})` : metric.name;
    const numberAt = this.pos;
    const numberText = this.match(NUMBER);
    if (numberText === undefined) this.fail(this.found(), EXAMPLES[family]);
    // The unit may follow a space ("300 ms"), but "and"/"or" there is a second clause, not a unit.
    const beforeUnit = this.pos;
    this.skipSpace();
    const unitAt = this.pos;
    let unit = this.match(UNIT) ?? '';
    if (unitAt > beforeUnit && /^(and|or)$/i.test(unit)) {
      this.pos = beforeUnit;
      unit = '';
    } else if (unit === '') {
      this.pos = beforeUnit;
    }
    const value = toBaseUnit(family, numberText, unit);
    if (value === undefined) {
      this.pos = unitAt;
      const units = Object.keys(UNITS[family]).filter((u) => u !== '');
      this.fail(
        units.length === 0
          ? `${label} takes no unit, found "${unit}"`
          : `unknown unit "${unit}" for ${label}`,
        units.length === 0 ? EXAMPLES[family] : `one of ${units.join(', ')}: ${EXAMPLES[family]}`,
        didYouMean(unit, units),
      );
    }
    if (metric.kind === 'builtin' && value < 0) {
      this.pos = numberAt;
      this.fail(`${label} cannot be negative`, EXAMPLES[family]);
    }
    if (family === 'ratio' && value > 1) {
      this.pos = numberAt;
      this.fail(
        unit === '%'
          ? `${numberText}% is over 100%`
          : `${label} is a ratio from 0 to 1, so ${numberText} is out of range`,
        unit === '%' ? 'a percentage from 0% to 100%' : EXAMPLES.ratio,
        unit === '%' ? undefined : `${numberText}%`,
      );
    }
    return value;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  /** "found X" for the character (or word) at the current position. */
  private found(): string {
    if (this.pos >= this.text.length)
      return this.text.trim() === '' ? 'the condition is empty' : 'found the end of the condition';
    const word = /^[A-Za-z0-9_.%]+|^\S/.exec(this.text.slice(this.pos))?.[0] ?? '';
    return `found "${word}"`;
  }

  private fail(problem: string, expected: string, suggestion?: string): never {
    throw new ConditionError(this.text, this.pos, problem, expected, suggestion);
  }
}
