// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${{ }} syntax under test, not JS templates
import { describe, expect, it } from 'vitest';
import type { Expression } from './ast.js';
import { type ConditionContext, evaluateCondition } from './evaluate.js';
import { ExpressionError, parseExpression, referencedMatrixKeys, referencedNeeds } from './parse.js';

function ctx(overrides: Partial<ConditionContext> = {}): ConditionContext {
  return {
    branch: 'main',
    env: {},
    matrix: {},
    needs: {},
    status: { success: true, failure: false, cancelled: false },
    ...overrides,
  };
}
const FAILED = { success: false, failure: true, cancelled: false };
const CANCELLED = { success: false, failure: false, cancelled: true };

function errorOf(text: string): ExpressionError {
  try {
    parseExpression(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    return err as ExpressionError;
  }
  throw new Error(`expected "${text}" not to parse`);
}

/** A compact rendering of the tree, to check precedence. */
function show(e: Expression): string {
  switch (e.kind) {
    case 'literal':
      return JSON.stringify(e.value);
    case 'ref':
      return e.root === 'branch' ? 'branch' : `${e.root}.${e.name}`;
    case 'not':
      return `!${show(e.operand)}`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'call':
      return `${e.name}(${e.args.map(show).join(', ')})`;
  }
}

describe('parseExpression', () => {
  it('parses literals, with doubled quotes in strings', () => {
    expect(show(parseExpression("'it''s'"))).toBe('"it\'s"');
    expect(show(parseExpression('42'))).toBe('42');
    expect(show(parseExpression('-1.5'))).toBe('-1.5');
    expect(show(parseExpression('true'))).toBe('true');
    expect(show(parseExpression('false'))).toBe('false');
    expect(show(parseExpression('null'))).toBe('null');
  });

  it('parses references, including dotted and bracketed job names', () => {
    expect(show(parseExpression('branch'))).toBe('branch');
    expect(show(parseExpression('env.CI'))).toBe('env.CI');
    expect(show(parseExpression("env['CI']"))).toBe('env.CI');
    expect(show(parseExpression('matrix.node'))).toBe('matrix.node');
    expect(show(parseExpression('needs.build-app.result'))).toBe('needs.build-app');
    expect(show(parseExpression('needs.web.v2.result'))).toBe('needs.web.v2');
    expect(show(parseExpression('needs.1st.result'))).toBe('needs.1st');
    expect(show(parseExpression("needs['test (node=20)'].result"))).toBe('needs.test (node=20)');
  });

  it('applies precedence: ! over ==/!= over && over ||', () => {
    expect(show(parseExpression("branch == 'a' || branch == 'b' && env.X != 'y'"))).toBe(
      '((branch == "a") || ((branch == "b") && (env.X != "y")))',
    );
    expect(show(parseExpression('!env.A == env.B'))).toBe('(!env.A == env.B)');
    expect(show(parseExpression('!(env.A == env.B)'))).toBe('!(env.A == env.B)');
    expect(show(parseExpression('(env.A || env.B) && env.C'))).toBe('((env.A || env.B) && env.C)');
  });

  it('parses function calls and accepts a ${{ }} wrapper', () => {
    expect(show(parseExpression("contains(branch, 'release/')"))).toBe('contains(branch, "release/")');
    expect(show(parseExpression('${{ always() }}'))).toBe('always()');
  });

  it('names the column and what was expected', () => {
    const err = errorOf("branch == ('a' == )");
    expect(err.message).toBe('unexpected ")" at column 19, expected a value');
    expect(err.column).toBe(19);
    expect(err.code).toBe('TANDEM_EXPRESSION');
    expect(err.exitCode).toBe(2);
    expect(errorOf("branch == 'a')").message).toBe(
      'unexpected ")" at column 14, expected an operator (==, !=, &&, ||) or the end of the expression',
    );
    expect(errorOf('branch &&').message).toBe('unexpected end of expression at column 10, expected a value');
    expect(errorOf('').message).toMatch(/end of expression at column 1, expected a value/);
    expect(errorOf("branch = 'main'").message).toBe('unexpected "=" at column 8, expected "==" or "!="');
    expect(errorOf("branch == 'main").message).toBe('unterminated string starting at column 11');
    expect(errorOf('(branch').message).toMatch(/end of expression at column 8, expected "\)"/);
    expect(errorOf('branch == "main"').message).toMatch(/column 11.*single quotes/);
  });

  it('rejects unknown functions and names with a did-you-mean', () => {
    expect(errorOf('sucess()').message).toMatch(
      /unknown function "sucess" at column 1.*did you mean "success"\?/,
    );
    expect(errorOf("x == 'a'").message).toMatch(/unknown name "x" at column 1, expected branch, env.NAME/);
    expect(errorOf("brnach == 'main'").message).toMatch(/did you mean "branch"\?/);
    expect(errorOf('contains(branch)').message).toMatch(/contains\(\) takes 2 arguments, got 1/);
    expect(errorOf('always(1)').message).toMatch(/always\(\) takes no arguments/);
  });

  it('rejects malformed references', () => {
    expect(errorOf('env').message).toMatch(/column 4, expected "." and a name after "env"/);
    expect(errorOf('env.A.B').message).toMatch(/unexpected ".B" at column 7, expected env.NAME/);
    expect(errorOf('needs.build').message).toMatch(/expected needs.JOB.result/);
    expect(errorOf('needs.build.outputs').message).toMatch(
      /unexpected ".outputs" at column 13, expected needs.JOB.result/,
    );
    expect(errorOf('branch.name').message).toMatch(/"branch" has no property "name"/);
  });

  it('rejects comparing a result with a status that does not exist', () => {
    expect(errorOf("needs.build.result == 'success'").message).toMatch(
      /'success' is not a job result \(column 23\).*did you mean "passed"\?/,
    );
    expect(() => parseExpression("'failed' != needs.build.result")).not.toThrow();
  });

  it('lists the needs and matrix keys referenced', () => {
    const expr =
      "needs.a.result == 'failed' || needs.b.result == 'passed' && needs.a.result != 'skipped' || matrix.os == 'x'";
    expect(referencedNeeds(expr)).toEqual(['a', 'b']);
    expect(referencedNeeds(parseExpression('always()'))).toEqual([]);
    expect(referencedMatrixKeys(expr)).toEqual(['os']);
  });
});

describe('evaluateCondition', () => {
  it('treats an absent if as success()', () => {
    expect(evaluateCondition(undefined, ctx())).toBe(true);
    expect(evaluateCondition(undefined, ctx({ status: FAILED }))).toBe(false);
    expect(evaluateCondition(undefined, ctx({ status: CANCELLED }))).toBe(false);
  });

  it('adds an implicit success() when no status function is called', () => {
    expect(evaluateCondition("branch == 'main'", ctx())).toBe(true);
    expect(evaluateCondition("branch == 'main'", ctx({ status: FAILED }))).toBe(false);
    expect(evaluateCondition("branch == 'main' || true", ctx({ status: FAILED }))).toBe(false);
  });

  it('runs always() and failure() after a failure', () => {
    expect(evaluateCondition('always()', ctx({ status: FAILED }))).toBe(true);
    expect(evaluateCondition('always()', ctx({ status: CANCELLED }))).toBe(true);
    expect(evaluateCondition('failure()', ctx({ status: FAILED }))).toBe(true);
    expect(evaluateCondition('failure()', ctx())).toBe(false);
    expect(evaluateCondition('success()', ctx({ status: FAILED }))).toBe(false);
    expect(evaluateCondition('cancelled()', ctx({ status: CANCELLED }))).toBe(true);
    expect(evaluateCondition("failure() && branch == 'main'", ctx({ status: FAILED }))).toBe(true);
    expect(evaluateCondition('!cancelled()', ctx({ status: FAILED }))).toBe(true);
  });

  it('reads needs.X.result, null when missing', () => {
    const needs = { build: { result: 'failed' as const }, 'test (node=20)': { result: 'passed' as const } };
    expect(
      evaluateCondition("always() && needs.build.result == 'failed'", ctx({ needs, status: FAILED })),
    ).toBe(true);
    expect(evaluateCondition("needs['test (node=20)'].result == 'passed'", ctx({ needs }))).toBe(true);
    expect(evaluateCondition('needs.other.result == null', ctx({ needs }))).toBe(true);
  });

  it('compares strings case-sensitively and coerces numbers and booleans', () => {
    expect(evaluateCondition("branch == 'Main'", ctx())).toBe(false);
    expect(evaluateCondition("branch != 'Main'", ctx())).toBe(true);
    expect(evaluateCondition('matrix.node == 20', ctx({ matrix: { node: 20 } }))).toBe(true);
    expect(evaluateCondition("matrix.node == '20'", ctx({ matrix: { node: 20 } }))).toBe(true);
    expect(evaluateCondition("matrix.node == '20x'", ctx({ matrix: { node: 20 } }))).toBe(false);
    expect(evaluateCondition('env.CI == true', ctx({ env: { CI: 'true' } }))).toBe(true);
    expect(evaluateCondition('matrix.big == true', ctx({ matrix: { big: true } }))).toBe(true);
    expect(evaluateCondition('branch == null', ctx({ branch: null }))).toBe(true);
    expect(evaluateCondition("env.MISSING == ''", ctx())).toBe(false);
  });

  it('returns booleans from && and || using truthiness', () => {
    expect(evaluateCondition('env.A', ctx({ env: { A: '' } }))).toBe(false);
    expect(evaluateCondition('env.A', ctx({ env: { A: 'x' } }))).toBe(true);
    expect(evaluateCondition('env.A || 0', ctx())).toBe(false);
    expect(evaluateCondition("env.A || 'x'", ctx())).toBe(true);
    expect(evaluateCondition('(env.A || 1) == true', ctx())).toBe(true);
    expect(evaluateCondition('matrix.n && null', ctx({ matrix: { n: 1 } }))).toBe(false);
    expect(evaluateCondition('!env.MISSING', ctx())).toBe(true);
  });

  it('evaluates contains, startsWith and endsWith case-sensitively', () => {
    const c = ctx({ branch: 'release/1.2' });
    expect(evaluateCondition("startsWith(branch, 'release/')", c)).toBe(true);
    expect(evaluateCondition("endsWith(branch, '.2')", c)).toBe(true);
    expect(evaluateCondition("contains(branch, 'ease')", c)).toBe(true);
    expect(evaluateCondition("contains(branch, 'EASE')", c)).toBe(false);
    expect(evaluateCondition("contains(env.NOPE, 'x')", c)).toBe(false);
    expect(evaluateCondition("contains(matrix.os, 'linux')", ctx({ matrix: { os: 'ubuntu-linux' } }))).toBe(
      true,
    );
  });

  it('never throws on missing values and throws ExpressionError on bad syntax', () => {
    expect(evaluateCondition("env.NOPE == 'x' || matrix.nope == 1", ctx())).toBe(false);
    expect(() => evaluateCondition('branch ==', ctx())).toThrow(ExpressionError);
  });
});
