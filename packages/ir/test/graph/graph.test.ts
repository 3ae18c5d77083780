import { describe, expect, it } from 'vitest';
import { ArgumentError, Graph, GraphBuilder, VerifyError, explainDifference, run, structurallyEqual, tensor, verify } from '../../src/index.js';

const f32 = (shape: (number | string)[]) => ({ dtype: 'float32' as const, shape });

function chain(): Graph {
  // x -> Relu(a) -> Neg(b) -> y, stored in reverse order on purpose.
  return Graph.create({
    name: 'chain',
    inputs: [{ name: 'x', type: f32([2]) }],
    outputs: [{ name: 'y', type: f32([2]) }],
    nodes: [
      { name: 'neg', op: 'Neg', inputs: ['a'], outputs: ['y'] },
      { name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['a'] },
    ],
  });
}

describe('Graph', () => {
  it('orders nodes topologically and answers use-def queries', () => {
    const g = chain();
    expect(g.topologicalOrder().map((n) => n.name)).toEqual(['relu', 'neg']);
    expect(g.producerOf('a')?.name).toBe('relu');
    expect(g.consumersOf('a').map((n) => n.name)).toEqual(['neg']);
    expect(g.producerOf('x')).toBeUndefined();
    expect(g.isUsed('y')).toBe(true);
  });

  it('reports a cycle naming a node on it', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([2]) }],
      outputs: [{ name: 'b', type: f32([2]) }],
      nodes: [
        { name: 'p', op: 'Add', inputs: ['x', 'b'], outputs: ['a'] },
        { name: 'q', op: 'Relu', inputs: ['a'], outputs: ['b'] },
      ],
    });
    expect(() => g.topologicalOrder()).toThrow(VerifyError);
    try {
      g.topologicalOrder();
    } catch (e) {
      expect(['p', 'q']).toContain((e as VerifyError).node);
    }
  });

  it('is immutable: edits return new graphs and leave the old one as it was', () => {
    const g = chain();
    const before = JSON.stringify(g.nodes);
    const h = g.replaceNode('neg', [{ name: 'abs', op: 'Abs', inputs: ['a'], outputs: ['y'] }]);
    expect(h).not.toBe(g);
    expect(JSON.stringify(g.nodes)).toBe(before);
    expect(Object.isFrozen(g.nodes)).toBe(true);
    expect(Object.isFrozen(g.nodes[0])).toBe(true);
    expect(h.nodes.map((n) => n.op).sort()).toEqual(['Abs', 'Relu']);
    expect(() => g.replaceNode('nope', [])).toThrow(ArgumentError);
  });

  it('inserts nodes and rewires uses of intermediate values', () => {
    const g = chain()
      .insertAfter('relu', [{ name: 'abs', op: 'Abs', inputs: ['a'], outputs: ['a2'] }])
      .rewireUses('a', 'a2');
    // The Abs itself must still read 'a': rewiring changed only the other readers... and Abs too,
    // so fix Abs back to read 'a' via replaceNode, as a pass would do.
    const fixed = g.replaceNode('abs', [{ name: 'abs', op: 'Abs', inputs: ['a'], outputs: ['a2'] }]);
    verify(fixed);
    const out = run(fixed, { x: tensor('float32', [-1, 2]) });
    expect(out.y.toNumbers()).toEqual([-0, -2]);
  });

  it('rewires a graph output by renaming its new producer, keeping the output name', () => {
    // y = Identity(Relu(x)) -> remove Identity: Relu must now write y.
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([2]) }],
      outputs: [{ name: 'y', type: f32([2]) }],
      nodes: [
        { name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { name: 'id', op: 'Identity', inputs: ['r'], outputs: ['y'] },
      ],
    });
    const h = g.rewireUses('y', 'r').removeDead();
    verify(h);
    expect(h.nodes.map((n) => n.op)).toEqual(['Relu']);
    expect(h.nodes[0].outputs).toEqual(['y']);
  });

  it('keeps an Identity when a graph output would become a graph input', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([2]) }],
      outputs: [{ name: 'y', type: f32([2]) }],
      nodes: [{ name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    const h = g.rewireUses('y', 'x').removeDead();
    verify(h);
    expect(h.nodes.map((n) => n.op)).toEqual(['Identity']);
    expect(run(h, { x: tensor('float32', [-3, 3]) }).y.toNumbers()).toEqual([-3, 3]);
  });

  it('removes dead nodes and unused initializers', () => {
    const b = new GraphBuilder('dead');
    const x = b.input('x', 'float32', [2]);
    const unused = b.constant(tensor('float32', [1, 2]), 'unused');
    b.add(x, unused); // dead
    b.output(b.relu(x), 'y');
    const g = b.build();
    const h = g.removeDead();
    expect(h.nodes.map((n) => n.op)).toEqual(['Relu']);
    expect(h.initializers.size).toBe(0);
    expect(h.removeDead()).toBe(h);
  });

  it('compares structurally, up to node and intermediate names', () => {
    const make = (prefix: string, w: number[]) => {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [2]);
      const c = b.initializer(`${prefix}c`, tensor('float32', w));
      b.output(b.relu(b.op1('Add', [x, c], {}, { name: `${prefix}add` })), 'y');
      return b.build();
    };
    expect(structurallyEqual(make('a', [1, 2]), make('b', [1, 2]))).toBe(true);
    expect(make('a', [1, 2]).equals(make('a', [1, 2]))).toBe(true);
    expect(explainDifference(make('a', [1, 2]), make('a', [1, 3]))).toMatch(/constant #0 differs/);
    expect(structurallyEqual(chain(), make('a', [1, 2]))).toBe(false);
  });

  it('clones deeply', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2]);
    b.output(b.add(x, b.constant(tensor('float32', [1, 2]))), 'y');
    const g = b.build();
    const c = g.clone();
    expect(c.equals(g)).toBe(true);
    expect([...c.initializers.values()][0].data).not.toBe([...g.initializers.values()][0].data);
  });
});
