import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor, type Shape, type Value } from '../../src/index.js';
import { simplifyShapes } from '../../src/passes/index.js';
import { apply, expectEqualGraphs, expectSameOutputs, opsOf } from './pass-helpers.js';

/** The PyTorch export of `x.view(x.size(0), -1)`: Shape -> Gather(0) -> Unsqueeze -> Concat -> Reshape. */
function flattenLikeTorch(b: GraphBuilder, x: Value): Value {
  const dim0 = b.gather(b.shape(x), 0);
  const shape = b.concat([b.unsqueeze(dim0, [0]), b.ints([-1])], 0);
  return b.reshape(x, shape);
}

const build = (shape: Shape) => {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', shape);
  b.output(b.relu(flattenLikeTorch(b, x)), 'y');
  return b.build();
};

describe('simplifyShapes', () => {
  it('turns a Shape->Gather->Unsqueeze->Concat chain over a static shape into a constant', () => {
    const g = build([2, 3, 4]);
    const out = apply(g, simplifyShapes);
    const e = new GraphBuilder('g');
    e.output(e.relu(e.reshape(e.input('x', 'float32', [2, 3, 4]), [2, -1])), 'y');
    expectEqualGraphs(out, e.build());
    expect(out.initializers.size).toBe(1);
    expectSameOutputs(g, out);
  });

  it('keeps the chain alive when the gathered dimension is symbolic (data-dependent)', () => {
    const g = build(['batch', 3, 4]);
    expect(apply(g, simplifyShapes)).toBe(g);
    expectSameOutputs(g, g, { dims: { batch: 3 } });
  });

  it('folds only what does not depend on the symbolic dimension', () => {
    // Reshape x[batch, 3, 4] to [batch, 3 * 4] computed as Shape(x)[0] and Shape(x)[1] * Shape(x)[2]
    // through a static side input: the static part folds, the batch part stays.
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const w = b.input('w', 'float32', [3, 4]);
    const sw = b.shape(w);
    const inner = b.mul(b.gather(sw, 0), b.gather(sw, 1));
    const shape = b.concat([b.unsqueeze(b.gather(b.shape(x), 0), [0]), b.unsqueeze(inner, [0])], 0);
    b.output(b.reshape(x, shape), 'y');
    const g = b.build();
    const out = apply(g, simplifyShapes);
    expect(opsOf(out)).toEqual(['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape']);
    const concat = out.nodes.find((n) => n.op === 'Concat')!;
    expect(out.initializers.get(concat.inputs[1])?.toNumbers()).toEqual([12]);
    expectSameOutputs(g, out, { dims: { batch: 5 } });
  });

  it('static dims of a symbolic shape: Shape with start/end over static dims folds', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const tail = b.op1('Shape', [x], { start: 1 });
    const shape = b.concat([b.ints([-1]), tail], 0);
    b.output(b.reshape(x, shape), 'y');
    const g = b.build();
    const out = apply(g, simplifyShapes);
    const e = new GraphBuilder('g');
    e.output(e.reshape(e.input('x', 'float32', ['batch', 3, 4]), [-1, 3, 4]), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out, { dims: { batch: 2 } });
  });

  it('leaves DequantizeLinear of constant weights alone', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    const wq = b.constant(tensor('int8', [10, -20, 30, 40, -50, 60], [3, 2]));
    b.output(b.matmul(x, b.op1('DequantizeLinear', [wq, b.scalar(0.05), b.scalar(0, 'int8')])), 'y');
    const g = b.build();
    expect(apply(g, simplifyShapes)).toBe(g);
  });

  it('returns the same graph when nothing is known before running', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3]);
    b.output(b.relu(x), 'y');
    const g = b.build();
    expect(apply(g, simplifyShapes)).toBe(g);
  });
});
