import type { JobStatus, MatrixValue } from '../types.js';
import type { Expression, LiteralValue } from './ast.js';
import { callsStatusFunction, parseExpression } from './parse.js';

/** Everything an `if:` can see. The scheduler computes `status` from the job's needed ancestors. */
export interface ConditionContext {
  branch: string | null;
  env: Record<string, string | undefined>;
  matrix: Record<string, MatrixValue>;
  /** By full job name and by base name. */
  needs: Record<string, { result: JobStatus }>;
  status: {
    /** Every needed ancestor passed or was cached. */
    success: boolean;
    /** Some needed ancestor failed. */
    failure: boolean;
    /** The run was cancelled. */
    cancelled: boolean;
  };
}

export type Value = LiteralValue;

const parsed = new Map<string, { expr: Expression; implicitSuccess: boolean }>();
const MAX_CACHED = 1000;

/**
 * Whether a job runs. Undefined means success(); an expression that calls none of success(),
 * failure(), always() or cancelled() means `success() && (expr)`, as in GitHub Actions.
 * Throws ExpressionError only when the text does not parse (planning rejects that earlier).
 */
export function evaluateCondition(expr: string | undefined, ctx: ConditionContext): boolean {
  const successNow = ctx.status.success && !ctx.status.cancelled;
  if (expr === undefined) return successNow;
  let entry = parsed.get(expr);
  if (entry === undefined) {
    const tree = parseExpression(expr);
    entry = { expr: tree, implicitSuccess: !callsStatusFunction(tree) };
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(expr, entry);
  }
  if (entry.implicitSuccess && !successNow) return false;
  return truthy(evaluate(entry.expr, ctx));
}

/** The value of an expression; missing env, matrix and needs values are null. */
export function evaluate(expr: Expression, ctx: ConditionContext): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'ref':
      switch (expr.root) {
        case 'branch':
          return ctx.branch;
        case 'env':
          return own(ctx.env, expr.name) ?? null;
        case 'matrix':
          return own(ctx.matrix, expr.name) ?? null;
        case 'needs':
          return own(ctx.needs, expr.name)?.result ?? null;
      }
      break;
    case 'not':
      return !truthy(evaluate(expr.operand, ctx));
    case 'binary':
      switch (expr.op) {
        case '&&':
          return truthy(evaluate(expr.left, ctx)) && truthy(evaluate(expr.right, ctx));
        case '||':
          return truthy(evaluate(expr.left, ctx)) || truthy(evaluate(expr.right, ctx));
        case '==':
          return looselyEqual(evaluate(expr.left, ctx), evaluate(expr.right, ctx));
        case '!=':
          return !looselyEqual(evaluate(expr.left, ctx), evaluate(expr.right, ctx));
      }
      break;
    case 'call': {
      switch (expr.name) {
        case 'success':
          return ctx.status.success && !ctx.status.cancelled;
        case 'failure':
          return ctx.status.failure;
        case 'cancelled':
          return ctx.status.cancelled;
        case 'always':
          return true;
      }
      const [a, b] = expr.args.map((arg) => asString(evaluate(arg, ctx)));
      switch (expr.name) {
        case 'contains':
          return (a as string).includes(b as string);
        case 'startsWith':
          return (a as string).startsWith(b as string);
        case 'endsWith':
          return (a as string).endsWith(b as string);
      }
    }
  }
  return null;
}

/** '', 0, NaN, null and false are falsy; everything else is truthy. */
export function truthy(value: Value): boolean {
  return !(value === null || value === false || value === '' || value === 0 || Number.isNaN(value));
}

/**
 * Equality: values of the same type compare exactly (strings case-sensitively); a number and a
 * string compare as numbers (`matrix.node == '20'`), a boolean and a string as text
 * (`env.CI == true`), a boolean and a number as numbers; null equals only null.
 */
export function looselyEqual(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === typeof b) return a === b;
  if (typeof a === 'boolean' && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && typeof b === 'boolean') return a === String(b);
  return toNumber(a) === toNumber(b);
}

function toNumber(value: string | number | boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value.trim() === '' ? Number.NaN : Number(value);
}

function asString(value: Value): string {
  return value === null ? '' : String(value);
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
