/** Graph helpers for planning: cycle detection and a stable topological order. */

/** A dependency: `to` is the `index`-th entry of the dependent's needs. */
export interface Dependency {
  to: string;
  index: number;
}

export interface Cycle {
  /** The jobs around the cycle, the first repeated at the end: ['build', 'test', 'build']. */
  path: string[];
  /** The job whose need closes the cycle, and the index of that need. */
  from: string;
  index: number;
}

/**
 * Every cycle closed by a back edge of a depth-first search that visits nodes and their
 * dependencies in the given order. Self-dependencies are ignored (report them separately).
 * Dependencies on nodes not in `nodes` are ignored.
 */
export function findCycles(
  nodes: readonly string[],
  dependencies: ReadonlyMap<string, readonly Dependency[]>,
): Cycle[] {
  const known = new Set(nodes);
  const state = new Map<string, 'active' | 'done'>();
  const cycles: Cycle[] = [];
  for (const root of nodes) {
    if (state.has(root)) continue;
    // Iterative DFS: the path of nodes being visited, each with the next dependency to look at.
    const path: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    state.set(root, 'active');
    while (path.length > 0) {
      const frame = path.at(-1) as { node: string; next: number };
      const deps = dependencies.get(frame.node) ?? [];
      const dep = deps[frame.next++];
      if (dep === undefined) {
        state.set(frame.node, 'done');
        path.pop();
        continue;
      }
      if (dep.to === frame.node || !known.has(dep.to)) continue;
      const seen = state.get(dep.to);
      if (seen === undefined) {
        state.set(dep.to, 'active');
        path.push({ node: dep.to, next: 0 });
      } else if (seen === 'active') {
        const from = path.findIndex((f) => f.node === dep.to);
        cycles.push({
          path: [...path.slice(from).map((f) => f.node), dep.to],
          from: frame.node,
          index: dep.index,
        });
      }
    }
  }
  return cycles;
}

/**
 * The nodes ordered so that each comes after everything it depends on; among the nodes ready at
 * any point, the earliest in `nodes` comes first. Dependencies on unknown nodes are ignored.
 * Throws on a cycle (check findCycles first).
 */
export function topologicalOrder(
  nodes: readonly string[],
  dependencies: ReadonlyMap<string, readonly string[]>,
): string[] {
  const position = new Map(nodes.map((node, i) => [node, i]));
  const waitingOn = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((node, i) => {
    for (const dep of new Set(dependencies.get(node) ?? [])) {
      const j = position.get(dep);
      if (j === undefined || j === i) continue;
      waitingOn[i] = (waitingOn[i] as number) + 1;
      (dependents[j] as number[]).push(i);
    }
  });
  const ready = new MinHeap();
  waitingOn.forEach((count, i) => {
    if (count === 0) ready.push(i);
  });
  const order: string[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(nodes[i] as string);
    for (const j of dependents[i] as number[]) {
      waitingOn[j] = (waitingOn[j] as number) - 1;
      if (waitingOn[j] === 0) ready.push(j);
    }
  }
  if (order.length !== nodes.length) throw new Error('topologicalOrder: the graph has a cycle');
  return order;
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as number) <= value) break;
      items[i] = items[parent] as number;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0] as number;
    const last = items.pop() as number;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child =
          right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
        if ((items[child] as number) >= last) break;
        items[i] = items[child] as number;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
