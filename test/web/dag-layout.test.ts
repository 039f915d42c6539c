import { describe, expect, it } from 'vitest';
import { crossings, layoutDag } from '../../web/src/lib/dag-layout.js';

const overlaps = (a: { x: number; y: number }, b: { x: number; y: number }, w: number, h: number) =>
  a.x < b.x + w && b.x < a.x + w && a.y < b.y + h && b.y < a.y + h;

describe('pipeline graph layout', () => {
  it('puts each job one column after the last job it needs', () => {
    const layout = layoutDag([
      { name: 'install', needs: [] },
      { name: 'lint', needs: ['install'] },
      { name: 'test', needs: ['install'] },
      { name: 'build', needs: ['lint', 'test'] },
      { name: 'deploy', needs: ['build', 'install'] },
    ]);
    const layer = Object.fromEntries(layout.nodes.map((n) => [n.name, n.layer]));
    expect(layer).toEqual({ install: 0, lint: 1, test: 1, build: 2, deploy: 3 });
    expect(layout.edges).toHaveLength(6);
    for (const e of layout.edges) expect(e.d).toMatch(/^M[\d.]+ [\d.]+C/);
    const { nodeWidth: w, nodeHeight: h } = layout;
    for (const a of layout.nodes) {
      expect(a.x + w).toBeLessThanOrEqual(layout.width);
      expect(a.y + h).toBeLessThanOrEqual(layout.height);
      for (const b of layout.nodes) if (a !== b) expect(overlaps(a, b, w, h)).toBe(false);
    }
  });

  it('orders rows so that edges do not cross when they need not', () => {
    // Plan order invites a crossing: a→d and b→c with c listed before d.
    const jobs = [
      { name: 'a', needs: [] },
      { name: 'b', needs: [] },
      { name: 'c', needs: ['b'] },
      { name: 'd', needs: ['a'] },
    ];
    const layout = layoutDag(jobs);
    const columns: string[][] = [[], []];
    for (const n of layout.nodes) (columns[n.layer] as string[])[n.row] = n.name;
    const parents = new Map(jobs.map((j) => [j.name, j.needs]));
    expect(
      crossings(
        [
          ['a', 'b'],
          ['c', 'd'],
        ],
        parents,
      ),
    ).toBe(1);
    expect(crossings(columns, parents)).toBe(0);
  });

  it('ignores needs outside the run, and survives a cycle and an empty run', () => {
    const layout = layoutDag([
      { name: 'x', needs: ['not-selected', 'x'] },
      { name: 'y', needs: ['z'] },
      { name: 'z', needs: ['y'] },
    ]);
    expect(layout.nodes.map((n) => n.name).sort()).toEqual(['x', 'y', 'z']);
    expect(layout.edges.some((e) => e.from === 'not-selected')).toBe(false);
    expect(layoutDag([])).toMatchObject({ nodes: [], edges: [], width: 0, height: 0 });
  });

  it('lays out a wide matrix in one column, centred against the others', () => {
    const copies = Array.from({ length: 12 }, (_, i) => ({ name: `smoke (n=${i})`, needs: ['build'] }));
    const layout = layoutDag([{ name: 'build', needs: [] }, ...copies], { nodeHeight: 40, gapY: 10 });
    expect(layout.height).toBe(12 * 40 + 11 * 10);
    const build = layout.nodes.find((n) => n.name === 'build')!;
    expect(build.y + 20).toBeCloseTo(layout.height / 2);
  });
});
