import { TandemError } from '../errors.js';

/**
 * Edit distance with adjacent transpositions (optimal string alignment), so the typo
 * `tset` is one edit from `test`. Small inputs only (config keys, job names).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (rows[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate when it is close enough to be a typo, else undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(input.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** "no incident inc-12; did you mean inc-21? (see `tandem incident list`)", as a TandemError. */
export function unknownIdError(opts: {
  code: string;
  /** What it names: `incident`, `silence`. */
  what: string;
  id: string;
  /** The ids there are (the most recent ones are enough). */
  known: Iterable<string>;
  /** The command that lists them. */
  list: string;
  /** The id compared with `known` (a normalised form), when not `id` itself. */
  compare?: string;
}): TandemError {
  const guess = didYouMean(opts.compare ?? opts.id, opts.known);
  return new TandemError(
    opts.code,
    `no ${opts.what} ${opts.id}${guess ? `; did you mean ${guess}?` : ''} (see \`${opts.list}\`)`,
  );
}
