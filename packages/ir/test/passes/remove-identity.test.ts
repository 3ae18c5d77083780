import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Value } from '../../src/index.js';
import { removeIdentity } from '../../src/passes/index.js';
import { apply, expectEqualGraphs, expectSameOutputs, opsOf } from './pass-helpers.js';

/** x -> (no-op made by `mid`) -> Relu -> y, and the expected x -> Relu -> y. */
function check(shape: readonly (number | string)[], mid: (b: GraphBuilder, x: Value) => Value): void {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', shape);
  b.output(b.relu(mid(b, x)), 'y');
  const g = b.build();
  const out = apply(g, removeIdentity);
  const e = new GraphBuilder('g');
  e.output(e.relu(e.input('x', 'float32', shape)), 'y');
  expectEqualGraphs(out, e.build());
  expect(out.initializers.size).toBe(0);
  expectSameOutputs(g, out);
}

/** The pass leaves the graph built by `mid` alone. */
function keeps(shape: readonly (number | string)[], mid: (b: GraphBuilder, x: Value) => Value): void {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', shape);
  b.output(b.relu(mid(b, x)), 'y');
  const g = b.build();
  expect(apply(g, removeIdentity)).toBe(g);
}

describe('removeIdentity', () => {
  it('removes Identity chains', () => check([2, 3], (b, x) => b.identity(b.identity(x))));
  it('removes inference Dropout (no training_mode, or constant false)', () => {
    check([2, 3], (b, x) => b.dropout(x, 0.3));
    check([2, 3], (b, x) => b.op1('Dropout', [x, b.scalar(0.5), b.scalar(0, 'bool')]));
    check([2, 3], (b, x) => b.op('Dropout', [x], {}, { outputs: 2 })[0]); // unused mask
  });
  it('keeps training Dropout and Dropout whose mask is used', () => {
    keeps([2, 3], (b, x) => b.op1('Dropout', [x, b.scalar(0.5), b.scalar(1, 'bool')]));
    keeps([2, 3], (b, x) => {
      const [y, mask] = b.op('Dropout', [x], {}, { outputs: 2 });
      return b.add(y, b.cast(mask, 'float32'));
    });
  });
  it('removes Cast to the same dtype only', () => {
    check([2, 3], (b, x) => b.cast(x, 'float32'));
    keeps([2, 3], (b, x) => b.cast(b.cast(x, 'float16'), 'float32'));
  });
  it('removes reshapes to the same shape', () => {
    check([2, 3], (b, x) => b.reshape(x, [2, 3]));
    check([2, 3], (b, x) => b.reshape(x, [-1, 3]));
    check([2, 3], (b, x) => b.flatten(x, 1));
    check(['n', 3], (b, x) => b.reshape(x, [0, 3]));
    keeps([2, 3], (b, x) => b.reshape(x, [3, 2]));
  });
  it('removes identity Transposes only', () => {
    check([2, 3, 4], (b, x) => b.transpose(x, [0, 1, 2]));
    keeps([2, 3, 4], (b, x) => b.transpose(x, [0, 2, 1]));
    keeps([2, 3], (b, x) => b.transpose(x)); // default perm reverses
    check([5], (b, x) => b.transpose(x));
  });
  it('removes Expand and Tile that do nothing', () => {
    check([2, 3], (b, x) => b.expand(x, [2, 3]));
    check([2, 3], (b, x) => b.expand(x, [1, 3]));
    check([2, 3], (b, x) => b.tile(x, [1, 1]));
    keeps([2, 3], (b, x) => b.expand(x, [2, 2, 3]));
    keeps([2, 3], (b, x) => b.tile(x, [2, 1]));
  });

  it('keeps graph output names: the producer takes over the name', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    b.output(b.identity(b.dropout(b.relu(x))), 'y');
    const g = b.build();
    const out = apply(g, removeIdentity);
    expect(out.nodes.map((n) => [n.op, n.outputs[0]])).toEqual([['Relu', 'y']]);
    expectSameOutputs(g, out);
  });

  it('keeps an Identity that is the only link from a graph input to a graph output', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    b.output(b.identity(b.identity(x)), 'y');
    const g = b.build();
    const out = apply(g, removeIdentity);
    expect(opsOf(out)).toEqual(['Identity']);
    expect(out.nodes[0].inputs).toEqual(['x']);
    expect(apply(out, removeIdentity)).toBe(out);
  });

  it('returns the same graph when there is nothing to remove', () => {
    keeps([2, 3], (b, x) => b.sigmoid(x));
  });
});
