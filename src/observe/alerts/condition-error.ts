import { TandemError } from '../../errors.js';

/**
 * A `when:` expression that does not parse. Carries the 0-based `offset` into the text so the
 * config loader can point at the exact line and column of tandem.yaml; exit code 2 (invalid
 * config).
 */
export class ConditionError extends TandemError {
  readonly offset: number;
  readonly expected: string;
  readonly suggestion: string | undefined;

  constructor(text: string, offset: number, problem: string, expected: string, suggestion?: string) {
    const hint = suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`;
    super(
      'TANDEM_ALERT_CONDITION',
      `alert condition "${text}", column ${offset + 1}: ${problem}; expected ${expected}.${hint}`,
      { exitCode: 2 },
    );
    this.name = 'ConditionError';
    this.offset = offset;
    this.expected = expected;
    this.suggestion = suggestion;
  }
}
