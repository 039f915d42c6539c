/**
 * An Aho–Corasick automaton over UTF-16 code units: finds every occurrence of a fixed set of
 * strings in one pass, whatever their number. Used by the masker, where a regex alternation of
 * hundreds of secrets (and their encodings) was hundreds of times slower.
 */
export class AhoCorasick {
  /** Transitions out of the root, by code unit (0: stay at the root). */
  private readonly rootNext: Int32Array;
  /** Transitions out of other states, in CSR form: edges of state s are edgeStart[s]..edgeStart[s + 1]. */
  private readonly edgeStart: Int32Array;
  private readonly edgeCode: Uint16Array;
  private readonly edgeTarget: Int32Array;
  private readonly fail: Int32Array;
  /** Length of the longest pattern that ends in this state (0: none). */
  private readonly matchLength: Int32Array;
  /** Depth of the state in the trie: the length of the prefix it stands for. */
  private readonly depth: Int32Array;
  /**
   * For each state, the depth of the longest suffix (the state itself or along its failure
   * links) that is a proper prefix of some pattern, i.e. a trie node with children.
   */
  private readonly openDepth: Int32Array;

  constructor(patterns: readonly string[]) {
    // Build the trie with a Map per node, then flatten it.
    const children: Array<Map<number, number>> = [new Map()];
    const ownLength: number[] = [0];
    const depth: number[] = [0];
    for (const pattern of patterns) {
      if (pattern.length === 0) continue;
      let state = 0;
      for (let i = 0; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i);
        const node = children[state] as Map<number, number>;
        let next = node.get(code);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          ownLength.push(0);
          depth.push(i + 1);
          node.set(code, next);
        }
        state = next;
      }
      ownLength[state] = pattern.length;
    }
    const count = children.length;
    this.rootNext = new Int32Array(65536);
    this.edgeStart = new Int32Array(count + 1);
    let edges = 0;
    for (let s = 0; s < count; s++) {
      this.edgeStart[s] = edges;
      if (s !== 0) edges += (children[s] as Map<number, number>).size;
    }
    this.edgeStart[count] = edges;
    this.edgeCode = new Uint16Array(edges);
    this.edgeTarget = new Int32Array(edges);
    for (let s = 0; s < count; s++) {
      let e = this.edgeStart[s] as number;
      for (const [code, target] of children[s] as Map<number, number>) {
        if (s === 0) {
          this.rootNext[code] = target;
        } else {
          this.edgeCode[e] = code;
          this.edgeTarget[e] = target;
          e++;
        }
      }
    }
    this.depth = Int32Array.from(depth);
    this.fail = new Int32Array(count);
    this.matchLength = new Int32Array(count);
    this.openDepth = new Int32Array(count);
    // Breadth-first, so a state's failure link is complete before its children's.
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head] as number;
      const f = this.fail[s] as number;
      this.matchLength[s] = Math.max(ownLength[s] as number, s === 0 ? 0 : (this.matchLength[f] as number));
      const open = (children[s] as Map<number, number>).size > 0;
      this.openDepth[s] = open ? (this.depth[s] as number) : s === 0 ? 0 : (this.openDepth[f] as number);
      for (const [code, child] of children[s] as Map<number, number>) {
        this.fail[child] = s === 0 ? 0 : this.step(f, code);
        queue.push(child);
      }
    }
  }

  /**
   * Scans `text`: calls `onMatch(end, length)` at each position where some pattern ends (with
   * the longest such pattern) and returns the length of the longest suffix of `text` that is a
   * proper prefix of some pattern (an occurrence that may continue in the next chunk).
   */
  scan(text: string, onMatch: (end: number, length: number) => void): number {
    const { matchLength, rootNext, edgeStart, edgeCode, edgeTarget, fail } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // this.step(state, code), inlined: this loop is the masker's hot path.
      for (;;) {
        if (state === 0) {
          state = rootNext[code] as number;
          break;
        }
        const end = edgeStart[state + 1] as number;
        let e = edgeStart[state] as number;
        while (e < end && edgeCode[e] !== code) e++;
        if (e < end) {
          state = edgeTarget[e] as number;
          break;
        }
        state = fail[state] as number;
      }
      const length = matchLength[state] as number;
      if (length > 0) onMatch(i + 1, length);
    }
    return this.openDepth[state] as number;
  }

  private step(from: number, code: number): number {
    let state = from;
    for (;;) {
      if (state === 0) {
        return this.rootNext[code] as number;
      }
      const end = this.edgeStart[state + 1] as number;
      for (let e = this.edgeStart[state] as number; e < end; e++) {
        if (this.edgeCode[e] === code) return this.edgeTarget[e] as number;
      }
      state = this.fail[state] as number;
    }
  }
}
