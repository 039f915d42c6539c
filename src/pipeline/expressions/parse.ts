import { didYouMean } from '../../util/did-you-mean.js';
import type { JobStatus } from '../types.js';
import {
  type BinaryOperator,
  type Expression,
  type FunctionName,
  ROOTS,
  STATUS_FUNCTIONS,
  STRING_FUNCTIONS,
  walk,
} from './ast.js';
import { ExpressionError } from './errors.js';
import { type Token, type TokenKind, tokenize } from './tokenize.js';

export { ExpressionError } from './errors.js';

const FUNCTIONS: ReadonlyMap<string, number> = new Map<string, number>([
  ...STATUS_FUNCTIONS.map((name) => [name, 0] as const),
  ...STRING_FUNCTIONS.map((name) => [name, 2] as const),
]);
const JOB_RESULTS: readonly JobStatus[] = ['passed', 'failed', 'cached', 'skipped', 'cancelled'];
/** GitHub Actions spellings of a job result, for a precise did-you-mean. */
const GHA_RESULTS: Readonly<Record<string, JobStatus>> = { success: 'passed', failure: 'failed' };
const REFERENCE_FORMS = 'branch, env.NAME, matrix.NAME or needs.JOB.result';

/**
 * Parses the language of a job's `if:`. Literals ('text' with '' for a quote, numbers, true,
 * false, null), references (branch, env.NAME, matrix.NAME, needs.JOB.result), the operators
 * ! == != && || (in that precedence) with parentheses, and the functions success(), failure(),
 * always(), cancelled(), contains(a, b), startsWith(a, b), endsWith(a, b). A `${{ … }}` around the
 * whole expression is allowed, as in GitHub Actions. Throws ExpressionError naming the column.
 */
export function parseExpression(text: string): Expression {
  return new Parser(tokenize(unwrap(text))).parseAll();
}

/** Job names (full or base) referenced as needs.JOB.result, in order of appearance, without duplicates. */
export function referencedNeeds(expr: string | Expression): string[] {
  return referenced(expr, 'needs');
}

/** Matrix keys referenced as matrix.NAME, in order of appearance, without duplicates. */
export function referencedMatrixKeys(expr: string | Expression): string[] {
  return referenced(expr, 'matrix');
}

/** True when the expression calls success(), failure(), always() or cancelled() anywhere. */
export function callsStatusFunction(expr: Expression): boolean {
  let found = false;
  walk(expr, (node) => {
    if (node.kind === 'call' && (STATUS_FUNCTIONS as readonly string[]).includes(node.name)) found = true;
  });
  return found;
}

function referenced(expr: string | Expression, root: 'needs' | 'matrix'): string[] {
  const tree = typeof expr === 'string' ? parseExpression(expr) : expr;
  const names = new Set<string>();
  walk(tree, (node) => {
    if (node.kind === 'ref' && node.root === root) names.add(node.name);
  });
  return [...names];
}

/** `${{ expr }}` → `    expr  `: same length, so columns still point into the original text. */
function unwrap(text: string): string {
  const m = /^(\s*)\$\{\{([\s\S]*)\}\}(\s*)$/.exec(text);
  if (!m) return text;
  return `${m[1]}   ${m[2]}  ${m[3]}`;
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parseAll(): Expression {
    const expr = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'eof')
      throw this.unexpected(next, 'an operator (==, !=, &&, ||) or the end of the expression');
    return expr;
  }

  private parseOr(): Expression {
    let left = this.parseAnd();
    while (this.peek().kind === '||') {
      const op = this.next();
      left = { kind: 'binary', op: '||', left, right: this.parseAnd(), col: op.col };
    }
    return left;
  }

  private parseAnd(): Expression {
    let left = this.parseEquality();
    while (this.peek().kind === '&&') {
      const op = this.next();
      left = { kind: 'binary', op: '&&', left, right: this.parseEquality(), col: op.col };
    }
    return left;
  }

  private parseEquality(): Expression {
    let left = this.parseUnary();
    for (;;) {
      const kind = this.peek().kind;
      if (kind !== '==' && kind !== '!=') return left;
      const op = this.next();
      const right = this.parseUnary();
      checkResultComparison(left, right);
      checkResultComparison(right, left);
      left = { kind: 'binary', op: kind as BinaryOperator, left, right, col: op.col };
    }
  }

  private parseUnary(): Expression {
    const token = this.peek();
    if (token.kind === '!') {
      this.next();
      return { kind: 'not', operand: this.parseUnary(), col: token.col };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expression {
    const token = this.next();
    switch (token.kind) {
      case 'string':
      case 'number':
        return { kind: 'literal', value: token.value as string | number, col: token.col };
      case '(': {
        const inner = this.parseOr();
        this.expect(')', '")"');
        return inner;
      }
      case 'ident':
        return this.parseIdentifier(token);
      default:
        throw this.unexpected(token, 'a value');
    }
  }

  private parseIdentifier(token: Token): Expression {
    const name = token.text;
    if (this.peek().kind === '(') return this.parseCall(token);
    if (name === 'true' || name === 'false')
      return { kind: 'literal', value: name === 'true', col: token.col };
    if (name === 'null') return { kind: 'literal', value: null, col: token.col };
    if (!(ROOTS as readonly string[]).includes(name)) {
      const suggestion = didYouMean(name, [...ROOTS, 'true', 'false', 'null']);
      throw new ExpressionError(
        `unknown name "${name}" at column ${token.col}, expected ${REFERENCE_FORMS}${hint(suggestion)}`,
        token.col,
      );
    }
    const segments = this.parseProperties();
    if (name === 'branch') {
      const first = segments[0];
      if (first)
        throw new ExpressionError(
          `"branch" has no property "${first.name}" (column ${first.col})`,
          first.col,
        );
      return { kind: 'ref', root: 'branch', col: token.col };
    }
    if (name === 'needs') {
      const last = segments.at(-1);
      if (segments.length < 2 || last?.name !== 'result') {
        const col = last && segments.length >= 2 ? last.col : this.peek().col;
        const found = last && segments.length >= 2 ? `".${last.name}"` : describe(this.peek());
        throw new ExpressionError(`unexpected ${found} at column ${col}, expected needs.JOB.result`, col);
      }
      const job = segments
        .slice(0, -1)
        .map((s) => s.name)
        .join('.');
      return { kind: 'ref', root: 'needs', name: job, col: token.col };
    }
    const root = name as 'env' | 'matrix';
    const [first, second] = segments;
    if (!first) {
      const next = this.peek();
      throw this.unexpected(next, `"." and a name after "${root}" (${root}.NAME)`);
    }
    if (second)
      throw new ExpressionError(
        `unexpected ".${second.name}" at column ${second.col}, expected ${root}.NAME`,
        second.col,
      );
    return { kind: 'ref', root, name: first.name, col: token.col };
  }

  /** `.name` and `['name']` after a root identifier. */
  private parseProperties(): Array<{ name: string; col: number }> {
    const segments: Array<{ name: string; col: number }> = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === '.') {
        this.next();
        const prop = this.next();
        if (prop.kind !== 'ident') throw this.unexpected(prop, 'a property name');
        segments.push({ name: prop.text, col: prop.col });
      } else if (token.kind === '[') {
        this.next();
        const prop = this.next();
        if (prop.kind !== 'string') throw this.unexpected(prop, "a quoted name such as 'NAME'");
        this.expect(']', '"]"');
        segments.push({ name: prop.value as string, col: prop.col });
      } else {
        return segments;
      }
    }
  }

  private parseCall(token: Token): Expression {
    const name = token.text;
    const arity = FUNCTIONS.get(name);
    if (arity === undefined) {
      const suggestion = didYouMean(name, FUNCTIONS.keys());
      throw new ExpressionError(
        `unknown function "${name}" at column ${token.col}, expected one of ${[...FUNCTIONS.keys()].join(', ')}${hint(suggestion)}`,
        token.col,
      );
    }
    this.expect('(', '"("');
    const args: Expression[] = [];
    if (this.peek().kind !== ')') {
      args.push(this.parseOr());
      while (this.peek().kind === ',') {
        this.next();
        args.push(this.parseOr());
      }
    }
    const close = this.peek();
    if (close.kind !== ')') throw this.unexpected(close, args.length > 0 ? '"," or ")"' : 'a value or ")"');
    this.next();
    if (args.length !== arity) {
      throw new ExpressionError(
        `${name}() takes ${arity === 0 ? 'no arguments' : `${arity} arguments`}, got ${args.length} (column ${token.col})`,
        token.col,
      );
    }
    return { kind: 'call', name: name as FunctionName, args, col: token.col };
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.tokens[this.pos] as Token;
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.next();
    if (token.kind !== kind) throw this.unexpected(token, what);
    return token;
  }

  private unexpected(token: Token, expected: string): ExpressionError {
    return new ExpressionError(
      `unexpected ${describe(token)} at column ${token.col}, expected ${expected}`,
      token.col,
    );
  }
}

/** `needs.X.result == 'success'` can never be true: results are passed, failed, cached, skipped, cancelled. */
function checkResultComparison(ref: Expression, other: Expression): void {
  if (ref.kind !== 'ref' || ref.root !== 'needs') return;
  if (other.kind !== 'literal' || typeof other.value !== 'string') return;
  if ((JOB_RESULTS as readonly string[]).includes(other.value)) return;
  const suggestion = GHA_RESULTS[other.value.toLowerCase()] ?? didYouMean(other.value, JOB_RESULTS);
  throw new ExpressionError(
    `'${other.value}' is not a job result (column ${other.col}), expected one of ${JOB_RESULTS.map((r) => `'${r}'`).join(', ')}${hint(suggestion)}`,
    other.col,
  );
}

function describe(token: Token): string {
  return token.kind === 'eof' ? 'end of expression' : `"${token.text}"`;
}

function hint(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
}
