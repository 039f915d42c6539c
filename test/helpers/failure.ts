import { expect } from 'vitest';
import { TandemError } from '../../src/errors.js';

/** The TandemError `p` rejects with (the test fails if it resolves or rejects with anything else). */
export async function failure(p: Promise<unknown>): Promise<TandemError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TandemError);
  return err as TandemError;
}
