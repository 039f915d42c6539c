/**
 * Lays a pipeline run's jobs out as a left-to-right graph: each job in the column after the
 * last job it needs (longest path), rows ordered by the barycentre of their neighbours to keep
 * edges from crossing, edges as cubic curves. Pure; the SVG component only draws the result.
 */

export interface DagInput {
  name: string;
  needs: readonly string[];
}

export interface DagNode {
  name: string;
  /** Column (0 = needs nothing). */
  layer: number;
  /** Row within the column. */
  row: number;
  /** Top-left corner. */
  x: number;
  y: number;
}

export interface DagEdge {
  from: string;
  to: string;
  /** SVG path data. */
  d: string;
}

export interface DagLayout {
  nodes: DagNode[];
  edges: DagEdge[];
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
}

export interface DagOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  gapX?: number;
  gapY?: number;
  /** Barycentre sweeps (each one down and up the columns). */
  sweeps?: number;
}

export function layoutDag(jobs: readonly DagInput[], opts: DagOptions = {}): DagLayout {
  const nodeWidth = opts.nodeWidth ?? 180;
  const nodeHeight = opts.nodeHeight ?? 48;
  const gapX = opts.gapX ?? 56;
  const gapY = opts.gapY ?? 16;
  const names = new Set(jobs.map((j) => j.name));
  // Needs on jobs that are not in the run (not selected, renamed) are ignored; so are duplicates.
  const needs = new Map(jobs.map((j) => [j.name, [...new Set(j.needs.filter((n) => names.has(n)))]]));
  const layer = assignLayers(jobs, needs);

  const layers = jobs.length === 0 ? 0 : Math.max(...layer.values()) + 1;
  const columns: string[][] = Array.from({ length: layers }, () => []);
  for (const j of jobs) columns[layer.get(j.name) ?? 0]?.push(j.name);
  const children = new Map<string, string[]>(jobs.map((j) => [j.name, []]));
  for (const [name, ns] of needs) for (const n of ns) children.get(n)?.push(name);
  orderRows(columns, needs, children, opts.sweeps ?? 4);

  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = tallest * nodeHeight + (tallest - 1) * gapY;
  const nodes: DagNode[] = [];
  const at = new Map<string, DagNode>();
  columns.forEach((column, l) => {
    const colHeight = column.length * nodeHeight + (column.length - 1) * gapY;
    const top = (height - colHeight) / 2;
    column.forEach((name, row) => {
      const node = { name, layer: l, row, x: l * (nodeWidth + gapX), y: top + row * (nodeHeight + gapY) };
      nodes.push(node);
      at.set(name, node);
    });
  });
  const edges: DagEdge[] = [];
  for (const j of jobs) {
    const to = at.get(j.name)!;
    for (const n of needs.get(j.name) ?? []) {
      const from = at.get(n)!;
      const x1 = from.x + nodeWidth;
      const y1 = from.y + nodeHeight / 2;
      const x2 = to.x;
      const y2 = to.y + nodeHeight / 2;
      const bend = Math.max(gapX / 2, (x2 - x1) / 2);
      edges.push({
        from: n,
        to: j.name,
        d: `M${x1} ${y1}C${x1 + bend} ${y1} ${x2 - bend} ${y2} ${x2} ${y2}`,
      });
    }
  }
  return {
    nodes,
    edges,
    width: jobs.length === 0 ? 0 : layers * nodeWidth + (layers - 1) * gapX,
    height: jobs.length === 0 ? 0 : height,
    nodeWidth,
    nodeHeight,
  };
}

/** Longest path from a job that needs nothing. A cycle (never valid) is cut, not looped on. */
function assignLayers(jobs: readonly DagInput[], needs: Map<string, string[]>): Map<string, number> {
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return -1;
    visiting.add(name);
    let l = 0;
    for (const n of needs.get(name) ?? []) l = Math.max(l, visit(n) + 1);
    visiting.delete(name);
    layer.set(name, l);
    return l;
  };
  for (const j of jobs) visit(j.name);
  return layer;
}

/** Reorders each column by the mean row of its neighbours in the previous (or next) column. */
function orderRows(
  columns: string[][],
  parents: Map<string, string[]>,
  children: Map<string, string[]>,
  sweeps: number,
): void {
  const rowOf = new Map<string, number>();
  for (const column of columns) {
    for (const [i, name] of column.entries()) rowOf.set(name, i);
  }
  const reorder = (column: string[], neighbours: Map<string, string[]>) => {
    const keyed = column.map((name, i) => {
      const ns = (neighbours.get(name) ?? []).filter((n) => rowOf.has(n));
      const bary = ns.length === 0 ? i : ns.reduce((s, n) => s + rowOf.get(n)!, 0) / ns.length;
      return { name, bary, i };
    });
    // Stable: ties keep the plan's order, so the drawing does not shuffle between refreshes.
    keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
    for (const [i, k] of keyed.entries()) {
      column[i] = k.name;
      rowOf.set(k.name, i);
    }
  };
  let best = columns.map((c) => [...c]);
  let bestCrossings = crossings(columns, parents, rowOf);
  for (let s = 0; s < sweeps && bestCrossings > 0; s++) {
    for (let l = 1; l < columns.length; l++) reorder(columns[l]!, parents);
    for (let l = columns.length - 2; l >= 0; l--) reorder(columns[l]!, children);
    const c = crossings(columns, parents, rowOf);
    if (c < bestCrossings) {
      bestCrossings = c;
      best = columns.map((col) => [...col]);
    }
  }
  best.forEach((c, i) => {
    columns[i] = c;
  });
}

/** Edge crossings between adjacent columns (edges spanning columns count at their ends' rows). */
export function crossings(
  columns: readonly (readonly string[])[],
  parents: Map<string, readonly string[]>,
  rowOf?: Map<string, number>,
): number {
  const row = rowOf ?? new Map<string, number>();
  const layerOf = new Map<string, number>();
  for (const [l, c] of columns.entries()) {
    for (const [i, n] of c.entries()) {
      layerOf.set(n, l);
      if (rowOf === undefined) row.set(n, i);
    }
  }
  const edges: Array<[number, number, number, number]> = [];
  for (const [child, ps] of parents) {
    for (const p of ps) {
      const pl = layerOf.get(p);
      const cl = layerOf.get(child);
      if (pl === undefined || cl === undefined) continue;
      edges.push([pl, row.get(p)!, cl, row.get(child)!]);
    }
  }
  let count = 0;
  for (let a = 0; a < edges.length; a++) {
    for (let b = a + 1; b < edges.length; b++) {
      const [al, ar, , ac] = edges[a]!;
      const [bl, br, , bc] = edges[b]!;
      if (al !== bl || edges[a]![2] !== edges[b]![2]) continue;
      if ((ar - br) * (ac - bc) < 0) count++;
    }
  }
  return count;
}
