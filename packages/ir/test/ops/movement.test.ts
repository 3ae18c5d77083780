import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_TYPES,
  AttributeError,
  DTypeError,
  ShapeError,
  Tensor,
  fromFunction,
  perTensor,
  tensor,
  type Attrs,
  type DType,
  type Node,
  type TensorType,
} from '../../src/index.js';
import { runNode } from '../../src/interpreter/run-node.js';
import { expectClose, f32, i64, inferTypes, iota, prod, ravel, runOp, runOp1, unravel } from '../helpers.js';

// ---------------------------------------------------------------------------------------------
// Test-local helpers and references (independent of the implementation).

function run(op: string, inputs: readonly (Tensor | undefined)[], attrs: Attrs = {}, outputs = 1): Tensor[] {
  const node: Node = { name: 't', op, inputs: inputs.map((t, i) => (t ? `in${i}` : '')), outputs: iota(outputs).map((i) => `o${i}`), attrs };
  return runNode(node, inputs);
}

/** Small values representable in every dtype (bool: 0/1, 4-bit: 0..7). */
function sample(dtype: DType, shape: readonly number[]): Tensor {
  const m = dtype === 'bool' ? 2 : dtype === 'int4' || dtype === 'uint4' ? 8 : 100;
  return fromFunction(dtype, shape, (i) => (i * 7 + 3) % m);
}

const shapeArb = (maxRank = 4, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });

// ---------------------------------------------------------------------------------------------

describe('Reshape', () => {
  const x = fromFunction('float32', [2, 3, 4], (i) => i);

  it('infers -1 and copies 0 dims', () => {
    const y = runOp1('Reshape', [x, i64([4, -1])]);
    expect(y.shape).toEqual([4, 6]);
    expectClose(y, iota(24));
    expect(runOp1('Reshape', [x, i64([0, -1])]).shape).toEqual([2, 12]);
    expect(runOp1('Reshape', [x, i64([0, 0, 2, 2])]).shape).toEqual([2, 3, 2, 2]);
    expect(runOp1('Reshape', [fromFunction('int8', [1], () => 5), i64([])]).shape).toEqual([]);
  });

  it('honours allowzero', () => {
    const e = tensor('float32', [], [0, 3]);
    expect(runOp1('Reshape', [e, i64([3, 0])], { allowzero: 1 }).shape).toEqual([3, 0]);
    expect(runOp1('Reshape', [e, i64([0, 3])], { allowzero: 0 }).shape).toEqual([0, 3]);
    expect(() => runOp1('Reshape', [e, i64([0, -1])], { allowzero: 1 })).toThrow(ShapeError);
  });

  it('rejects bad shapes with typed errors', () => {
    expect(() => runOp1('Reshape', [x, i64([5, 5])])).toThrow(/24 elements/);
    expect(() => runOp1('Reshape', [x, i64([5, 5])])).toThrow(ShapeError);
    expect(() => runOp1('Reshape', [x, i64([-1, -1])])).toThrow(/at most one/);
    expect(() => runOp1('Reshape', [x, i64([7, -1])])).toThrow(ShapeError);
    expect(() => runOp1('Reshape', [x, i64([2, -2, 6])])).toThrow(ShapeError);
    expect(() => runOp1('Reshape', [x, i64([0, 0, 0, 0])])).toThrow(/rank 3/);
    expect(() => runOp1('Reshape', [x, i64([4, 6])], { allowzero: 2 })).toThrow(AttributeError);
  });

  it('infers symbolic shapes', () => {
    const t: TensorType = { dtype: 'float32', shape: ['b', 3, 4] };
    expect(inferTypes('Reshape', [t, i64([0, -1])])[0].shape).toEqual(['b', 12]);
    expect(inferTypes('Reshape', [{ dtype: 'float32', shape: ['b', 12] }, i64([-1, 3, 4])])[0].shape).toEqual(['b', 3, 4]);
    const dyn = inferTypes('Reshape', [t, { dtype: 'int64', shape: [2] }])[0].shape;
    expect(dyn.length).toBe(2);
    expect(dyn.every((d) => typeof d === 'string')).toBe(true);
    expect(() => inferTypes('Reshape', [t, { dtype: 'int64', shape: ['n'] }])).toThrow(ShapeError);
  });

  it('shares data (a pure view) and keeps per-tensor quantization', () => {
    const q = tensor('int8', [1, 2, 3, 4], [4], perTensor(0.5, 1));
    const y = runOp1('Reshape', [q, i64([2, 2])]);
    expect(y.data).toBe(q.data);
    expect(y.quant).toEqual(q.quant);
  });

  it('round trips through a random factorization', () => {
    fc.assert(
      fc.property(shapeArb(4, 5), fc.integer({ min: 0, max: 1000 }), (shape, seed) => {
        const n = prod(shape);
        const x = fromFunction('float32', shape, (i) => i * 0.5 - seed);
        // Random factorization of n: peel off random divisors.
        const dims: number[] = [];
        let rest = n;
        let s = seed;
        while (rest > 1 && dims.length < 4) {
          const divs = iota(rest).map((i) => i + 1).filter((d) => rest % d === 0);
          const d = divs[s++ % divs.length];
          dims.push(d);
          rest /= d;
        }
        dims.push(rest);
        const y = runOp1('Reshape', [x, i64(dims)]);
        expect(y.shape).toEqual(dims);
        const back = runOp1('Reshape', [y, i64(shape)]);
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
      }),
      { numRuns: 60 },
    );
  });
});

describe('Flatten', () => {
  it('splits at axis (default 1, negative, 0 and rank)', () => {
    const x = fromFunction('float32', [2, 3, 4], (i) => i);
    expect(runOp1('Flatten', [x]).shape).toEqual([2, 12]);
    expect(runOp1('Flatten', [x], { axis: 0 }).shape).toEqual([1, 24]);
    expect(runOp1('Flatten', [x], { axis: 3 }).shape).toEqual([24, 1]);
    expect(runOp1('Flatten', [x], { axis: -1 }).shape).toEqual([6, 4]);
    expect(() => runOp1('Flatten', [x], { axis: 4 })).toThrow(ShapeError);
    expect(inferTypes('Flatten', [{ dtype: 'float32', shape: ['b', 3, 4] }])[0].shape).toEqual(['b', 12]);
    expect(inferTypes('Flatten', [{ dtype: 'float32', shape: [2, 'h', 4] }], { axis: 2 })[0].shape[1]).toBe(4);
  });
});

describe('Transpose', () => {
  it('reverses axes by default and follows perm', () => {
    const x = f32(iota(6), [2, 3]);
    const y = runOp1('Transpose', [x]);
    expect(y.shape).toEqual([3, 2]);
    expectClose(y, [0, 3, 1, 4, 2, 5]);
    const z = runOp1('Transpose', [fromFunction('float32', [2, 3, 4], (i) => i)], { perm: [1, 2, 0] });
    expect(z.shape).toEqual([3, 4, 2]);
    expect(z.get(ravel([2, 1, 1], [3, 4, 2]))).toBe(ravel([1, 2, 1], [2, 3, 4]));
  });

  it('rejects bad perms with AttributeError', () => {
    const x = f32(iota(6), [2, 3]);
    expect(() => runOp1('Transpose', [x], { perm: [0, 0] })).toThrow(AttributeError);
    expect(() => runOp1('Transpose', [x], { perm: [0, 1, 2] })).toThrow(AttributeError);
    expect(() => runOp1('Transpose', [x], { perm: [0, 2] })).toThrow(AttributeError);
    expect(() => inferTypes('Transpose', [{ dtype: 'float32', shape: ['a', 2] }], { perm: [1] })).toThrow(AttributeError);
  });

  it('passes symbols through', () => {
    expect(inferTypes('Transpose', [{ dtype: 'int64', shape: ['b', 3, 's'] }], { perm: [2, 0, 1] })[0].shape).toEqual(['s', 'b', 3]);
  });

  it('random perm then inverse is identity and matches the index formula', () => {
    fc.assert(
      fc.property(
        shapeArb(5, 4).chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray(iota(shape.length), { minLength: shape.length, maxLength: shape.length }))),
        ([shape, perm]) => {
          const x = fromFunction('float64', shape, (i) => i + 0.25);
          const y = runOp1('Transpose', [x], { perm });
          const outShape = perm.map((p) => shape[p]);
          expect(y.shape).toEqual(outShape);
          for (let i = 0; i < y.size; i++) {
            const o = unravel(i, outShape);
            const src = new Array<number>(shape.length);
            perm.forEach((p, k) => (src[p] = o[k]));
            expect(y.get(i)).toBe(ravel(src, shape) + 0.25);
          }
          const inv = new Array<number>(perm.length);
          perm.forEach((p, k) => (inv[p] = k));
          const back = runOp1('Transpose', [y], { perm: inv });
          expect(back.shape).toEqual(shape);
          expect(Array.from(back.data as Float64Array)).toEqual(Array.from(x.data as Float64Array));
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('Squeeze / Unsqueeze', () => {
  const x = fromFunction('float32', [1, 3, 1, 2], (i) => i);

  it('squeezes listed axes, or every static 1', () => {
    expect(runOp1('Squeeze', [x]).shape).toEqual([3, 2]);
    expect(runOp1('Squeeze', [x, i64([0])]).shape).toEqual([3, 1, 2]);
    expect(runOp1('Squeeze', [x, i64([-2, 0])]).shape).toEqual([3, 2]);
    expect(() => runOp1('Squeeze', [x, i64([1])])).toThrow(/size is 3/);
    expect(() => runOp1('Squeeze', [x, i64([0, 0])])).toThrow(ShapeError);
    expect(() => runOp1('Squeeze', [x, i64([4])])).toThrow(ShapeError);
    expect(inferTypes('Squeeze', [{ dtype: 'float32', shape: [1, 'b', 1] }])[0].shape).toEqual(['b']);
    expect(inferTypes('Squeeze', [{ dtype: 'float32', shape: [1, 'b', 1] }, i64([0])])[0].shape).toEqual(['b', 1]);
    expect(inferTypes('Squeeze', [{ dtype: 'float32', shape: [1, 'b', 1] }, { dtype: 'int64', shape: [2] }])[0].shape.length).toBe(1);
  });

  it('unsqueezes at output positions', () => {
    const y = fromFunction('float32', [3, 4], (i) => i);
    expect(runOp1('Unsqueeze', [y, i64([0, 3])]).shape).toEqual([1, 3, 4, 1]);
    expect(runOp1('Unsqueeze', [y, i64([-1])]).shape).toEqual([3, 4, 1]);
    expect(runOp1('Unsqueeze', [y, i64([1, -1])]).shape).toEqual([3, 1, 4, 1]);
    expect(runOp1('Unsqueeze', [fromFunction('int8', [], () => 3), i64([0])]).shape).toEqual([1]);
    expect(() => runOp1('Unsqueeze', [y, i64([0, 0])])).toThrow(ShapeError);
    expect(() => runOp1('Unsqueeze', [y, i64([3])])).toThrow(ShapeError);
    expect(inferTypes('Unsqueeze', [{ dtype: 'float32', shape: ['b', 4] }, i64([1])])[0].shape).toEqual(['b', 1, 4]);
  });
});

describe('Concat / Split', () => {
  it('concatenates along an axis', () => {
    const a = f32([1, 2, 3, 4], [2, 2]);
    const b = f32([5, 6], [2, 1]);
    const y = runOp1('Concat', [a, b], { axis: 1 });
    expect(y.shape).toEqual([2, 3]);
    expectClose(y, [1, 2, 5, 3, 4, 6]);
    expectClose(runOp1('Concat', [a, f32([7, 8], [1, 2])], { axis: -2 }), [1, 2, 3, 4, 7, 8]);
    expect(runOp1('Concat', [a, tensor('float32', [], [0, 2])], { axis: 0 }).shape).toEqual([2, 2]);
  });

  it('keeps int64 exact and rejects mismatches with typed errors', () => {
    const big = 2n ** 60n + 1n;
    const a = tensor('int64', [big, -big]);
    const y = runOp1('Concat', [a, tensor('int64', [3n])], { axis: 0 });
    expect(Array.from(y.data as BigInt64Array)).toEqual([big, -big, 3n]);
    expect(() => runOp1('Concat', [a, tensor('int32', [3])], { axis: 0 })).toThrow(DTypeError);
    expect(() => runOp1('Concat', [f32([1, 2], [1, 2]), f32([1, 2, 3], [1, 3])], { axis: 0 })).toThrow(ShapeError);
    expect(() => runOp1('Concat', [f32([1, 2], [1, 2]), f32([1, 2], [2])], { axis: 0 })).toThrow(ShapeError);
    expect(() => runOp1('Concat', [f32([1, 2], [1, 2])], { axis: 2 })).toThrow(ShapeError);
    expect(() => runOp1('Concat', [f32([1, 2], [1, 2])], {})).toThrow(AttributeError);
  });

  it('infers symbolic concat shapes', () => {
    const t = (shape: (number | string)[]): TensorType => ({ dtype: 'float32', shape });
    expect(inferTypes('Concat', [t(['b', 2]), t(['b', 3])], { axis: 1 })[0].shape).toEqual(['b', 5]);
    expect(inferTypes('Concat', [t(['b', 2]), t([0, 2])], { axis: 0 })[0].shape).toEqual(['b', 2]);
    expect(typeof inferTypes('Concat', [t(['b', 2]), t([3, 2])], { axis: 0 })[0].shape[0]).toBe('string');
    expect(inferTypes('Concat', [t(['b', 2]), t([4, 2])], { axis: 1 })[0].shape).toEqual([4, 4]);
  });

  it('splits by the split input, num_outputs (smaller last chunk) or equally', () => {
    const x = f32(iota(7));
    const parts = runOp('Split', [x, i64([2, 5])], {}, { outputs: 2 });
    expect(parts.map((p) => p.toNumbers())).toEqual([[0, 1], [2, 3, 4, 5, 6]]);
    const chunks = runOp('Split', [x], { num_outputs: 4 }, { outputs: 4 });
    expect(chunks.map((p) => p.toNumbers())).toEqual([[0, 1], [2, 3], [4, 5], [6]]);
    const eq = runOp('Split', [fromFunction('int64', [2, 6], (i) => i)], { axis: -1 }, { outputs: 3 });
    expect(eq.map((p) => p.toNumbers())).toEqual([[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]]);
    expect(runOp('Split', [x, i64([0, 7])], {}, { outputs: 2 })[0].shape).toEqual([0]);
  });

  it('rejects bad splits', () => {
    const x = f32(iota(7));
    expect(() => runOp('Split', [x, i64([2, 2])], {}, { outputs: 2 })).toThrow(/sums to 4/);
    expect(() => runOp('Split', [x, i64([3, 4])], { num_outputs: 2 }, { outputs: 2 })).toThrow(AttributeError);
    expect(() => runOp('Split', [x], { num_outputs: 3 }, { outputs: 2 })).toThrow(ShapeError);
    expect(() => runOp('Split', [x, i64([7])], {}, { outputs: 2 })).toThrow(ShapeError);
    expect(() => runOp('Split', [f32(iota(5))], { num_outputs: 4 }, { outputs: 4 })).toThrow(ShapeError);
  });

  it('Concat then Split with the same sizes gives the parts back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (rest, sizes, a) => {
          const axis = a % (rest.length + 1);
          const parts = sizes.map((s, k) => {
            const shape = [...rest.slice(0, axis), s, ...rest.slice(axis)];
            return fromFunction('int16', shape, (i) => i + 100 * k);
          });
          const cat = runOp1('Concat', parts, { axis });
          const back = runOp('Split', [cat, i64(sizes)], { axis }, { outputs: sizes.length });
          back.forEach((b, k) => {
            expect(b.shape).toEqual(parts[k].shape);
            expect(b.toNumbers()).toEqual(parts[k].toNumbers());
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('infers split shapes with symbols', () => {
    const t: TensorType = { dtype: 'float32', shape: ['b', 6] };
    expect(inferTypes('Split', [t], { axis: 1 }, 2).map((o) => o.shape)).toEqual([['b', 3], ['b', 3]]);
    const s = inferTypes('Split', [t], { axis: 0 }, 2).map((o) => o.shape[0]);
    expect(s.every((d) => typeof d === 'string')).toBe(true);
  });
});

// Naive slice written from the ONNX text: adjust negatives, clamp, then walk with the step.
function naiveSliceIndices(d: number, start: number, end: number, step: number): number[] {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
  } else {
    s = Math.min(Math.max(s, 0), d - 1);
    e = Math.min(Math.max(e, -1), d - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

describe('Slice', () => {
  const data = f32([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);

  it('ONNX examples', () => {
    const y = runOp1('Slice', [data, i64([1, 0]), i64([2, 3]), i64([0, 1]), i64([1, 2])]);
    expect(y.shape).toEqual([1, 2]);
    expectClose(y, [5, 7]);
    const z = runOp1('Slice', [data, i64([0, 1]), i64([-1, 1000])]);
    expect(z.shape).toEqual([1, 3]);
    expectClose(z, [2, 3, 4]);
  });

  it('negative steps, INT_MAX / INT_MIN ends, int32 indices', () => {
    const v = f32(iota(5));
    expectClose(runOp1('Slice', [v, i64([-1]), tensor('int64', [-(2n ** 63n)]), i64([0]), i64([-1])]), [4, 3, 2, 1, 0]);
    expectClose(runOp1('Slice', [v, i64([1]), tensor('int64', [2n ** 63n - 1n])]), [1, 2, 3, 4]);
    expectClose(runOp1('Slice', [v, tensor('int32', [4]), tensor('int32', [0]), tensor('int32', [0]), tensor('int32', [-2])]), [4, 2]);
    expectClose(runOp1('Slice', [v, i64([10]), i64([-10]), i64([0]), i64([-2])]), [4, 2, 0]);
    // ONNX clamps start to [0, d-1] for negative steps, so a start far below -d keeps element 0.
    expectClose(runOp1('Slice', [v, i64([-10]), i64([-20]), i64([0]), i64([-1])]), [0]);
    expect(runOp1('Slice', [v, i64([3]), i64([1])]).shape).toEqual([0]);
  });

  it('rejects zero steps, bad axes and length mismatches', () => {
    expect(() => runOp1('Slice', [data, i64([0]), i64([1]), i64([0]), i64([0])])).toThrow(ShapeError);
    expect(() => runOp1('Slice', [data, i64([0]), i64([1]), i64([2])])).toThrow(ShapeError);
    expect(() => runOp1('Slice', [data, i64([0, 0]), i64([1, 1]), i64([1, -1])])).toThrow(/repeat/);
    expect(() => runOp1('Slice', [data, i64([0, 0]), i64([1])])).toThrow(ShapeError);
  });

  it('infers symbolic dims', () => {
    const t: TensorType = { dtype: 'float32', shape: ['b', 10] };
    expect(inferTypes('Slice', [t, i64([2]), i64([-1]), i64([1])])[0].shape).toEqual(['b', 7]);
    expect(inferTypes('Slice', [t, i64([0]), i64([2 ** 31 - 1]), i64([0])])[0].shape).toEqual(['b', 10]);
    expect(inferTypes('Slice', [t, i64([-1]), tensor('int64', [-(2n ** 63n)]), i64([0]), i64([-1])])[0].shape).toEqual(['b', 10]);
    const s = inferTypes('Slice', [t, i64([1]), i64([5]), i64([0])])[0].shape;
    expect(typeof s[0]).toBe('string');
    expect(s[0]).not.toBe('b');
    const dyn = inferTypes('Slice', [t, { dtype: 'int64', shape: [1] }, { dtype: 'int64', shape: [1] }, i64([1])])[0].shape;
    expect(dyn[0]).toBe('b');
    expect(typeof dyn[1]).toBe('string');
  });

  it('matches a naive index computation for random starts/ends/steps', () => {
    fc.assert(
      fc.property(
        shapeArb(3, 6).chain((shape) =>
          fc.tuple(
            fc.constant(shape),
            fc.shuffledSubarray(iota(shape.length), { minLength: 1 }),
            fc.array(fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }), fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0)), {
              minLength: shape.length,
              maxLength: shape.length,
            }),
          ),
        ),
        ([shape, axes, params]) => {
          const x = fromFunction('int32', shape, (i) => i);
          const starts = axes.map((_, k) => params[k][0]);
          const ends = axes.map((_, k) => params[k][1]);
          const steps = axes.map((_, k) => params[k][2]);
          // Negative axes half of the time.
          const ax = axes.map((a, k) => (k % 2 ? a - shape.length : a));
          const y = runOp1('Slice', [x, i64(starts), i64(ends), i64(ax), i64(steps)]);
          const picks = shape.map((d, a) => {
            const k = axes.indexOf(a);
            return k < 0 ? iota(d) : naiveSliceIndices(d, starts[k], ends[k], steps[k]);
          });
          expect(y.shape).toEqual(picks.map((p) => p.length));
          for (let i = 0; i < y.size; i++) {
            const o = unravel(i, y.shape);
            expect(y.get(i)).toBe(ravel(o.map((v, a) => picks[a][v]), shape));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('Pad', () => {
  const data = f32([1.0, 1.2, 2.3, 3.4, 4.5, 5.7], [3, 2]);

  it('ONNX examples: constant, reflect, edge, wrap', () => {
    expectClose(runOp1('Pad', [data, i64([0, 2, 0, 0]), f32([0], [])]), [0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7], { shape: [3, 4] });
    expectClose(runOp1('Pad', [data, i64([0, 2, 0, 0])], { mode: 'reflect' }), [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7], { shape: [3, 4] });
    expectClose(runOp1('Pad', [data, i64([0, 2, 0, 0])], { mode: 'edge' }), [1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7], { shape: [3, 4] });
    expectClose(
      runOp1('Pad', [data, i64([2, 1, 1, 1])], { mode: 'wrap' }),
      [3.4, 2.3, 3.4, 2.3, 5.7, 4.5, 5.7, 4.5, 1.2, 1.0, 1.2, 1.0, 3.4, 2.3, 3.4, 2.3, 5.7, 4.5, 5.7, 4.5, 1.2, 1.0, 1.2, 1.0],
      { shape: [6, 4] },
    );
  });

  it('hand-worked 1-D cases incl. pads wider than the data (numpy semantics)', () => {
    const v = f32([1, 2, 3]);
    expectClose(runOp1('Pad', [v, i64([5, 4])], { mode: 'reflect' }), [2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
    expectClose(runOp1('Pad', [v, i64([5, 4])], { mode: 'wrap' }), [2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
    expectClose(runOp1('Pad', [v, i64([2, 1])], { mode: 'edge' }), [1, 1, 1, 2, 3, 3]);
    expectClose(runOp1('Pad', [f32([7]), i64([2, 2])], { mode: 'reflect' }), [7, 7, 7, 7, 7]);
    expectClose(runOp1('Pad', [v, i64([1, 2]), f32([9], [])]), [9, 1, 2, 3, 9, 9]);
  });

  it('negative pads crop (before padding), and axes select dimensions', () => {
    const v = f32([1, 2, 3, 4]);
    expectClose(runOp1('Pad', [v, i64([-1, 2])]), [2, 3, 4, 0, 0]);
    expectClose(runOp1('Pad', [v, i64([1, -1])], { mode: 'wrap' }), [3, 1, 2, 3]);
    expectClose(runOp1('Pad', [v, i64([2, -1])], { mode: 'reflect' }), [3, 2, 1, 2, 3]);
    const y = runOp1('Pad', [data, i64([1, 1]), f32([-1], []), i64([-1])]);
    expectClose(y, [-1, 1.0, 1.2, -1, -1, 2.3, 3.4, -1, -1, 4.5, 5.7, -1], { shape: [3, 4] });
    const z = runOp1('Pad', [data, i64([1, 0]), undefined, tensor('int32', [0])], { mode: 'edge' });
    expectClose(z, [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 4.5, 5.7], { shape: [4, 2] });
  });

  it('pads every dtype bit-exactly (int64, int4, bool)', () => {
    const big = 2n ** 62n + 7n;
    const y = runOp1('Pad', [tensor('int64', [big, 1n]), i64([1, 1]), tensor('int64', [-big], [])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([-big, big, 1n, -big]);
    const q = runOp1('Pad', [tensor('int4', [-3, 5, 7]), i64([1, 2]), tensor('int4', [-8], [])]);
    expect(q.toNumbers()).toEqual([-8, -3, 5, 7, -8, -8]);
    const r = runOp1('Pad', [tensor('uint4', [1, 2, 3]), i64([2, 0])], { mode: 'reflect' });
    expect(r.toNumbers()).toEqual([3, 2, 1, 2, 3]);
    const b = runOp1('Pad', [tensor('bool', [1, 0]), i64([1, 1]), tensor('bool', [1], [])]);
    expect(b.toNumbers()).toEqual([1, 1, 0, 1]);
  });

  it('rejects bad pads and values with typed errors', () => {
    expect(() => runOp1('Pad', [data, i64([1, 1])])).toThrow(ShapeError);
    expect(() => runOp1('Pad', [f32([1, 2]), i64([-2, -1])])).toThrow(ShapeError);
    expect(() => runOp1('Pad', [data, i64([0, 0, 0, 0]), tensor('float64', [1], [])])).toThrow(DTypeError);
    expect(() => runOp1('Pad', [data, i64([0, 0, 0, 0])], { mode: 'mirror' })).toThrow(AttributeError);
    expect(() => runOp1('Pad', [tensor('float32', [], [0]), i64([1, 1])], { mode: 'edge' })).toThrow(ShapeError);
  });

  it('infers symbolic and dynamic pads', () => {
    const t: TensorType = { dtype: 'float32', shape: ['b', 3] };
    expect(inferTypes('Pad', [t, i64([0, 1, 0, 2])])[0].shape).toEqual(['b', 6]);
    const d = inferTypes('Pad', [t, { dtype: 'int64', shape: [2] }, undefined, i64([1])])[0].shape;
    expect(d[0]).toBe('b');
    expect(typeof d[1]).toBe('string');
  });
});

describe('Expand / Tile', () => {
  it('expands with bidirectional broadcasting', () => {
    const x = f32([1, 2, 3], [3, 1]);
    const y = runOp1('Expand', [x, i64([2, 1, 4])]);
    expect(y.shape).toEqual([2, 3, 4]);
    for (let i = 0; i < y.size; i++) expect(y.get(i)).toBe(Math.floor(i / 4) % 3 + 1);
    expect(runOp1('Expand', [x, i64([1])]).shape).toEqual([3, 1]);
    expect(() => runOp1('Expand', [x, i64([2, 2])])).toThrow(ShapeError);
    expect(inferTypes('Expand', [{ dtype: 'float32', shape: ['b', 1] }, i64([1, 5])])[0].shape).toEqual(['b', 5]);
    const dyn = inferTypes('Expand', [{ dtype: 'float32', shape: [3, 1] }, { dtype: 'int64', shape: [3] }])[0].shape;
    expect(dyn.length).toBe(3);
    expect(dyn[1]).toBe(3);
  });

  it('tiles', () => {
    const x = f32([1, 2, 3, 4], [2, 2]);
    const y = runOp1('Tile', [x, i64([2, 3])]);
    expect(y.shape).toEqual([4, 6]);
    for (let i = 0; i < y.size; i++) {
      const [r, c] = unravel(i, [4, 6]);
      expect(y.get(i)).toBe(x.get((r % 2) * 2 + (c % 2)));
    }
    expect(runOp1('Tile', [x, i64([0, 1])]).shape).toEqual([0, 2]);
    expect(() => runOp1('Tile', [x, i64([2])])).toThrow(ShapeError);
    expect(() => runOp1('Tile', [x, i64([2, -1])])).toThrow(ShapeError);
    expect(inferTypes('Tile', [{ dtype: 'float32', shape: ['b', 2] }, i64([1, 3])])[0].shape).toEqual(['b', 6]);
  });
});

describe('Identity / Dropout', () => {
  it('identity returns the same values for every dtype', () => {
    for (const dt of ALL_TYPES) {
      const x = sample(dt, [3, 2]);
      const y = runOp1('Identity', [x]);
      expect(y.dtype).toBe(dt);
      expect(y.toNumbers()).toEqual(x.toNumbers());
    }
  });

  it('inference mode copies and gives an all-true mask', () => {
    const x = f32([1, -2, 3]);
    const [y, mask] = runOp('Dropout', [x, f32([0.7], []), tensor('bool', [0], [])], {}, { outputs: 2 });
    expectClose(y, [1, -2, 3]);
    expect(y.data).not.toBe(x.data);
    expect(mask.dtype).toBe('bool');
    expect(mask.toNumbers()).toEqual([1, 1, 1]);
    expectClose(runOp1('Dropout', [x]), [1, -2, 3]);
    expectClose(runOp1('Dropout', [x, f32([0], []), tensor('bool', [1], [])]), [1, -2, 3]);
  });

  it('training mode is deterministic per seed and scales kept values', () => {
    const x = fromFunction('float32', [200], (i) => i + 1);
    const train = tensor('bool', [1], []);
    const [a, ma] = run('Dropout', [x, f32([0.5], []), train], { seed: 3 }, 2);
    const [b] = run('Dropout', [x, f32([0.5], []), train], { seed: 3 }, 2);
    const [c] = run('Dropout', [x, f32([0.5], []), train], { seed: 4 }, 2);
    expect(a.toNumbers()).toEqual(b.toNumbers());
    expect(a.toNumbers()).not.toEqual(c.toNumbers());
    let kept = 0;
    for (let i = 0; i < 200; i++) {
      const m = ma.get(i);
      expect(a.get(i)).toBe(m ? 2 * (i + 1) : 0);
      kept += m;
    }
    expect(kept).toBeGreaterThan(60);
    expect(kept).toBeLessThan(140);
    const h = runOp1('Dropout', [fromFunction('float16', [4], () => 1.5), tensor('float16', [0.75], []), train], { seed: 1 });
    for (const v of h.toNumbers()) expect([0, 6]).toContain(v);
    expect(() => run('Dropout', [x, f32([1], []), train])).toThrow(ShapeError);
  });
});

describe('DepthToSpace / SpaceToDepth', () => {
  // ONNX examples: input [1, 8, 2, 3] whose channel c holds c*9 + 0..5.
  const x = fromFunction('float32', [1, 8, 2, 3], (i) => Math.floor(i / 6) * 9 + (i % 6));

  it('DCR mode (ONNX example)', () => {
    const y = runOp1('DepthToSpace', [x], { blocksize: 2 });
    expectClose(
      y,
      [0, 18, 1, 19, 2, 20, 36, 54, 37, 55, 38, 56, 3, 21, 4, 22, 5, 23, 39, 57, 40, 58, 41, 59, 9, 27, 10, 28, 11, 29, 45, 63, 46, 64, 47, 65, 12, 30, 13, 31, 14, 32, 48, 66, 49, 67, 50, 68],
      { shape: [1, 2, 4, 6] },
    );
  });

  it('CRD mode (ONNX example)', () => {
    const y = runOp1('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' });
    expectClose(
      y,
      [0, 9, 1, 10, 2, 11, 18, 27, 19, 28, 20, 29, 3, 12, 4, 13, 5, 14, 21, 30, 22, 31, 23, 32, 36, 45, 37, 46, 38, 47, 54, 63, 55, 64, 56, 65, 39, 48, 40, 49, 41, 50, 57, 66, 58, 67, 59, 68],
      { shape: [1, 2, 4, 6] },
    );
  });

  it('SpaceToDepth inverts DepthToSpace (DCR) and matches its index formula', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (b, c, h, w) => {
        const shape = [2, c, h * b, w * b];
        const img = fromFunction('int32', shape, (i) => i);
        const d = runOp1('SpaceToDepth', [img], { blocksize: b });
        expect(d.shape).toEqual([2, c * b * b, h, w]);
        for (let i = 0; i < d.size; i++) {
          const [n, oc, y, xx] = unravel(i, d.shape);
          const blk = Math.floor(oc / c);
          expect(d.get(i)).toBe(ravel([n, oc % c, y * b + Math.floor(blk / b), xx * b + (blk % b)], shape));
        }
        const back = runOp1('DepthToSpace', [d], { blocksize: b });
        expect(back.toNumbers()).toEqual(img.toNumbers());
      }),
      { numRuns: 40 },
    );
  });

  it('rejects bad shapes and attributes', () => {
    expect(() => runOp1('DepthToSpace', [fromFunction('float32', [1, 3, 2, 2], (i) => i)], { blocksize: 2 })).toThrow(ShapeError);
    expect(() => runOp1('SpaceToDepth', [fromFunction('float32', [1, 1, 3, 2], (i) => i)], { blocksize: 2 })).toThrow(ShapeError);
    expect(() => runOp1('DepthToSpace', [x], { blocksize: 0 })).toThrow(AttributeError);
    expect(() => runOp1('DepthToSpace', [x], { blocksize: 2, mode: 'XYZ' })).toThrow(AttributeError);
    expect(() => runOp1('DepthToSpace', [fromFunction('float32', [8, 2, 3], (i) => i)], { blocksize: 2 })).toThrow(ShapeError);
    expect(inferTypes('DepthToSpace', [{ dtype: 'float32', shape: ['n', 8, 2, 3] }], { blocksize: 2 })[0].shape).toEqual(['n', 2, 4, 6]);
  });
});

describe('Trilu / ReverseSequence', () => {
  const m = fromFunction('float32', [3, 4], (i) => i + 1);

  it('keeps the upper or lower triangle around diagonal k', () => {
    expectClose(runOp1('Trilu', [m]), [1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expectClose(runOp1('Trilu', [m, i64([1]).reshape([])]), [0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12]);
    expectClose(runOp1('Trilu', [m, tensor('int64', [-1], [])]), [1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12]);
    expectClose(runOp1('Trilu', [m], { upper: 0 }), [1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0]);
    expectClose(runOp1('Trilu', [m, tensor('int64', [-1], [])], { upper: 0 }), [0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expectClose(runOp1('Trilu', [m, tensor('int64', [10], [])], { upper: 0 }), iota(12).map((i) => i + 1));
    const batched = runOp1('Trilu', [fromFunction('int64', [2, 2, 2], (i) => i + 1)]);
    expect(batched.toNumbers()).toEqual([1, 2, 0, 4, 5, 6, 0, 8]);
    expect(() => runOp1('Trilu', [f32([1, 2])])).toThrow(ShapeError);
  });

  it('reverses sequences (ONNX examples)', () => {
    const x = f32([0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], [4, 4]);
    const y = runOp1('ReverseSequence', [x, i64([4, 3, 2, 1])], { time_axis: 0, batch_axis: 1 });
    expectClose(y, [3, 6, 9, 12, 2, 5, 8, 13, 1, 4, 10, 14, 0, 7, 11, 15]);
    const x2 = f32([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [4, 4]);
    const y2 = runOp1('ReverseSequence', [x2, i64([0, 2, 3, 4])], { time_axis: 1, batch_axis: 0 });
    expectClose(y2, [0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12]);
    expect(() => runOp1('ReverseSequence', [x2, i64([1, 2, 3, 5])], { time_axis: 1, batch_axis: 0 })).toThrow(ShapeError);
    expect(() => runOp1('ReverseSequence', [x2, i64([1, 2])], { time_axis: 1, batch_axis: 0 })).toThrow(ShapeError);
    expect(() => runOp1('ReverseSequence', [x2, i64([1, 2, 3, 4])], { time_axis: 1, batch_axis: 1 })).toThrow(AttributeError);
  });
});

describe('every dtype', () => {
  // Each op runs once on float64 tensors holding global element ids, which tells where every
  // output element comes from; on each dtype the output must hold the matching sample values.
  const sampleValue = (dt: DType, k: number) => (k * 7 + 3) % (dt === 'bool' ? 2 : dt === 'int4' || dt === 'uint4' ? 8 : 100);
  type Src = (shape: number[]) => Tensor;
  const maker = (dt: DType): Src => {
    let next = 0;
    return (shape) => {
      const base = next;
      next += prod(shape);
      return fromFunction(dt, shape, (i) => (dt === 'float64' ? base + i : sampleValue(dt, base + i)));
    };
  };
  const cases: [string, (src: Src) => (Tensor | undefined)[], Attrs, number][] = [
    ['Transpose', (src) => [src([2, 3, 2])], { perm: [2, 0, 1] }, 1],
    ['Reshape', (src) => [src([2, 3]), i64([3, 2])], {}, 1],
    ['Flatten', (src) => [src([2, 3, 2])], { axis: 2 }, 1],
    ['Squeeze', (src) => [src([1, 3])], {}, 1],
    ['Unsqueeze', (src) => [src([3]), i64([0])], {}, 1],
    ['Slice', (src) => [src([3, 5]), i64([4, 0]), i64([0, 3]), i64([1, 0]), i64([-2, 2])], {}, 1],
    ['Concat', (src) => [src([1, 3]), src([2, 3])], { axis: 0 }, 1],
    ['Split', (src) => [src([5, 3])], { num_outputs: 2 }, 2],
    ['Pad', (src) => [src([2, 3]), i64([1, 2, 0, 1])], { mode: 'reflect' }, 1],
    ['Pad', (src) => [src([3]), i64([2, 3])], { mode: 'wrap' }, 1],
    ['Pad', (src) => [src([3]), i64([1, 1])], { mode: 'edge' }, 1],
    ['Pad', (src) => [src([3]), i64([1, 1]), src([])], {}, 1],
    ['Expand', (src) => [src([3, 1]), i64([2, 3, 2])], {}, 1],
    ['Tile', (src) => [src([2, 3]), i64([2, 2])], {}, 1],
    ['DepthToSpace', (src) => [src([1, 4, 2, 3])], { blocksize: 2, mode: 'CRD' }, 1],
    ['DepthToSpace', (src) => [src([1, 4, 2, 3])], { blocksize: 2 }, 1],
    ['SpaceToDepth', (src) => [src([1, 1, 4, 2])], { blocksize: 2 }, 1],
    ['ReverseSequence', (src) => [src([3, 2, 2]), i64([3, 1])], {}, 1],
    ['Identity', (src) => [src([5])], {}, 1],
  ];
  for (const [op, make, attrs, n] of cases) {
    it(`${op} ${JSON.stringify(attrs)}`, () => {
      const ids = runOp(op, make(maker('float64')), attrs, { outputs: n });
      for (const dt of ALL_TYPES) {
        const outs = runOp(op, make(maker(dt)), attrs, { outputs: n });
        outs.forEach((o, k) => {
          expect(o.dtype).toBe(dt);
          expect(o.shape).toEqual(ids[k].shape);
          expect(o.toNumbers(), `${op} ${dt}`).toEqual(dt === 'float64' ? ids[k].toNumbers() : ids[k].toNumbers().map((id) => sampleValue(dt, id)));
        });
      }
    });
  }

  it('Trilu zeroes every dtype', () => {
    for (const dt of ALL_TYPES) {
      const y = runOp1('Trilu', [fromFunction(dt, [2, 2], () => 1)], { upper: 0 });
      expect(y.toNumbers()).toEqual([1, 0, 1, 1]);
    }
  });

  it('keeps int64 beyond 2^53 and float NaN payloads bit-exact', () => {
    const big = [2n ** 62n + 1n, -(2n ** 61n) - 3n, 9007199254740993n, -1n];
    const x = tensor('int64', big, [2, 2]);
    const t = runOp1('Transpose', [x]);
    expect(Array.from(t.data as BigInt64Array)).toEqual([big[0], big[2], big[1], big[3]]);
    const s = runOp1('Slice', [x, i64([1]), i64([2])]);
    expect(Array.from(s.data as BigInt64Array)).toEqual([big[2], big[3]]);
    const bits = new Uint32Array([0x7fc00001, 0xffa00002, 0x3f800000]);
    const f = new Tensor('float32', [3], new Float32Array(bits.buffer));
    const r = runOp1('Slice', [f, i64([-1]), i64([-10]), i64([0]), i64([-1])]);
    expect(Array.from(new Uint32Array((r.data as Float32Array).buffer))).toEqual([0x3f800000, 0xffa00002, 0x7fc00001]);
    const u = tensor('uint64', [2n ** 64n - 1n, 5n]);
    expect(Array.from(runOp1('Tile', [u, i64([2])]).data as BigUint64Array)).toEqual([2n ** 64n - 1n, 5n, 2n ** 64n - 1n, 5n]);
  });

  it('moves odd-length packed int4 data', () => {
    const x = tensor('int4', [-8, -1, 0, 3, 7], [5]);
    const y = runOp1('Slice', [x, i64([-1]), i64([-6]), i64([0]), i64([-1])]);
    expect(y.toNumbers()).toEqual([7, 3, 0, -1, -8]);
    expect((y.data as Uint8Array).length).toBe(3);
  });
});
