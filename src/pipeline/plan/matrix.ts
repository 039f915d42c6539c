import type { MatrixValue } from '../types.js';

/** At most this many copies per job: a larger matrix is almost certainly a mistake. */
export const MAX_MATRIX_COPIES = 256;

export interface MatrixCopy {
  /** `test` without a matrix, `test (node=20, os=linux)` with one. */
  name: string;
  matrix: Record<string, MatrixValue>;
}

/** Number of combinations of a matrix (1 without one). */
export function matrixSize(matrix: Readonly<Record<string, readonly MatrixValue[]>> | undefined): number {
  if (matrix === undefined) return 1;
  return Object.values(matrix).reduce((n, values) => n * values.length, 1);
}

/**
 * The copies of a job: the cartesian product of the matrix values, keys in the order written and
 * the last key varying fastest. A job without a matrix (or with an empty one) has one copy, its own name.
 */
export function expandMatrix(
  baseName: string,
  matrix: Readonly<Record<string, readonly MatrixValue[]>> | undefined,
): MatrixCopy[] {
  const keys = Object.keys(matrix ?? {});
  if (matrix === undefined || keys.length === 0) return [{ name: baseName, matrix: {} }];
  let combos: Array<Record<string, MatrixValue>> = [{}];
  for (const key of keys) {
    const values = matrix[key] ?? [];
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos.map((combo) => ({ name: copyName(baseName, combo), matrix: combo }));
}

/** `test (node=20, os=linux)`: values as written. */
export function copyName(baseName: string, combo: Readonly<Record<string, MatrixValue>>): string {
  const parts = Object.entries(combo).map(([key, value]) => `${key}=${String(value)}`);
  return parts.length === 0 ? baseName : `${baseName} (${parts.join(', ')})`;
}
