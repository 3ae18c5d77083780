/**
 * MatMul and Gemm against a naive float64 triple loop written here (numpy.matmul semantics done
 * by explicit multi-index arithmetic), hand-worked cases, and typed errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AttributeError, DTypeError, ShapeError, tensor, type DType, type Tensor } from '../../src/index.js';
import { expectClose, inferTypes, macsOf, prod, randomValues, runOp1 } from '../helpers.js';

// ------------------------------------------------------------------ test-local references

/** numpy.matmul on flat float64 values, by explicit index arithmetic. */
function naiveMatmul(a: number[], aShape: number[], b: number[], bShape: number[]): { shape: number[]; values: number[] } {
  const A = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const B = bShape.length === 1 ? [bShape[0], 1] : bShape;
  const [M, K] = A.slice(-2);
  const N = B[B.length - 1];
  const ab = A.slice(0, -2);
  const bb = B.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const pa = [...new Array(r - ab.length).fill(1), ...ab];
  const pb = [...new Array(r - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const out: number[] = [];
  for (let t = 0; t < prod(batch); t++) {
    // multi-index of t in the batch, then each operand's own batch index (size-1 dims pinned to 0)
    const idx: number[] = [];
    let rem = t;
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
    }
    const flatOf = (shape: number[], padded: number[]) => {
      let f = 0;
      for (let d = r - shape.length; d < r; d++) f = f * padded[d] + (padded[d] === 1 ? 0 : idx[d]);
      return f;
    };
    const ta = flatOf(ab, pa);
    const tb = flatOf(bb, pb);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ta * M * K + m * K + k] * b[tb * K * N + k * N + n];
        out.push(s);
      }
    }
  }
  const shape = [...batch];
  if (aShape.length > 1) shape.push(M);
  if (bShape.length > 1) shape.push(N);
  return { shape, values: out };
}

/** Rounds float64 values to a dtype via the core tensor conversion. */
const roundTo = (dtype: DType, values: number[]): number[] => tensor(dtype, values, [values.length]).toNumbers();

const rand = (shape: number[], seed: number, dtype: DType = 'float64', lo = -2, hi = 2): Tensor => tensor(dtype, randomValues(prod(shape), seed, lo, hi), shape);

// ------------------------------------------------------------------ MatMul

describe('MatMul', () => {
  it('hand-worked 2-D product', () => {
    const y = runOp1('MatMul', [tensor('float32', [[1, 2], [3, 4]]), tensor('float32', [[5, 6], [7, 8]])]);
    expectClose(y, [19, 22, 43, 50], { shape: [2, 2] });
  });

  it('1-D operands are promoted and the promoted dim removed', () => {
    const v = tensor('float64', [1, 2, 3]);
    expectClose(runOp1('MatMul', [v, v]), [14], { shape: [] });
    const m = tensor('float64', [[1, 2], [3, 4], [5, 6]]);
    expectClose(runOp1('MatMul', [v, m]), [22, 28], { shape: [2] });
    expectClose(runOp1('MatMul', [tensor('float64', [[1, 2, 3], [4, 5, 6]]), v]), [14, 32], { shape: [2] });
    const b3 = rand([4, 3, 2], 1);
    const r = naiveMatmul([1, 2, 3], [3], b3.toNumbers(), [4, 3, 2]);
    expectClose(runOp1('MatMul', [v, b3]), r.values, { shape: [4, 2] });
    const a3 = rand([2, 5, 3], 2);
    const r2 = naiveMatmul(a3.toNumbers(), [2, 5, 3], [1, 2, 3], [3]);
    expectClose(runOp1('MatMul', [a3, v]), r2.values, { shape: [2, 5] });
  });

  it('matches the naive triple loop on random broadcast shapes (property)', () => {
    const dim = fc.integer({ min: 1, max: 4 });
    const shapes = fc
      .record({
        batch: fc.array(dim, { maxLength: 3 }),
        m: dim,
        k: fc.integer({ min: 0, max: 4 }),
        n: dim,
        dropA: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        dropB: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        cutA: fc.integer({ min: 0, max: 3 }),
        cutB: fc.integer({ min: 0, max: 3 }),
        vecA: fc.boolean(),
        vecB: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1e6 }),
      })
      .map(({ batch, m, k, n, dropA, dropB, cutA, cutB, vecA, vecB, seed }) => {
        // each operand keeps a suffix of the batch dims, some of them replaced by 1 (broadcast)
        const ba = batch.slice(Math.min(cutA, batch.length)).map((d, i) => (dropA[i] ? 1 : d));
        const bb = batch.slice(Math.min(cutB, batch.length)).map((d, i) => (dropB[i] ? 1 : d));
        const aShape = vecA ? [k] : [...ba, m, k];
        const bShape = vecB ? [k] : [...bb, k, n];
        return { aShape, bShape, seed };
      });
    fc.assert(
      fc.property(shapes, ({ aShape, bShape, seed }) => {
        const a = rand(aShape, seed);
        const b = rand(bShape, seed + 1);
        const r = naiveMatmul(a.toNumbers(), aShape, b.toNumbers(), bShape);
        expectClose(runOp1('MatMul', [a, b]), r.values, { shape: r.shape, rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 80 },
    );
  });

  it('float32 / float16 / bfloat16 round the float64 accumulation once', () => {
    for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
      const a = rand([2, 3, 5], 11, dtype);
      const b = rand([5, 4], 12, dtype);
      const r = naiveMatmul(a.toNumbers(), [2, 3, 5], b.toNumbers(), [5, 4]);
      const y = runOp1('MatMul', [a, b]);
      expect(y.dtype).toBe(dtype);
      expectClose(y, roundTo(dtype, r.values), { shape: r.shape, rtol: 0, atol: 0 });
    }
  });

  it('int32 and uint32 wrap, int64/uint64 stay exact', () => {
    const big = 2 ** 20;
    // (2^20 * 2^12) * 2 = 2^33 -> wraps to 0 in 32 bits; 2^31 -> -2^31 for int32
    const y32 = runOp1('MatMul', [tensor('int32', [[big, big], [1, 2 ** 30]]), tensor('int32', [[2 ** 12], [2 ** 12]])]);
    expect(y32.toNumbers()).toEqual([0, 4096]); // 4096 + 2^42 wraps to 4096
    const w = runOp1('MatMul', [tensor('int32', [[2 ** 30, 2 ** 30]]), tensor('int32', [[1], [1]])]);
    expect(w.toNumbers()).toEqual([-(2 ** 31)]);
    const u = runOp1('MatMul', [tensor('uint32', [[2 ** 31, 2 ** 31, 5]]), tensor('uint32', [[1], [1], [1]])]);
    expect(u.toNumbers()).toEqual([5]);
    const a64 = tensor('int64', [[2n ** 40n, -3n], [7n, 2n ** 50n]]);
    const b64 = tensor('int64', [[2n ** 20n, 1n], [5n, 2n ** 12n]]);
    const y64 = runOp1('MatMul', [a64, b64]);
    expect([0, 1, 2, 3].map((i) => y64.getBig(i))).toEqual([2n ** 60n - 15n, 2n ** 40n - 3n * 2n ** 12n, 7n * 2n ** 20n + 5n * 2n ** 50n, 7n + 2n ** 62n]);
    // int64 wraps modulo 2^64
    const wrap = runOp1('MatMul', [tensor('int64', [[2n ** 62n, 2n ** 62n]]), tensor('int64', [[2n], [1n]])]);
    expect(wrap.getBig(0)).toBe(BigInt.asIntN(64, 3n * 2n ** 62n));
    const yu = runOp1('MatMul', [tensor('uint64', [[2n ** 63n, 3n]]), tensor('uint64', [[1n], [2n]])]);
    expect(yu.getBig(0)).toBe(2n ** 63n + 6n);
  });

  it('applies fused activations after rounding to the output dtype', () => {
    const a = rand([3, 4], 21, 'float32');
    const b = rand([4, 5], 22, 'float32');
    const base = roundTo('float32', naiveMatmul(a.toNumbers(), [3, 4], b.toNumbers(), [4, 5]).values);
    expectClose(runOp1('MatMul', [a, b], { activation: 'Relu' }), base.map((v) => Math.max(0, v)), { rtol: 0, atol: 0 });
    expectClose(runOp1('MatMul', [a, b], { activation: 'Clip', activation_params: [-0.5, 0.25] }), base.map((v) => Math.min(0.25, Math.max(-0.5, v))), { rtol: 0, atol: 0 });
    expectClose(runOp1('MatMul', [a, b], { activation: 'LeakyRelu', activation_params: [0.1] }), roundTo('float32', base.map((v) => (v >= 0 ? v : 0.1 * v))), { rtol: 0, atol: 0 });
    expectClose(runOp1('MatMul', [a, b], { activation: 'Sigmoid' }), roundTo('float32', base.map((v) => 1 / (1 + Math.exp(-v)))), { rtol: 1e-6 });
    // integer MatMul with Relu keeps exact values
    const yi = runOp1('MatMul', [tensor('int64', [[-(2n ** 60n), 1n], [2n ** 55n, 3n]]), tensor('int64', [[1n], [1n]])], { activation: 'Relu' });
    expect([yi.getBig(0), yi.getBig(1)]).toEqual([0n, 2n ** 55n + 3n]);
    const yc = runOp1('MatMul', [tensor('int32', [[5, 6]]), tensor('int32', [[1], [1]])], { activation: 'Clip', activation_params: [0, 6] });
    expect(yc.toNumbers()).toEqual([6]);
  });

  it('infers symbolic shapes', () => {
    expect(inferTypes('MatMul', [{ dtype: 'float32', shape: ['b', 3, 4] }, { dtype: 'float32', shape: [4, 'n'] }])[0]).toEqual({ dtype: 'float32', shape: ['b', 3, 'n'] });
    expect(inferTypes('MatMul', [{ dtype: 'float32', shape: ['s', 'k'] }, { dtype: 'float32', shape: ['k'] }])[0].shape).toEqual(['s']);
    expect(inferTypes('MatMul', [{ dtype: 'float16', shape: [1, 'h', 3, 8] }, { dtype: 'float16', shape: ['b', 1, 8, 2] }])[0].shape).toEqual(['b', 'h', 3, 2]);
  });

  it('reports macs = batch * M * N * K', () => {
    expect(macsOf('MatMul', [{ dtype: 'float32', shape: [2, 3, 4, 5] }, { dtype: 'float32', shape: [5, 6] }])).toBe(2 * 3 * 4 * 6 * 5);
    expect(macsOf('MatMul', [{ dtype: 'float32', shape: [5] }, { dtype: 'float32', shape: [5] }])).toBe(5);
  });

  it('rejects bad shapes, dtypes and activations with typed errors', () => {
    const f = (s: number[]) => tensor('float32', new Array(prod(s)).fill(1), s);
    expect(() => runOp1('MatMul', [f([2, 3]), f([4, 2])])).toThrow(ShapeError);
    expect(() => runOp1('MatMul', [f([2, 2, 3]), f([3, 3, 2])])).toThrow(ShapeError);
    expect(() => runOp1('MatMul', [tensor('float32', 1, []), f([2])])).toThrow(ShapeError);
    expect(() => runOp1('MatMul', [f([2, 3]), tensor('float64', [1, 2, 3])])).toThrow(DTypeError);
    expect(() => runOp1('MatMul', [tensor('int8', [1]), tensor('int8', [1])])).toThrow(DTypeError);
    expect(() => runOp1('MatMul', [f([2, 3]), f([3, 2])], { activation: 'Gelu' })).toThrow(AttributeError);
    expect(() => runOp1('MatMul', [f([2, 3]), f([3, 2])], { activation: 'Clip', activation_params: [1] })).toThrow(AttributeError);
    expect(() => inferTypes('MatMul', [{ dtype: 'float32', shape: ['b', 3, 4] }, { dtype: 'float32', shape: [5, 2] }])).toThrow(ShapeError);
  });
});

// ------------------------------------------------------------------ Gemm

/** Naive Gemm with explicit transposes and C broadcast. */
function naiveGemm(a: number[], aShape: number[], b: number[], bShape: number[], c: number[] | undefined, cShape: number[], o: { transA: number; transB: number; alpha: number; beta: number }): number[] {
  const M = o.transA ? aShape[1] : aShape[0];
  const K = o.transA ? aShape[0] : aShape[1];
  const N = o.transB ? bShape[0] : bShape[1];
  const A = (m: number, k: number) => (o.transA ? a[k * M + m] : a[m * K + k]);
  const B = (k: number, n: number) => (o.transB ? b[n * K + k] : b[k * N + n]);
  const C = (m: number, n: number) => {
    if (!c) return 0;
    const full = [...new Array(2 - cShape.length).fill(1), ...cShape];
    return c[(full[0] === 1 ? 0 : m) * full[1] + (full[1] === 1 ? 0 : n)];
  };
  const out: number[] = [];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A(m, k) * B(k, n);
      out.push(o.alpha * s + o.beta * C(m, n));
    }
  }
  return out;
}

describe('Gemm', () => {
  it('hand-worked case with alpha, beta and a row bias', () => {
    const y = runOp1('Gemm', [tensor('float32', [[1, 2], [3, 4]]), tensor('float32', [[1, 0], [0, 1]]), tensor('float32', [10, 20])], { alpha: 2, beta: 0.5 });
    expectClose(y, [7, 14, 11, 18], { shape: [2, 2] });
  });

  it('matches the naive loop for every transpose and C shape', () => {
    const M = 3;
    const K = 4;
    const N = 5;
    let seed = 100;
    for (const transA of [0, 1]) {
      for (const transB of [0, 1]) {
        for (const cShape of [undefined, [], [N], [1, N], [M, 1], [M, N], [1, 1]] as (number[] | undefined)[]) {
          const aShape = transA ? [K, M] : [M, K];
          const bShape = transB ? [N, K] : [K, N];
          const a = rand(aShape, seed++);
          const b = rand(bShape, seed++);
          const c = cShape ? rand(cShape, seed++) : undefined;
          const o = { transA, transB, alpha: 0.75, beta: -1.5 };
          const want = naiveGemm(a.toNumbers(), aShape, b.toNumbers(), bShape, c?.toNumbers(), cShape ?? [], o);
          const y = runOp1('Gemm', c ? [a, b, c] : [a, b], o);
          expectClose(y, want, { shape: [M, N], rtol: 1e-12, atol: 1e-12 });
        }
      }
    }
  });

  it('supports float32, float16 and bfloat16 with one rounding', () => {
    for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
      const a = rand([2, 3], 201, dtype);
      const b = rand([3, 2], 202, dtype);
      const c = rand([2], 203, dtype);
      const want = roundTo(dtype, naiveGemm(a.toNumbers(), [2, 3], b.toNumbers(), [3, 2], c.toNumbers(), [2], { transA: 0, transB: 0, alpha: 1, beta: 1 }));
      expectClose(runOp1('Gemm', [a, b, c]), want, { rtol: 0, atol: 0 });
    }
  });

  it('applies a fused activation', () => {
    const a = rand([3, 2], 301);
    const b = rand([2, 4], 302);
    const want = naiveGemm(a.toNumbers(), [3, 2], b.toNumbers(), [2, 4], undefined, [], { transA: 0, transB: 0, alpha: 1, beta: 1 });
    expectClose(runOp1('Gemm', [a, b], { activation: 'HardSigmoid', activation_params: [0.3, 0.4] }), want.map((v) => Math.max(0, Math.min(1, 0.3 * v + 0.4))), { rtol: 1e-12 });
  });

  it('handles K = 0 and infers symbolic dims', () => {
    const y = runOp1('Gemm', [tensor('float32', [], [2, 0]), tensor('float32', [], [0, 3]), tensor('float32', [1, 2, 3])], { beta: 2 });
    expectClose(y, [2, 4, 6, 2, 4, 6], { shape: [2, 3] });
    expect(inferTypes('Gemm', [{ dtype: 'float32', shape: ['k', 'm'] }, { dtype: 'float32', shape: ['n', 'k'] }], { transA: 1, transB: 1 })[0].shape).toEqual(['m', 'n']);
    expect(macsOf('Gemm', [{ dtype: 'float32', shape: [7, 3] }, { dtype: 'float32', shape: [5, 7] }], { transA: 1, transB: 1 })).toBe(3 * 5 * 7);
    expect(macsOf('Gemm', [{ dtype: 'float32', shape: [3, 7] }, { dtype: 'float32', shape: [7, 5] }])).toBe(3 * 5 * 7);
  });

  it('rejects bad inputs with typed errors', () => {
    const f = (s: number[], d: DType = 'float32') => tensor(d, new Array(prod(s)).fill(1), s);
    expect(() => runOp1('Gemm', [f([2, 3, 1]), f([3, 2])])).toThrow(ShapeError);
    expect(() => runOp1('Gemm', [f([2, 3]), f([2, 3])])).toThrow(ShapeError);
    expect(() => runOp1('Gemm', [f([2, 3]), f([3, 2]), f([3])])).toThrow(ShapeError);
    expect(() => runOp1('Gemm', [f([2, 3]), f([3, 2]), f([2, 2, 2])])).toThrow(ShapeError);
    expect(() => runOp1('Gemm', [f([2, 3]), f([3, 2], 'float64')])).toThrow(DTypeError);
    expect(() => runOp1('Gemm', [f([2, 3], 'int32'), f([3, 2], 'int32')])).toThrow(DTypeError);
    expect(() => runOp1('Gemm', [f([2, 3]), f([3, 2])], { transA: 2 })).toThrow(AttributeError);
  });
});

// ------------------------------------------------------------------ Einsum

describe('Einsum', () => {
  const t = (shape: number[], seed: number, dtype: DType = 'float64') => rand(shape, seed, dtype);

  it('matrix products, batches and broadcast ellipses match the naive matmul', () => {
    const a = t([3, 4], 1);
    const b = t([4, 2], 2);
    const r = naiveMatmul(a.toNumbers(), [3, 4], b.toNumbers(), [4, 2]);
    expectClose(runOp1('Einsum', [a, b], { equation: 'ij,jk->ik' }), r.values, { shape: r.shape, rtol: 1e-12 });
    expectClose(runOp1('Einsum', [a, b], { equation: 'ij, jk' }), r.values, { shape: r.shape, rtol: 1e-12 });
    const a3 = t([2, 3, 4], 3);
    const b3 = t([2, 4, 5], 4);
    const r3 = naiveMatmul(a3.toNumbers(), [2, 3, 4], b3.toNumbers(), [2, 4, 5]);
    expectClose(runOp1('Einsum', [a3, b3], { equation: 'bij,bjk->bik' }), r3.values, { shape: r3.shape, rtol: 1e-12 });
    const a4 = t([2, 1, 3, 4], 5);
    const b4 = t([3, 4, 2], 6);
    const r4 = naiveMatmul(a4.toNumbers(), [2, 1, 3, 4], b4.toNumbers(), [3, 4, 2]);
    expectClose(runOp1('Einsum', [a4, b4], { equation: '...ij,...jk->...ik' }), r4.values, { shape: r4.shape, rtol: 1e-12 });
  });

  it('diagonals, traces, transposes, sums, outer and dot products', () => {
    const m = tensor('float32', [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expectClose(runOp1('Einsum', [m], { equation: 'ii->i' }), [1, 5, 9], { shape: [3] });
    expectClose(runOp1('Einsum', [m], { equation: 'ii' }), [15], { shape: [] });
    expectClose(runOp1('Einsum', [m], { equation: 'ij->ji' }), [1, 4, 7, 2, 5, 8, 3, 6, 9], { shape: [3, 3] });
    expectClose(runOp1('Einsum', [m], { equation: 'ji' }), [1, 4, 7, 2, 5, 8, 3, 6, 9], { shape: [3, 3] }); // implicit output 'ij'
    expectClose(runOp1('Einsum', [m], { equation: 'ij->' }), [45], { shape: [] });
    expectClose(runOp1('Einsum', [m], { equation: 'ij->j' }), [12, 15, 18], { shape: [3] });
    const u = tensor('float32', [1, 2]);
    const v = tensor('float32', [3, 4, 5]);
    expectClose(runOp1('Einsum', [u, v], { equation: 'i,j->ij' }), [3, 4, 5, 6, 8, 10], { shape: [2, 3] });
    expectClose(runOp1('Einsum', [v, v], { equation: 'i,i' }), [50], { shape: [] });
    expectClose(runOp1('Einsum', [u, v, u], { equation: 'i,j,i->j' }), [15, 20, 25], { shape: [3] });
    // a size-1 dim broadcasts against the same letter (numpy)
    expectClose(runOp1('Einsum', [tensor('float32', [[1, 2], [3, 4]]), tensor('float32', [10])], { equation: 'ij,j' }), [30, 70], { shape: [2] });
    // ellipsis dims of diagonal extraction
    const d = tensor('float64', [1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expectClose(runOp1('Einsum', [d], { equation: '...ii->...i' }), [1, 4, 5, 8], { shape: [2, 2] });
  });

  it('integers stay exact (int64) or wrap, floats round once', () => {
    const y = runOp1('Einsum', [tensor('int64', [2n ** 40n, 3n]), tensor('int64', [2n ** 20n, 5n])], { equation: 'i,i->' });
    expect(y.getBig(0)).toBe(2n ** 60n + 15n);
    expect(runOp1('Einsum', [tensor('int8', [100, 100]), tensor('int8', [2, 1])], { equation: 'i,i' }).toNumbers()).toEqual([BigInt.asIntN(8, 300n)].map(Number));
    expect(runOp1('Einsum', [tensor('uint16', [[300, 300], [1, 2]])], { equation: 'ij->i' }).toNumbers()).toEqual([600, 3]);
    const h = t([3, 5], 9, 'float16');
    const g = t([5], 10, 'float16');
    const r = naiveMatmul(h.toNumbers(), [3, 5], g.toNumbers(), [5]);
    expectClose(runOp1('Einsum', [h, g], { equation: 'ij,j->i' }), roundTo('float16', r.values), { rtol: 0, atol: 0 });
  });

  it('infers symbolic shapes and macs', () => {
    expect(inferTypes('Einsum', [{ dtype: 'float32', shape: ['b', 'n', 4] }, { dtype: 'float32', shape: [4, 'm'] }], { equation: 'bnk,km->bmn' })[0].shape).toEqual(['b', 'm', 'n']);
    expect(inferTypes('Einsum', [{ dtype: 'float32', shape: ['b', 1, 3] }, { dtype: 'float32', shape: [7, 3] }], { equation: '...k,...k->...' })[0].shape).toEqual(['b', 7]);
    expect(macsOf('Einsum', [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [3, 4] }], { equation: 'ij,jk->ik' })).toBe(24);
  });

  it('rejects malformed equations and mismatched inputs', () => {
    const a = tensor('float32', new Array(6).fill(1), [2, 3]);
    expect(() => runOp1('Einsum', [a], { equation: 'i1->i' })).toThrow(AttributeError);
    expect(() => runOp1('Einsum', [a], { equation: 'ij->i->j' })).toThrow(AttributeError);
    expect(() => runOp1('Einsum', [a])).toThrow(AttributeError);
    expect(() => runOp1('Einsum', [a, a], { equation: 'ij->ij' })).toThrow(ShapeError);
    expect(() => runOp1('Einsum', [a], { equation: 'ijk->i' })).toThrow(ShapeError);
    expect(() => runOp1('Einsum', [a, a], { equation: 'ij,ij->ik' })).toThrow(ShapeError);
    expect(() => runOp1('Einsum', [a], { equation: 'ij->ii' })).toThrow(ShapeError);
    expect(() => runOp1('Einsum', [a, tensor('float32', [1, 2])], { equation: 'ij,j->i' })).toThrow(ShapeError);
    expect(() => runOp1('Einsum', [a, tensor('float64', [1, 2, 3])], { equation: 'ij,j->i' })).toThrow(DTypeError);
    expect(() => runOp1('Einsum', [tensor('float32', new Array(24).fill(1), [2, 3, 4])], { equation: 'i...->i' })).toThrow(ShapeError);
  });
});
