import { TandemError } from '../../errors.js';

/**
 * Label matchers, as in Alertmanager silences: `service=web`, `severity!=info`,
 * `alertname=~web-.*`, `instance!~web-[0-9]+`. A missing label has the value '' (so `team=`
 * matches alerts without a team). Regular expressions are JavaScript's, anchored at both ends:
 * `web-.*` matches `web-latency`, not `api-web-latency`.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  label: string;
  value: string;
  op: MatchOp;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Longest operators first, so `=~` is not read as `=` followed by a value starting with `~`.
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/** Parses `label op value`; the value may be double-quoted (`summary="a b"`). Throws a TandemError. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (m === null) {
    throw new TandemError(
      'TANDEM_MATCHER_INVALID',
      `"${text}" is not a matcher; write label=value, label!=value, label=~regex or label!~regex (e.g. service=web)`,
      { exitCode: 2 },
    );
  }
  const matcher: Matcher = { label: m[1]!, op: m[2] as MatchOp, value: unquote(m[3]!) };
  checkMatcher(matcher);
  return matcher;
}

export function parseMatchers(texts: readonly string[]): Matcher[] {
  return texts.map(parseMatcher);
}

/** `service="web"`: quoted, so the output parses back to the same matcher. */
export function formatMatcher(m: Matcher): string {
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}

/** Throws a TandemError naming what is wrong: a bad label name, operator or regular expression. */
export function checkMatcher(m: Matcher): void {
  if (!LABEL_NAME.test(m.label)) {
    throw new TandemError(
      'TANDEM_MATCHER_INVALID',
      `"${m.label}" is not a label name; use letters, digits and _ (not starting with a digit)`,
      { exitCode: 2 },
    );
  }
  if (!['=', '!=', '=~', '!~'].includes(m.op)) {
    throw new TandemError(
      'TANDEM_MATCHER_INVALID',
      `unknown matcher operator "${m.op}"; use =, !=, =~ or !~`,
      {
        exitCode: 2,
      },
    );
  }
  if (m.op === '=~' || m.op === '!~') compile(m);
}

export function matcherMatches(m: Matcher, labels: Record<string, string>): boolean {
  const value = labels[m.label] ?? '';
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return compile(m).test(value);
    case '!~':
      return !compile(m).test(value);
  }
}

/** Every matcher holds (and there is at least one: an empty list matches nothing). */
export function allMatch(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.length > 0 && matchers.every((m) => matcherMatches(m, labels));
}

// Silences are matched against every alert at every tick; compile each pattern once.
const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 1_000;

function compile(m: Matcher): RegExp {
  let re = compiled.get(m.value);
  if (re !== undefined) return re;
  try {
    re = new RegExp(`^(?:${m.value})$`);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    throw new TandemError(
      'TANDEM_MATCHER_INVALID',
      `the regular expression in ${m.label}${m.op}${m.value} is invalid (${why}); matchers use JavaScript regular expressions, anchored at both ends`,
      { exitCode: 2, cause: err },
    );
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(m.value, re);
  return re;
}

function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === 'string') return value;
    } catch {
      // Not valid JSON string syntax: take the text between the quotes as it is.
    }
    return raw.slice(1, -1);
  }
  return raw;
}
