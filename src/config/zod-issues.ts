import { z } from 'zod';
import { didYouMean } from '../util/did-you-mean.js';
import { DURATION_PATTERN } from './duration.js';
import type { ConfigIssue } from './errors.js';
import type { Position } from './positions.js';

/**
 * Turns zod issues into ConfigIssues a person can act on: what was expected in words, what
 * was found, and where. The words come from introspecting the schema at the issue's path, so
 * they follow the schema without a hand-kept table.
 */

export const DURATION_EXPECTED = 'a duration such as "30s", "10m" or "1h30m"';

type Seg = string | number;

// ---------------------------------------------------------------------------------------------
// Schema introspection (zod v4 internals, read defensively)

interface LooseCheckDef {
  check?: unknown;
  format?: unknown;
  pattern?: unknown;
  value?: unknown;
  inclusive?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  length?: unknown;
  error?: unknown;
}

interface LooseDef {
  type?: unknown;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  shape?: unknown;
  options?: unknown;
  keyType?: unknown;
  valueType?: unknown;
  element?: unknown;
  items?: unknown;
  rest?: unknown;
  getter?: unknown;
  checks?: unknown;
  entries?: unknown;
  values?: unknown;
  catchall?: unknown;
  left?: unknown;
  right?: unknown;
}

function defOf(schema: unknown): LooseDef | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const internals = (schema as { _zod?: unknown })._zod;
  if (internals === null || typeof internals !== 'object') return undefined;
  const def = (internals as { def?: unknown }).def;
  return def !== null && typeof def === 'object' ? (def as LooseDef) : undefined;
}

function typeOf(schema: unknown): string {
  const type = defOf(schema)?.type;
  return typeof type === 'string' ? type : 'unknown';
}

function checksOf(schema: unknown): LooseCheckDef[] {
  const checks = defOf(schema)?.checks;
  if (!Array.isArray(checks)) return [];
  return checks.map((check) => defOf(check) as LooseCheckDef | undefined).filter((c) => c !== undefined);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'catch',
  'nonoptional',
  'success',
]);

/** The concrete schemas behind wrappers, pipes, unions and intersections (input side). */
export function leaves(schema: unknown, depth = 0): unknown[] {
  if (depth > 30) return [];
  const def = defOf(schema);
  if (!def) return [];
  const type = typeOf(schema);
  if (WRAPPERS.has(type)) return leaves(def.innerType, depth + 1);
  if (type === 'pipe') {
    // A transform on the input side (z.preprocess) tells nothing: use the output side then.
    return typeOf(def.in) === 'transform' ? leaves(def.out, depth + 1) : leaves(def.in, depth + 1);
  }
  if (type === 'lazy' && typeof def.getter === 'function') {
    try {
      return leaves((def.getter as () => unknown)(), depth + 1);
    } catch {
      return [];
    }
  }
  if (type === 'union' && Array.isArray(def.options)) return def.options.flatMap((o) => leaves(o, depth + 1));
  if (type === 'intersection') return [...leaves(def.left, depth + 1), ...leaves(def.right, depth + 1)];
  return [schema];
}

function childSchemas(schema: unknown, seg: Seg): unknown[] {
  const out: unknown[] = [];
  for (const leaf of leaves(schema)) {
    const def = defOf(leaf);
    if (!def) continue;
    const type = typeOf(leaf);
    if (type === 'object') {
      const shape = asRecord(def.shape);
      const key = String(seg);
      if (shape && Object.hasOwn(shape, key)) out.push(shape[key]);
      else if (def.catchall && !['never', 'unknown'].includes(typeOf(def.catchall))) out.push(def.catchall);
    } else if (type === 'record' || type === 'map') {
      out.push(def.valueType);
    } else if (type === 'array' || type === 'set') {
      if (typeof seg === 'number' || /^\d+$/.test(seg)) out.push(def.element ?? def.valueType);
    } else if (type === 'tuple' && Array.isArray(def.items)) {
      const index = Number(seg);
      out.push(index < def.items.length ? def.items[index] : def.rest);
    }
  }
  return out.filter((s) => s !== undefined && s !== null);
}

/** The schemas that may validate the value at `path` (several when unions are involved). */
export function schemasAt(root: unknown, path: readonly Seg[]): unknown[] {
  let current: unknown[] = [root];
  for (const seg of path) {
    current = current.flatMap((schema) => childSchemas(schema, seg));
    if (current.length === 0) break;
  }
  return current;
}

/** The keys the object(s) at `path` allow, for did-you-mean. */
export function allowedKeysAt(root: unknown, path: readonly Seg[]): string[] {
  const keys = new Set<string>();
  for (const schema of schemasAt(root, path)) {
    for (const leaf of leaves(schema)) {
      const shape = typeOf(leaf) === 'object' ? asRecord(defOf(leaf)?.shape) : undefined;
      for (const key of Object.keys(shape ?? {})) keys.add(key);
    }
  }
  return [...keys];
}

/** The custom message of a check (`.regex(re, 'a duration…')`), if any. */
function customMessage(check: LooseCheckDef): string | undefined {
  if (typeof check.error !== 'function') return undefined;
  try {
    const result: unknown = (check.error as (issue: unknown) => unknown)({
      code: 'custom',
      input: undefined,
    });
    if (typeof result === 'string') return result;
    const message = asRecord(result)?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function isDurationString(schema: unknown): boolean {
  return (
    typeOf(schema) === 'string' &&
    checksOf(schema).some((c) => c.pattern instanceof RegExp && c.pattern.source === DURATION_PATTERN)
  );
}

function numberWords(schema: unknown): { noun: string; bounds: string } {
  let integer = false;
  let min: { value: number; inclusive: boolean } | undefined;
  let max: { value: number; inclusive: boolean } | undefined;
  for (const check of checksOf(schema)) {
    if (check.check === 'number_format' && typeof check.format === 'string' && /int/.test(check.format))
      integer = true;
    if (check.check === 'greater_than' && typeof check.value === 'number') {
      min = { value: check.value, inclusive: check.inclusive === true };
    }
    if (check.check === 'less_than' && typeof check.value === 'number') {
      max = { value: check.value, inclusive: check.inclusive === true };
    }
  }
  let bounds = '';
  if (min?.inclusive && max?.inclusive) bounds = ` from ${min.value} to ${max.value}`;
  else {
    const parts: string[] = [];
    if (min) parts.push(`${min.inclusive ? '>=' : '>'} ${min.value}`);
    if (max) parts.push(`${max.inclusive ? '<=' : '<'} ${max.value}`);
    if (parts.length) bounds = ` ${parts.join(' and ')}`;
  }
  return { noun: integer ? 'integer' : 'number', bounds };
}

function minLength(schema: unknown): number | undefined {
  for (const check of checksOf(schema)) {
    if (check.check === 'min_length' && typeof check.minimum === 'number') return check.minimum;
  }
  return undefined;
}

function describeLeaf(schema: unknown, depth: number, alone: boolean): string {
  const def = defOf(schema) ?? {};
  switch (typeOf(schema)) {
    case 'string': {
      if (isDurationString(schema)) return DURATION_EXPECTED;
      for (const check of checksOf(schema)) {
        if (check.format === 'regex' && check.pattern instanceof RegExp) {
          return customMessage(check) ?? `a string matching ${String(check.pattern)}`;
        }
      }
      const min = minLength(schema);
      if (min === 1) return 'a non-empty string';
      if (min !== undefined && min > 1) return `a string of at least ${min} characters`;
      return 'a string';
    }
    case 'number':
    case 'int': {
      const { noun, bounds } = numberWords(schema);
      return `${noun === 'integer' ? 'an integer' : 'a number'}${bounds}`;
    }
    case 'bigint':
      return 'an integer';
    case 'boolean':
      return alone ? 'true or false' : 'a boolean';
    case 'null':
      return 'null';
    case 'undefined':
    case 'void':
      return 'nothing';
    case 'any':
    case 'unknown':
      return 'any value';
    case 'literal':
      return Array.isArray(def.values) ? oneOf(def.values) : 'a fixed value';
    case 'enum': {
      const entries = asRecord(def.entries);
      return entries ? oneOf(Object.values(entries)) : 'one of a fixed set of values';
    }
    case 'array': {
      const min = minLength(schema);
      return `${min && min > 0 ? 'a non-empty list' : 'a list'} of ${plural(def.element, depth + 1)}`;
    }
    case 'object':
      return 'a mapping';
    case 'record':
      return `a mapping of names to ${plural(def.valueType, depth + 1)}`;
    default:
      return `a value of type ${typeOf(schema)}`;
  }
}

function oneOf(values: unknown[]): string {
  const words = values.map((v) => JSON.stringify(v) ?? String(v));
  return words.length === 1 ? (words[0] ?? '') : `one of ${words.join(', ')}`;
}

function joinOr(words: string[]): string {
  const unique = [...new Set(words)];
  if (unique.length <= 1) return unique[0] ?? 'a value';
  return `${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}`;
}

function plural(schema: unknown, depth: number): string {
  if (depth > 5) return 'values';
  const words = leaves(schema).map((leaf) => {
    switch (typeOf(leaf)) {
      case 'string':
        return isDurationString(leaf) ? 'durations' : 'strings';
      case 'number':
        return numberWords(leaf).noun === 'integer' ? 'integers' : 'numbers';
      case 'boolean':
        return 'booleans';
      case 'array':
        return 'lists';
      case 'object':
      case 'record':
        return 'mappings';
      default:
        return 'values';
    }
  });
  return words.length ? joinOr(words) : 'values';
}

/** What the schema(s) expect, in words: 'a string', 'an integer from 0 to 10', … */
export function describeSchemas(schemas: unknown[], depth = 0): string | undefined {
  const all = schemas.flatMap((s) => leaves(s));
  if (all.length === 0) return undefined;
  if (all.some(isDurationString)) return DURATION_EXPECTED;
  return joinOr(all.map((leaf) => describeLeaf(leaf, depth, all.length === 1)));
}

// ---------------------------------------------------------------------------------------------
// Values

function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(short);
}

/** What was found, in words: 'a string "x"', 'the number 3', 'an empty value', … */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : `a string ${quote(value)}`;
    case 'number':
    case 'bigint':
      return `the number ${String(value)}`;
    case 'boolean':
      return `the boolean ${String(value)}`;
    case 'object':
      if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
      if (value instanceof Uint8Array) return 'binary data';
      if (value instanceof Date) return 'a date';
      if (value instanceof Set) return 'a set';
      if (value instanceof Map) return value.size === 0 ? 'an empty mapping' : 'a mapping';
      return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The input value at `path`, or undefined when missing. */
export function valueAt(data: unknown, path: readonly Seg[]): unknown {
  let current = data;
  for (const seg of path) {
    if (Array.isArray(current)) {
      const index = typeof seg === 'number' ? seg : Number(seg);
      current = Number.isInteger(index) && index >= 0 && index < current.length ? current[index] : undefined;
    } else if (isPlainObject(current)) {
      const key = String(seg);
      current = Object.hasOwn(current, key) ? current[key] : undefined;
    } else {
      return undefined;
    }
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Issues

interface LooseIssue {
  code: string;
  path: Seg[];
  message: string;
  keys: string[];
  errors: unknown[][];
  issues: unknown[];
}

function readIssue(raw: unknown): LooseIssue {
  const issue = asRecord(raw) ?? {};
  const path = Array.isArray(issue.path)
    ? issue.path.map((seg): Seg => (typeof seg === 'number' ? seg : String(seg)))
    : [];
  return {
    code: typeof issue.code === 'string' ? issue.code : 'custom',
    path,
    message: typeof issue.message === 'string' ? issue.message : 'invalid value',
    keys: Array.isArray(issue.keys) ? issue.keys.map(String) : [],
    errors: Array.isArray(issue.errors) ? issue.errors.filter((e): e is unknown[] => Array.isArray(e)) : [],
    issues: Array.isArray(issue.issues) ? issue.issues : [],
  };
}

/** Zod's own wording ("Invalid input: …") is not worth showing; a custom message is. */
function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized|Expected|Required)\b/.test(message);
}

export interface IssueContext {
  file: string;
  /** The zod schema validated against. */
  schema: unknown;
  /** The input that was validated. */
  data: unknown;
  /** Position of the value at a path (or its nearest existing parent). */
  valueOf(path: readonly Seg[]): Position;
  /** Position of the key holding the value at a path. */
  keyOf(path: readonly Seg[]): Position;
}

const MAX_NESTING = 10;

/** Maps zod issues (validated at `prefix` within the config) to ConfigIssues. */
export function mapZodIssues(
  rawIssues: readonly unknown[],
  ctx: IssueContext,
  prefix: Seg[] = [],
  nesting = 0,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const raw of rawIssues) {
    try {
      out.push(...mapIssue(readIssue(raw), ctx, prefix, nesting));
    } catch {
      // A mapping bug must never hide the issue itself.
      const issue = readIssue(raw);
      const path = [...prefix, ...issue.path];
      out.push({ file: ctx.file, ...ctx.valueOf(path), path, message: issue.message });
    }
  }
  return out;
}

function mapIssue(issue: LooseIssue, ctx: IssueContext, prefix: Seg[], nesting: number): ConfigIssue[] {
  const path = [...prefix, ...issue.path];
  const make = (
    at: Position,
    issuePath: Seg[],
    message: string,
    extra: Partial<ConfigIssue> = {},
  ): ConfigIssue => {
    const result: ConfigIssue = { file: ctx.file, line: at.line, col: at.col, path: issuePath, message };
    if (extra.expected) result.expected = extra.expected;
    if (extra.suggestion) result.suggestion = extra.suggestion;
    return result;
  };
  const expectedHere = (): string | undefined => describeSchemas(schemasAt(ctx.schema, path));
  const value = valueAt(ctx.data, path);
  /** The value is there but of the wrong kind: say what was expected and what was found. */
  const wrongValue = (): ConfigIssue => {
    const expected = expectedHere();
    return make(
      ctx.valueOf(path),
      path,
      `expected ${expected ?? 'a different value'}, got ${describeValue(value)}`,
      {
        expected,
      },
    );
  };

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(ctx.schema, path);
      return issue.keys.map((key) => {
        const keyPath = [...path, key];
        const suggestion = didYouMean(key, allowed);
        const expected = suggestion || allowed.length === 0 ? undefined : `one of ${allowed.join(', ')}`;
        return make(ctx.keyOf(keyPath), keyPath, `unknown key "${key}"`, { suggestion, expected });
      });
    }

    case 'invalid_key': {
      const key = String(path.at(-1) ?? '');
      const parentPath = path.slice(0, -1);
      const inner = issue.issues.map(readIssue).find((i) => !isDefaultMessage(i.message));
      const keySchemas = schemasAt(ctx.schema, parentPath).flatMap((s) =>
        leaves(s)
          .filter((leaf) => typeOf(leaf) === 'record')
          .map((leaf) => defOf(leaf)?.keyType),
      );
      const expected = inner?.message ?? describeSchemas(keySchemas.filter((s) => s !== undefined));
      const results = [make(ctx.keyOf(path), path, `invalid key "${key}"`, { expected })];
      // Zod skips the value of an invalid key: validate it anyway so every problem shows at once.
      if (nesting < MAX_NESTING) {
        const [valueSchema] = schemasAt(ctx.schema, path);
        if (valueSchema !== undefined) {
          const parsed = z.safeParse(valueSchema as z.ZodType, value);
          if (!parsed.success) results.push(...mapZodIssues(parsed.error.issues, ctx, path, nesting + 1));
        }
      }
      return results;
    }

    case 'invalid_union': {
      // When exactly one branch accepted the shape and failed deeper, its issues are the precise ones.
      const deeper = issue.errors.filter((branch) =>
        branch
          .map(readIssue)
          .some((i) => i.path.length > 0 || !['invalid_type', 'invalid_union'].includes(i.code)),
      );
      const [only] = deeper;
      if (deeper.length === 1 && only && nesting < MAX_NESTING)
        return mapZodIssues(only, ctx, path, nesting + 1);
      return [wrongValue()];
    }

    case 'invalid_type': {
      const parent = valueAt(ctx.data, path.slice(0, -1));
      const last = path.at(-1);
      const expected = expectedHere();
      if (
        value === undefined &&
        last !== undefined &&
        isPlainObject(parent) &&
        !Object.hasOwn(parent, String(last))
      ) {
        const parentPath = path.slice(0, -1);
        return [make(ctx.keyOf(parentPath), path, `missing required key "${String(last)}"`, { expected })];
      }
      return [wrongValue()];
    }

    case 'custom': {
      const expected = isDefaultMessage(issue.message) ? expectedHere() : issue.message;
      return [
        make(
          ctx.valueOf(path),
          path,
          `expected ${expected ?? 'a valid value'}, got ${describeValue(value)}`,
          { expected },
        ),
      ];
    }

    default: {
      // too_small, too_big, invalid_format, invalid_value, not_multiple_of, invalid_element…
      const expected = expectedHere() ?? (isDefaultMessage(issue.message) ? undefined : issue.message);
      const message = expected ? `expected ${expected}, got ${describeValue(value)}` : issue.message;
      return [make(ctx.valueOf(path), path, message, { expected })];
    }
  }
}
