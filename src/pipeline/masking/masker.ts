import { AhoCorasick } from './aho-corasick.js';
import { maskPatterns } from './patterns.js';

export { MIN_SECRET_LENGTH, maskPatterns } from './patterns.js';

/** Masks secrets in a stream of output chunks; `flush()` returns what is still held back. */
export interface Masker {
  write(chunk: string): string;
  flush(): string;
}

/**
 * A streaming masker. Every occurrence of a secret (and of its encodings, see maskPatterns) is
 * replaced by `mask`, also when it is split across chunks; overlapping or adjacent occurrences
 * become one mask. Only the longest tail of the pending text that could still be the start of an
 * occurrence is held back; everything before it is returned at once, so live logs stay live.
 */
export function createMasker(secretValues: Iterable<string>, mask = '***'): Masker {
  const patterns = maskPatterns(secretValues);
  if (patterns.length === 0) return { write: (chunk) => chunk, flush: () => '' };
  return new StreamMasker(new Matcher(patterns), mask);
}

/** Masks one whole text. */
export function maskString(text: string, secretValues: Iterable<string>, mask = '***'): string {
  const masker = createMasker(secretValues, mask);
  return masker.write(text) + masker.flush();
}

/** Finds the ranges of a text covered by occurrences, and the tail that could start one. */
class Matcher {
  private readonly automaton: AhoCorasick;

  constructor(patterns: readonly string[]) {
    this.automaton = new AhoCorasick(patterns);
  }

  /**
   * `ranges`: the ranges [start, end) of `text` covered by an occurrence, merged when they overlap
   * or touch, in order; `covered` is a prefix already known to be inside one. `holdStart`: where
   * the longest suffix of `text` that could still grow into an occurrence starts (text.length if none).
   */
  scan(text: string, covered: number): { ranges: Array<[number, number]>; holdStart: number } {
    const ranges: Array<[number, number]> = covered > 0 ? [[0, covered]] : [];
    const open = this.automaton.scan(text, (end, length) => {
      let start = end - length;
      // The longest occurrence ending here may start before earlier ranges: absorb them.
      let last = ranges.at(-1);
      while (last && start <= last[1]) {
        start = Math.min(start, last[0]);
        ranges.pop();
        last = ranges.at(-1);
      }
      ranges.push([start, end]);
    });
    return { ranges, holdStart: text.length - open };
  }
}

class StreamMasker implements Masker {
  /** Text received but not yet returned. */
  private pending = '';
  /** Length of the prefix of `pending` already known to be inside an occurrence. */
  private covered = 0;
  /** The last text returned ended with a mask whose occurrence reaches `pending`. */
  private maskOpen = false;

  constructor(
    private readonly matcher: Matcher,
    private readonly mask: string,
  ) {}

  write(chunk: string): string {
    if (chunk.length === 0) return '';
    return this.emit(this.pending + chunk, false);
  }

  flush(): string {
    const out = this.emit(this.pending, true);
    this.pending = '';
    this.covered = 0;
    this.maskOpen = false;
    return out;
  }

  /** Returns `text` masked, except (unless `final`) a tail that could start an occurrence, kept pending. */
  private emit(text: string, final: boolean): string {
    if (text.length === 0) return '';
    const { ranges, holdStart } = this.matcher.scan(text, this.covered);
    const until = final ? text.length : holdStart;
    if (until === 0) {
      this.pending = text;
      return '';
    }
    let out = '';
    let pos = 0;
    let open = this.maskOpen;
    let covered = 0;
    for (const [start, end] of ranges) {
      if (start >= until) break;
      if (start > pos) {
        out += text.slice(pos, start);
        open = false;
      }
      if (!open) out += this.mask;
      open = true;
      pos = Math.min(end, until);
      if (end > until) covered = end - until;
    }
    if (pos < until) {
      out += text.slice(pos, until);
      open = false;
    }
    this.pending = text.slice(until);
    this.covered = covered;
    this.maskOpen = open;
    return out;
  }
}
