import { describe, expect, it } from 'vitest';
import { Graph, GraphBuilder, run, tensor, verify } from '../../src/index.js';
import { foldConstants, foldConstantsPass } from '../../src/passes/index.js';
import { apply, expectEqualGraphs, expectSameOutputs, f32 } from './pass-helpers.js';

describe('foldConstants', () => {
  it('folds an all-constant subexpression into an initializer', () => {
    const a = f32([2, 3], (i) => i * 0.5);
    const c = f32([3], (i) => i + 1);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    const k = b.mul(b.add(b.constant(a), b.constant(c)), 2);
    b.output(b.mul(x, k), 'y');
    const g = b.build();

    const out = apply(g, foldConstants);
    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', [2, 3]);
    const folded = f32([2, 3], (i) => ((i * 0.5) + (i % 3) + 1) * 2);
    e.output(e.mul(ex, e.constant(folded)), 'y');
    expectEqualGraphs(out, e.build());
    expect(out.initializers.size).toBe(1); // the inputs of folded nodes are gone
    expectSameOutputs(g, out);
  });

  it('folds Constant nodes, shape ops and multi-output nodes', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    const [k] = b.op('Constant', [], { value: f32([2, 2], (i) => i) });
    const flat = b.reshape(k, [4]);
    const [p, q] = b.split(flat, [2, 2]);
    b.output(b.add(x, b.concat([q, p], 0)), 'y');
    const g = b.build();

    const out = apply(g, foldConstants);
    expect(out.nodes.map((n) => n.op)).toEqual(['Add']);
    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', [4]);
    e.output(e.add(ex, e.constant(tensor('float32', [2, 3, 0, 1]))), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out);
  });

  it('turns a constant graph output into an initializer of the same name', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    b.output(b.relu(x), 'y');
    b.output(b.neg(b.constant(tensor('float32', [1, -2]))), 'k');
    const g = b.build();
    const out = apply(g, foldConstants);
    expect(out.nodes.map((n) => n.op)).toEqual(['Relu']);
    expect(out.initializers.get('k')?.toNumbers()).toEqual([-1, 2]);
    expect(run(out, { x: tensor('float32', [1, -1]) }).k.toNumbers()).toEqual([-1, 2]);
  });

  it('respects the size limit', () => {
    const build = (n: number) => {
      const b = new GraphBuilder('g');
      const x = b.input('x', 'float32', [n, n]);
      b.output(b.add(x, b.expand(b.scalar(3), [n, n])), 'y');
      return b.build();
    };
    const small = build(2);
    const big = build(5);
    const pass = foldConstantsPass({ maxElements: 16 });
    expect(apply(small, pass).nodes.map((n) => n.op)).toEqual(['Add']);
    expect(apply(big, pass)).toBe(big);
    expect(apply(big, foldConstants).nodes.map((n) => n.op)).toEqual(['Add']);
  });

  it('does not fold random ops: training-mode Dropout stays', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    const k = b.op1('Dropout', [b.constant(f32([4], (i) => i + 1)), b.scalar(0.5), b.scalar(1, 'bool')]);
    b.output(b.add(x, k), 'y');
    const g = b.build();
    expect(apply(g, foldConstants)).toBe(g);

    // Inference-mode Dropout is deterministic and folds.
    const b2 = new GraphBuilder('g');
    const x2 = b2.input('x', 'float32', [4]);
    const k2 = b2.op1('Dropout', [b2.constant(f32([4], (i) => i + 1)), b2.scalar(0.5), b2.scalar(0, 'bool')]);
    b2.output(b2.add(x2, k2), 'y');
    const g2 = b2.build();
    const out2 = apply(g2, foldConstants);
    expect(out2.nodes.map((n) => n.op)).toEqual(['Add']);
    expectSameOutputs(g2, out2);
  });

  it('does not treat graph inputs with default values as constants', () => {
    const g = verify(
      Graph.create({
        inputs: [
          { name: 'x', type: { dtype: 'float32', shape: [2] } },
          { name: 'w', type: { dtype: 'float32', shape: [2] } },
        ],
        outputs: [{ name: 'y', type: { dtype: 'float32', shape: [2] } }],
        initializers: { w: tensor('float32', [1, 2]), c: tensor('float32', [3, 4]) },
        nodes: [
          { name: 'a', op: 'Add', inputs: ['w', 'c'], outputs: ['s'] },
          { name: 'm', op: 'Mul', inputs: ['x', 's'], outputs: ['y'] },
        ],
      }),
    );
    expect(apply(g, foldConstants)).toBe(g);
  });

  it('returns the same graph when nothing is constant', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3]);
    b.output(b.relu(b.add(x, b.constant(f32([3], (i) => i)))), 'y');
    const g = b.build();
    expect(apply(g, foldConstants)).toBe(g);
  });

  it('keeps quantized weights quantized unless foldQuant is set', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    const wq = b.constant(tensor('int8', [10, -20, 30, 40, -50, 60], [3, 2]));
    const w = b.op1('DequantizeLinear', [wq, b.scalar(0.05), b.scalar(0, 'int8')]);
    b.output(b.matmul(x, w), 'y');
    const g = b.build();
    expect(apply(g, foldConstants)).toBe(g);
    const out = apply(g, foldConstantsPass({ foldQuant: true }));
    expect(out.nodes.map((n) => n.op)).toEqual(['MatMul']);
    expectSameOutputs(g, out);
  });

  it('keeps int64 arithmetic exact', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'int64', [1]);
    const big = b.constant(tensor('int64', [2n ** 60n + 1n]));
    b.output(b.add(x, b.add(big, b.constant(tensor('int64', [2n])))), 'y');
    const out = apply(b.build(), foldConstants);
    const init = [...out.initializers.values()][0];
    expect(init.getBig(0)).toBe(2n ** 60n + 3n);
  });
});
