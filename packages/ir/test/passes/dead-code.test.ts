import { describe, expect, it } from 'vitest';
import { Graph, GraphBuilder, tensor, verify } from '../../src/index.js';
import { eliminateDeadCode } from '../../src/passes/index.js';
import { apply, expectEqualGraphs, expectSameOutputs, f32 } from './pass-helpers.js';

describe('eliminateDeadCode', () => {
  it('removes nodes and initializers no output depends on', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    const y = b.relu(x);
    const dead = b.mul(b.exp(x), b.constant(f32([3], (i) => i)));
    b.sigmoid(dead);
    b.output(y, 'y');
    const g = b.build();
    const out = apply(g, eliminateDeadCode);

    const e = new GraphBuilder('g');
    e.output(e.relu(e.input('x', 'float32', [2, 3])), 'y');
    expectEqualGraphs(out, e.build());
    expect(out.initializers.size).toBe(0);
    expectSameOutputs(g, out);
  });

  it('keeps unused graph inputs and their default values, drops dead annotations', () => {
    const g = verify(
      Graph.create({
        inputs: [
          { name: 'x', type: { dtype: 'float32', shape: [2] } },
          { name: 'unused', type: { dtype: 'float32', shape: [2] } },
          { name: 'opt', type: { dtype: 'float32', shape: [1] } },
        ],
        outputs: [{ name: 'y', type: { dtype: 'float32', shape: [2] } }],
        initializers: { opt: tensor('float32', [1]), junk: tensor('float32', [5]) },
        valueTypes: new Map([['d', { dtype: 'float32', shape: [2] }]]),
        nodes: [
          { name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'] },
          { name: 'dead', op: 'Neg', inputs: ['x'], outputs: ['d'] },
        ],
      }),
    );
    const out = apply(g, eliminateDeadCode);
    expect(out.inputs.map((i) => i.name)).toEqual(['x', 'unused', 'opt']);
    expect([...out.initializers.keys()]).toEqual(['opt']);
    expect(out.nodes.map((n) => n.name)).toEqual(['r']);
    expect(out.valueTypes.size).toBe(0);
  });

  it('returns the same graph when everything is live', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const u = b.input('u', 'float32', [2]);
    b.output(b.add(x, b.constant(f32([2], (i) => i))), 'y');
    void u;
    const g = b.build();
    expect(apply(g, eliminateDeadCode)).toBe(g);
  });
});
