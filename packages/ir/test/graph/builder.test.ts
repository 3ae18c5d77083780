import { describe, expect, it } from 'vitest';
import { ArgumentError, GraphBuilder, ShapeError, run, tensor } from '../../src/index.js';

describe('GraphBuilder', () => {
  it('infers types eagerly, with symbolic dims', () => {
    const b = new GraphBuilder('mlp');
    const x = b.input('x', 'float32', ['batch', 4]);
    const w = b.constant(tensor('float32', new Float32Array(12).fill(0.5), [3, 4]));
    const h = b.gemm(x, w, undefined, { transB: 1 });
    expect(h.shape).toEqual(['batch', 3]);
    const y = b.output(b.relu(h), 'y');
    expect(y.name).toBe('y');
    const g = b.build();
    expect(g.outputs[0]).toMatchObject({ name: 'y', type: { dtype: 'float32', shape: ['batch', 3] } });
    const out = run(g, { x: tensor('float32', [[1, 1, 1, 1], [-1, -1, -1, -1]]) });
    expect(out.y.toNumbers()).toEqual([2, 2, 2, 0, 0, 0]);
  });

  it('throws at the offending op, naming the node', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    const z = b.input('z', 'float32', [4, 3]);
    expect(() => b.add(x, z)).toThrow(ShapeError);
    try {
      b.add(x, z);
    } catch (e) {
      expect((e as ShapeError).node).toMatch(/^add/);
      expect((e as ShapeError).op).toBe('Add');
    }
  });

  it('turns numbers and tensors into constants of the right dtype', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [3]);
    b.output(b.clip(b.mul(x, 2), 0, 6), 'y');
    const out = run(b.build(), { x: tensor('float32', [-1, 1, 5]) });
    expect(out.y.toNumbers()).toEqual([0, 2, 6]);
  });

  it('rejects values from another builder and duplicate names', () => {
    const a = new GraphBuilder();
    const b = new GraphBuilder();
    const x = a.input('x', 'float32', [1]);
    expect(() => b.relu(x)).toThrow(ArgumentError);
    expect(() => a.input('x', 'float32', [1])).toThrow(/already exists/);
  });
});
