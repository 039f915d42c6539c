import { describe, expect, it } from 'vitest';
import { type Dependency, findCycles, topologicalOrder } from './dag.js';
import { copyName, expandMatrix, matrixSize } from './matrix.js';

const deps = (edges: Record<string, string[]>) =>
  new Map<string, Dependency[]>(
    Object.entries(edges).map(([k, v]) => [k, v.map((to, index) => ({ to, index }))]),
  );

describe('findCycles', () => {
  it('finds none in a DAG', () => {
    expect(findCycles(['a', 'b', 'c'], deps({ a: ['b', 'c'], b: ['c'] }))).toEqual([]);
  });

  it('reports the path and the need that closes it', () => {
    expect(findCycles(['a', 'b', 'c'], deps({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual([
      { path: ['a', 'b', 'c', 'a'], from: 'c', index: 0 },
    ]);
  });

  it('ignores self edges and unknown nodes, and handles deep graphs without recursion', () => {
    expect(findCycles(['a'], deps({ a: ['a', 'zz'] }))).toEqual([]);
    const n = 20_000;
    const nodes = Array.from({ length: n }, (_, i) => `j${i}`);
    const edges = deps(
      Object.fromEntries(nodes.map((name, i) => [name, i + 1 < n ? [`j${i + 1}`] : ['j0']])),
    );
    expect(findCycles(nodes, edges)[0]?.path).toHaveLength(n + 1);
  });
});

describe('topologicalOrder', () => {
  it('puts dependencies first and keeps the given order among ready nodes', () => {
    const order = topologicalOrder(
      ['d', 'c', 'b', 'a'],
      new Map([
        ['d', ['a']],
        ['b', ['a']],
      ]),
    );
    expect(order).toEqual(['c', 'a', 'd', 'b']);
  });

  it('throws on a cycle', () => {
    expect(() =>
      topologicalOrder(
        ['a', 'b'],
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toThrow(/cycle/);
  });
});

describe('matrix', () => {
  it('expands in key order, last key fastest', () => {
    expect(expandMatrix('t', { a: [1, 2], b: ['x', true] }).map((c) => c.name)).toEqual([
      't (a=1, b=x)',
      't (a=1, b=true)',
      't (a=2, b=x)',
      't (a=2, b=true)',
    ]);
    expect(expandMatrix('t', undefined)).toEqual([{ name: 't', matrix: {} }]);
    expect(copyName('t', {})).toBe('t');
    expect(matrixSize({ a: [1, 2, 3], b: [1, 2] })).toBe(6);
  });
});
