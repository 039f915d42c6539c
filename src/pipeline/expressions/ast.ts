/** The syntax tree of an `if:` expression. Every node keeps its 1-based column. */
export type Expression = Literal | Reference | Not | Binary | Call;

export type LiteralValue = string | number | boolean | null;

export interface Literal {
  kind: 'literal';
  value: LiteralValue;
  col: number;
}

/** `branch`, `env.NAME`, `matrix.NAME` or `needs.JOB.result` (name is NAME or JOB). */
export type Reference =
  | { kind: 'ref'; root: 'branch'; col: number }
  | { kind: 'ref'; root: 'env' | 'matrix' | 'needs'; name: string; col: number };

export interface Not {
  kind: 'not';
  operand: Expression;
  col: number;
}

export type BinaryOperator = '==' | '!=' | '&&' | '||';

export interface Binary {
  kind: 'binary';
  op: BinaryOperator;
  left: Expression;
  right: Expression;
  col: number;
}

export const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const;
export const STRING_FUNCTIONS = ['contains', 'startsWith', 'endsWith'] as const;
export type StatusFunction = (typeof STATUS_FUNCTIONS)[number];
export type StringFunction = (typeof STRING_FUNCTIONS)[number];
export type FunctionName = StatusFunction | StringFunction;

export interface Call {
  kind: 'call';
  name: FunctionName;
  args: Expression[];
  col: number;
}

export const ROOTS = ['branch', 'env', 'matrix', 'needs'] as const;

/** Calls every node of the tree, parents before children. */
export function walk(expr: Expression, visit: (node: Expression) => void): void {
  visit(expr);
  switch (expr.kind) {
    case 'not':
      walk(expr.operand, visit);
      break;
    case 'binary':
      walk(expr.left, visit);
      walk(expr.right, visit);
      break;
    case 'call':
      for (const arg of expr.args) walk(arg, visit);
      break;
    default:
      break;
  }
}
