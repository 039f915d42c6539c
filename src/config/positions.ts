import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter } from 'yaml';
import type { ConfigPath } from './errors.js';

/**
 * Where things are in a YAML source: the path of a value (as JS sees it after toJS) back to
 * the line:col of its node. Every access is guarded: the document may be any garbage.
 */

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

interface Step {
  /** The value node at this depth (undefined when the pair has no value). */
  node: unknown;
  /** The key node of the pair holding it; undefined for the root and sequence items. */
  key: unknown;
}

const MAX_DEPTH = 200;

function startOf(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const range = (node as { range?: unknown }).range;
  if (!Array.isArray(range)) return undefined;
  const start: unknown = range[0];
  return typeof start === 'number' && Number.isFinite(start) ? start : undefined;
}

function rangeOf(node: unknown): [number, number] | undefined {
  const start = startOf(node);
  if (start === undefined) return undefined;
  const range = (node as { range: unknown[] }).range;
  const end = typeof range[2] === 'number' ? range[2] : typeof range[1] === 'number' ? range[1] : start;
  return [start, Math.max(start, end)];
}

/** The key as toJS would turn it into an object key (scalars only; others never match). */
export function keyString(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value: unknown = key.value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return undefined;
  return String(value);
}

function pairsOf(node: unknown): Array<{ key: unknown; value: unknown }> {
  if (!isMap(node)) return [];
  const items: unknown = node.items;
  if (!Array.isArray(items)) return [];
  return items.filter(
    (item): item is { key: unknown; value: unknown } => item !== null && typeof item === 'object',
  );
}

function itemsOf(node: unknown): unknown[] {
  if (!isSeq(node)) return [];
  const items: unknown = node.items;
  return Array.isArray(items) ? items : [];
}

/** An empty value (`key:` with nothing after it) has a zero-width range: point at its key instead. */
function isEmptyNode(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  if (!isScalar(node) || node.value !== null) return false;
  const range = rangeOf(node);
  return range !== undefined && range[0] === range[1];
}

export class YamlPositions {
  readonly #doc: Document | undefined;
  readonly #lines: LineCounter;
  readonly #textLength: number;

  constructor(doc: Document | undefined, lines: LineCounter, textLength: number) {
    this.#doc = doc;
    this.#lines = lines;
    this.#textLength = textLength;
  }

  /** 1-based line:col of a character offset, clamped to the text. */
  at(offset: number | undefined): Position {
    if (offset === undefined || !Number.isFinite(offset)) return { line: 1, col: 1 };
    const clamped = Math.max(0, Math.min(Math.floor(offset), this.#textLength));
    try {
      const pos = this.#lines.linePos(clamped);
      const line = Number.isFinite(pos.line) ? Math.max(1, pos.line) : 1;
      const col = Number.isFinite(pos.col) ? Math.max(1, pos.col) : 1;
      return { line, col };
    } catch {
      return { line: 1, col: 1 };
    }
  }

  #resolveAlias(node: unknown): unknown {
    let current = node;
    for (let i = 0; i < 10 && isAlias(current); i++) {
      try {
        const doc = this.#doc;
        current = doc ? current.resolve(doc) : undefined;
      } catch {
        return undefined;
      }
    }
    return current;
  }

  /** The steps from the root along `path`, as far as the path exists in the source. */
  #trace(path: ConfigPath): Step[] {
    const steps: Step[] = [{ node: this.#doc?.contents ?? undefined, key: undefined }];
    let node: unknown = steps[0]?.node;
    for (const seg of path.slice(0, MAX_DEPTH)) {
      const container = this.#resolveAlias(node);
      let next: Step | undefined;
      if (isMap(container)) {
        const wanted = String(seg);
        // toJS keeps the last of duplicate keys: so do we.
        for (const pair of pairsOf(container)) {
          if (keyString(pair.key) === wanted)
            next = { node: pair.value ?? undefined, key: pair.key ?? undefined };
        }
      } else if (isSeq(container)) {
        const index = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
        const items = itemsOf(container);
        if (index >= 0 && index < items.length) next = { node: items[index], key: undefined };
      }
      if (!next) break;
      steps.push(next);
      node = next.node;
    }
    return steps;
  }

  #stepPosition(steps: Step[], preferKey: boolean): Position {
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i];
      if (!step) continue;
      const useKey = preferKey || isEmptyNode(step.node);
      const offset = useKey
        ? (startOf(step.key) ?? startOf(step.node))
        : (startOf(step.node) ?? startOf(step.key));
      if (offset !== undefined) return this.at(offset);
    }
    return { line: 1, col: 1 };
  }

  /** Whether the whole path exists in the source. */
  has(path: ConfigPath): boolean {
    return this.#trace(path).length === path.length + 1;
  }

  /** Position of the value at `path`, or of the nearest existing parent. */
  valueOf(path: ConfigPath): Position {
    const steps = this.#trace(path);
    return this.#stepPosition(steps, false);
  }

  /** Position of the key whose value is at `path` (e.g. an unknown key), else as valueOf. */
  keyOf(path: ConfigPath): Position {
    const steps = this.#trace(path);
    if (steps.length === path.length + 1) return this.#stepPosition(steps, true);
    return this.#stepPosition(steps, false);
  }

  /** Every repeated key of every mapping (the second and later ones), with where it is. */
  duplicateKeys(): Array<{ path: Array<string | number>; at: Position }> {
    const found: Array<{ path: Array<string | number>; at: Position }> = [];
    const walk = (node: unknown, path: Array<string | number>, depth: number): void => {
      if (depth > MAX_DEPTH) return;
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of pairsOf(node)) {
          const name = keyString(pair.key);
          if (name === undefined) continue;
          if (seen.has(name)) found.push({ path: [...path, name], at: this.at(startOf(pair.key)) });
          seen.add(name);
          walk(pair.value, [...path, name], depth + 1);
        }
      } else if (isSeq(node)) {
        itemsOf(node).forEach((item, i) => {
          walk(item, [...path, i], depth + 1);
        });
      }
    };
    walk(this.#doc?.contents, [], 0);
    return found;
  }

  /** The path of the deepest key or value whose source contains `offset`. */
  pathAt(offset: number): Array<string | number> {
    const path: Array<string | number> = [];
    let node: unknown = this.#doc?.contents;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      let next: unknown;
      if (isMap(node)) {
        for (const pair of pairsOf(node)) {
          const keyRange = rangeOf(pair.key);
          const valueRange = rangeOf(pair.value);
          const name = keyString(pair.key);
          if (keyRange && offset >= keyRange[0] && offset <= keyRange[1]) {
            if (name !== undefined) path.push(name);
            return path;
          }
          const inValue =
            valueRange !== undefined &&
            ((offset >= valueRange[0] && offset < valueRange[1]) ||
              (valueRange[0] === valueRange[1] && offset === valueRange[0]));
          if (inValue) {
            if (name === undefined) return path;
            path.push(name);
            next = pair.value;
            break;
          }
        }
      } else if (isSeq(node)) {
        const items = itemsOf(node);
        for (let i = 0; i < items.length; i++) {
          const range = rangeOf(items[i]);
          if (range && offset >= range[0] && offset < range[1]) {
            path.push(i);
            next = items[i];
            break;
          }
        }
      }
      if (next === undefined) return path;
      node = next;
    }
    return path;
  }
}
