import { TandemError } from '../../errors.js';

/** An `if:` expression that does not parse: exit code 2, reported as a config issue by planning. */
export class ExpressionError extends TandemError {
  /** 1-based column in the expression text. */
  readonly column: number;

  constructor(message: string, column: number) {
    super('TANDEM_EXPRESSION', message, { exitCode: 2 });
    this.name = 'ExpressionError';
    this.column = column;
  }
}
