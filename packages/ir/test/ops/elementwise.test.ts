/**
 * Elementwise family: registration, broadcasting (property tests), binary/variadic arithmetic,
 * integer exactness, logic and comparison, and typed errors. Math functions, activations and Cast
 * have their own files (elementwise-math.test.ts, elementwise-cast.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  AttributeError,
  DTypeError,
  ShapeError,
  Tensor,
  allSchemas,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  findSchema,
  hasTag,
  runNode,
  tensor,
  type Attrs,
  type DType,
  type Node,
} from '../../src/index.js';
import { FUSED_ACTIVATIONS, fusedActivationFn } from '../../src/ops/fused-activation.js';
import { bigs, expectClose, inferTypes, randomValues, rng, runOp1 } from '../helpers.js';

// ------------------------------------------------------------------ test-local helpers

const node = (op: string, n: number, attrs: Attrs = {}): Node => ({
  name: `${op}_n`,
  op,
  inputs: Array.from({ length: n }, (_, i) => `in${i}`),
  outputs: ['out0'],
  attrs,
});

/** numpy's broadcasting rule, written independently of the IR. */
function numpyBroadcast(shapes: number[][]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1);
    const big = dims.filter((d) => d !== 1);
    if (new Set(big).size > 1) return undefined;
    out.push(big.length ? big[0] : 1);
  }
  return out;
}

/** x materialised at `out` shape by explicit index arithmetic (tiling). */
function tileTo(x: Tensor, out: number[]): Tensor {
  const size = out.reduce((a, b) => a * b, 1);
  const vals: number[] = [];
  for (let i = 0; i < size; i++) {
    let rem = i;
    const idx = new Array<number>(out.length);
    for (let d = out.length - 1; d >= 0; d--) {
      idx[d] = rem % out[d];
      rem = Math.floor(rem / out[d]);
    }
    let flat = 0;
    const off = out.length - x.shape.length;
    for (let d = 0; d < x.shape.length; d++) flat = flat * x.shape[d] + (x.shape[d] === 1 ? 0 : idx[d + off]);
    vals.push(x.get(flat));
  }
  return tensor(x.dtype, vals, out);
}

const f32 = Math.fround;
const f16 = (x: number) => float16BitsToFloat32(float32ToFloat16Bits(x));

/** Shapes that broadcast to a common output: suffixes of `out` with some dims set to 1. */
const broadcastableShapes = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 })
  .chain((out) => {
    const one = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    return fc.tuple(one, one);
  });

const filled = (shape: number[], seed: number, dtype: DType = 'float32') => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(dtype, randomValues(n, seed, -4, 4).map((v) => (dtype.startsWith('float') ? v : Math.round(v))), shape);
};

// ------------------------------------------------------------------ registration

describe('elementwise registration', () => {
  it('registers every op in group elementwise', () => {
    const names = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Min', 'Max', 'Sum', 'Mean', 'BitShift', 'And', 'Or', 'Xor', 'Not', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Where', 'PRelu',
      'Neg', 'Abs', 'Reciprocal', 'Sqrt', 'Exp', 'Log', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Erf', 'IsNaN', 'IsInf',
      'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'ThresholdedRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Mish', 'Gelu', 'Clip', 'Cast', 'CastLike',
      'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot'];
    for (const n of names) expect(findSchema(n)?.group, n).toBe('elementwise');
  });

  it("tags exactly the fusable activations 'activation'", () => {
    const tagged = allSchemas().filter((s) => s.group === 'elementwise' && hasTag(s.name, 'activation')).map((s) => s.name).sort();
    expect(tagged).toEqual(FUSED_ACTIVATIONS.filter((a) => a !== 'none').slice().sort());
  });

  it("tags the commutative ops 'commutative'", () => {
    for (const n of ['Add', 'Mul', 'Max', 'Min', 'Sum', 'Equal', 'And', 'Or', 'Xor']) expect(hasTag(n, 'commutative'), n).toBe(true);
    for (const n of ['Sub', 'Div', 'Pow', 'Mod', 'Less', 'Where', 'PRelu']) expect(hasTag(n, 'commutative'), n).toBe(false);
  });
});

// ------------------------------------------------------------------ broadcasting

describe('broadcasting', () => {
  it('result shape follows the numpy rule and equals explicit tiling (property)', () => {
    fc.assert(
      fc.property(broadcastableShapes, fc.integer(), ([sa, sb], seed) => {
        const a = filled(sa, seed);
        const b = filled(sb, seed + 1);
        const out = numpyBroadcast([sa, sb])!;
        const c = runOp1('Add', [a, b]);
        expect([...c.shape]).toEqual(out);
        const at = tileTo(a, out);
        const bt = tileTo(b, out);
        expectClose(c, at.toNumbers().map((x, i) => f32(x + bt.get(i))), { rtol: 0, atol: 0 });
      }),
      { numRuns: 80 },
    );
  });

  it('Add and Mul commute bitwise (property)', () => {
    fc.assert(
      fc.property(broadcastableShapes, fc.integer(), fc.constantFrom<DType>('float32', 'float16', 'int32', 'int64'), ([sa, sb], seed, dt) => {
        const a = filled(sa, seed, dt);
        const b = filled(sb, seed + 7, dt);
        for (const op of ['Add', 'Mul']) {
          const ab = runOp1(op, [a, b]);
          const ba = runOp1(op, [b, a]);
          expect(Array.from(ab.data as ArrayLike<unknown>)).toEqual(Array.from(ba.data as ArrayLike<unknown>));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('variadic Max/Sum broadcast all inputs together (property)', () => {
    fc.assert(
      fc.property(broadcastableShapes, fc.integer(), ([sa, sb], seed) => {
        const sc = sa.slice(-1);
        const ins = [filled(sa, seed), filled(sb, seed + 1), filled(sc, seed + 2)];
        const out = numpyBroadcast([sa, sb, sc])!;
        const tiled = ins.map((t) => tileTo(t, out));
        const mx = runOp1('Max', ins);
        const sm = runOp1('Sum', ins);
        const n = out.reduce((p, q) => p * q, 1);
        const eMax: number[] = [];
        const eSum: number[] = [];
        for (let i = 0; i < n; i++) {
          eMax.push(Math.max(...tiled.map((t) => t.get(i))));
          eSum.push(f32(f32(tiled[0].get(i) + tiled[1].get(i)) + tiled[2].get(i)));
        }
        expectClose(mx, eMax, { rtol: 0, atol: 0, shape: out });
        expectClose(sm, eSum, { rtol: 0, atol: 0, shape: out });
      }),
      { numRuns: 50 },
    );
  });

  it('unbroadcastable shapes give a ShapeError in inference and at run time (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 5 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), (p, q, rest) => {
        fc.pre(p !== q);
        const a = tensor('float32', new Array(p * rest.reduce((x, y) => x * y, 1)).fill(1), [p, ...rest]);
        const b = tensor('float32', new Array(q * rest.reduce((x, y) => x * y, 1)).fill(1), [q, ...rest]);
        expect(() => runOp1('Add', [a, b])).toThrow(ShapeError);
        expect(() => runNode(node('Mul', 2), [a, b])).toThrow(ShapeError);
        expect(() => inferTypes('Sub', [{ dtype: 'float32', shape: a.shape }, { dtype: 'float32', shape: b.shape }])).toThrow(ShapeError);
      }),
      { numRuns: 30 },
    );
  });

  it('handles scalars, size-0 dims and symbolic dims', () => {
    const s = tensor('float32', 2, []);
    expectClose(runOp1('Mul', [s, s]), [4], { shape: [] });
    const e = tensor('float32', [], [2, 0]);
    expect([...runOp1('Add', [e, tensor('float32', [1], [1])]).shape]).toEqual([2, 0]);
    expect([...runOp1('Add', [e, tensor('float32', [], [0])]).shape]).toEqual([2, 0]);
    expect(inferTypes('Add', [{ dtype: 'float32', shape: ['batch', 3] }, { dtype: 'float32', shape: [3] }])[0].shape).toEqual(['batch', 3]);
    expect(inferTypes('Max', [{ dtype: 'float32', shape: ['n', 1] }, { dtype: 'float32', shape: [1, 'm'] }, { dtype: 'float32', shape: [] }])[0].shape).toEqual(['n', 'm']);
    expect(inferTypes('Where', [{ dtype: 'bool', shape: ['n', 1] }, { dtype: 'int64', shape: [4] }, { dtype: 'int64', shape: [1] }])[0]).toEqual({ dtype: 'int64', shape: ['n', 4] });
    expect(inferTypes('Less', [{ dtype: 'float16', shape: ['s'] }, { dtype: 'float16', shape: [] }])[0]).toEqual({ dtype: 'bool', shape: ['s'] });
    expect(inferTypes('Relu', [{ dtype: 'float32', shape: ['b', 'c'] }])[0]).toEqual({ dtype: 'float32', shape: ['b', 'c'] });
  });

  it('does not mutate its inputs', () => {
    const a = tensor('float32', [1, -2, 3], [3]);
    const b = tensor('float32', [5], [1]);
    const before = [a.toNumbers(), b.toNumbers()];
    runOp1('Sub', [a, b]);
    runOp1('Relu', [a]);
    runOp1('Clip', [a, tensor('float32', 0, []), tensor('float32', 1, [])]);
    expect([a.toNumbers(), b.toNumbers()]).toEqual(before);
  });
});

// ------------------------------------------------------------------ arithmetic

describe('Add, Sub, Mul, Div', () => {
  it('compute float32 results rounded once', () => {
    const a = tensor('float32', [1, 0.1, 1e30, -3]);
    const b = tensor('float32', [2 ** -24, 0.2, 1e30, 7]);
    const av = a.toNumbers();
    const bv = b.toNumbers();
    expectClose(runOp1('Add', [a, b]), av.map((x, i) => f32(x + bv[i])), { rtol: 0, atol: 0 });
    expectClose(runOp1('Sub', [a, b]), av.map((x, i) => f32(x - bv[i])), { rtol: 0, atol: 0 });
    expectClose(runOp1('Mul', [a, b]), av.map((x, i) => f32(x * bv[i])), { rtol: 0, atol: 0 });
    expectClose(runOp1('Div', [a, b]), av.map((x, i) => f32(x / bv[i])), { rtol: 0, atol: 0 });
    expect(runOp1('Mul', [a, b]).get(2)).toBe(Infinity); // 1e60 overflows float32
  });

  it('compute float16/bfloat16 in float32 and round to the type', () => {
    const a = tensor('float16', [65504, 1, 0.1, 3]);
    const b = tensor('float16', [65504, 2 ** -11, 0.2, 3]);
    const av = a.toNumbers();
    const bv = b.toNumbers();
    const c = runOp1('Add', [a, b]);
    expect(c.dtype).toBe('float16');
    expectClose(c, av.map((x, i) => f16(f32(x + bv[i]))), { rtol: 0, atol: 0 });
    expect(c.get(0)).toBe(Infinity);
    expect(c.get(1)).toBe(1); // 1 + 2^-11 is a tie in float16: rounds to even
    const bf = runOp1('Mul', [tensor('bfloat16', [3, 1.5]), tensor('bfloat16', [1 / 3, 1.5])]);
    expect(bf.dtype).toBe('bfloat16');
    const third = tensor('bfloat16', [1 / 3]).get(0);
    expect(bf.toNumbers()).toEqual([tensor('bfloat16', [f32(3 * third)]).get(0), 2.25]);
    expectClose(runOp1('Div', [tensor('float64', [1, 2]), tensor('float64', [3, 0])]), [1 / 3, Infinity], { rtol: 0, atol: 0 });
  });

  it('wrap integers to their width', () => {
    expect(runOp1('Add', [tensor('int8', [127, -128]), tensor('int8', [1, -1])]).toNumbers()).toEqual([-128, 127]);
    expect(runOp1('Sub', [tensor('uint8', [0, 5]), tensor('uint8', [1, 10])]).toNumbers()).toEqual([255, 251]);
    expect(runOp1('Mul', [tensor('int32', [65536, 46341]), tensor('int32', [65536, 46341])]).toNumbers()).toEqual([0, (46341 * 46341) | 0]);
    expect(runOp1('Mul', [tensor('uint32', [4294967295]), tensor('uint32', [4294967295])]).toNumbers()).toEqual([1]);
    expect(runOp1('Add', [tensor('uint16', [65535]), tensor('uint16', [2])]).toNumbers()).toEqual([1]);
    expect(runOp1('Mul', [tensor('int16', [300]), tensor('int16', [300])]).toNumbers()).toEqual([(90000 << 16) >> 16]);
  });

  it('keep int64/uint64 exact beyond 2^53', () => {
    const big = 2n ** 53n + 1n;
    const a = tensor('int64', [big, -big, 9223372036854775807n]);
    const b = tensor('int64', [1n, -2n, 1n]);
    expect(bigs(runOp1('Add', [a, b]))).toEqual([big + 1n, -big - 2n, -9223372036854775808n]);
    expect(bigs(runOp1('Sub', [a, b]))).toEqual([big - 1n, -big + 2n, 9223372036854775806n]);
    expect(bigs(runOp1('Mul', [a, b]))).toEqual([big, 2n * big, 9223372036854775807n]);
    expect(bigs(runOp1('Mul', [tensor('int64', [2n ** 62n, 3037000500n]), tensor('int64', [4n, 3037000500n])]))).toEqual([0n, BigInt.asIntN(64, 3037000500n * 3037000500n)]);
    const u = tensor('uint64', [2n ** 64n - 1n, 2n ** 63n + 3n]);
    expect(Array.from(runOp1('Add', [u, tensor('uint64', [1n])]).data as BigUint64Array)).toEqual([0n, 2n ** 63n + 4n]);
    expect(Array.from(runOp1('Div', [u, tensor('uint64', [3n])]).data as BigUint64Array)).toEqual([(2n ** 64n - 1n) / 3n, (2n ** 63n + 3n) / 3n]);
  });

  it('truncates integer division toward zero', () => {
    const a = tensor('int32', [-7, 7, -7, 7, 0, -1]);
    const b = tensor('int32', [2, 2, -2, -2, 5, 2]);
    expect(runOp1('Div', [a, b]).toNumbers()).toEqual([-3, 3, 3, -3, 0, 0]);
    expect(runOp1('Div', [tensor('int8', [-128]), tensor('int8', [-1])]).toNumbers()).toEqual([-128]); // overflow wraps
    expect(runOp1('Div', [tensor('uint8', [255, 7]), tensor('uint8', [2, 8])]).toNumbers()).toEqual([127, 0]);
    const big = -(2n ** 60n) - 3n;
    expect(bigs(runOp1('Div', [tensor('int64', [big, -9223372036854775808n]), tensor('int64', [2n, -1n])]))).toEqual([-(2n ** 59n) - 1n, -9223372036854775808n]);
  });

  it('integer division truncation matches Math.trunc (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -50, max: 50 }).filter((d) => d !== 0)), { minLength: 1, maxLength: 20 }), (pairs) => {
        const r = runOp1('Div', [tensor('int32', pairs.map((p) => p[0])), tensor('int32', pairs.map((p) => p[1]))]);
        expect(r.toNumbers()).toEqual(pairs.map(([x, y]) => Math.trunc(x / y) + 0));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects integer division by zero with an ArgumentError; floats give Inf/NaN', () => {
    expect(() => runOp1('Div', [tensor('int32', [1, 2]), tensor('int32', [1, 0])])).toThrow(ArgumentError);
    const f = runOp1('Div', [tensor('float32', [1, -1, 0]), tensor('float32', [0, 0, 0])]);
    expectClose(f, [Infinity, -Infinity, NaN]);
  });

  it('reject mixed or unsupported dtypes with a DTypeError', () => {
    expect(() => runOp1('Add', [tensor('float32', [1]), tensor('int32', [1])])).toThrow(DTypeError);
    expect(() => runNode(node('Add', 2), [tensor('float32', [1]), tensor('float16', [1])])).toThrow(DTypeError);
    expect(() => runOp1('Add', [tensor('bool', [1]), tensor('bool', [1])])).toThrow(DTypeError);
    expect(() => inferTypes('Mul', [{ dtype: 'int64', shape: [1] }, { dtype: 'int32', shape: [1] }])).toThrow(DTypeError);
    expect(() => runOp1('Sum', [tensor('int32', [1]), tensor('int32', [1])])).toThrow(DTypeError);
  });
});

describe('Add with a fused activation', () => {
  const pairs: [string, number[]][] = [['Relu', []], ['Clip', [-0.5, 0.75]], ['LeakyRelu', [0.1]], ['HardSwish', []], ['HardSigmoid', [0.25, 0.4]], ['Sigmoid', []], ['Tanh', []]];

  it('equals Add followed by the activation op (float32, float16)', () => {
    for (const dt of ['float32', 'float16'] as DType[]) {
      const a = tensor(dt, randomValues(24, 11, -3, 3), [4, 6]);
      const b = tensor(dt, randomValues(6, 12, -3, 3), [6]);
      for (const [act, params] of pairs) {
        const fused = runOp1('Add', [a, b], { activation: act, activation_params: params });
        const sum = runOp1('Add', [a, b]);
        const inputs = act === 'Clip' ? [sum, tensor(dt, params[0], []), tensor(dt, params[1], [])] : [sum];
        const attrs: Attrs = act === 'LeakyRelu' ? { alpha: params[0] } : act === 'HardSigmoid' ? { alpha: params[0], beta: params[1] } : {};
        const unfused = runOp1(act, inputs, attrs);
        expect(Array.from(fused.data as Uint16Array), `${dt} ${act}`).toEqual(Array.from(unfused.data as Uint16Array));
        // And the value is the fused function of the rounded sum.
        const fn = fusedActivationFn(act, params);
        const round = dt === 'float32' ? f32 : (x: number) => f16(x);
        expect(fused.toNumbers()).toEqual(sum.toNumbers().map((s) => round(fn(s))));
      }
    }
  });

  it('supports Relu and Clip exactly on integers and rejects the rest', () => {
    const a = tensor('int64', [2n ** 60n, -5n, 3n]);
    const b = tensor('int64', [1n, 2n, 4n]);
    expect(bigs(runOp1('Add', [a, b], { activation: 'Relu' }))).toEqual([2n ** 60n + 1n, 0n, 7n]);
    expect(bigs(runOp1('Add', [a, b], { activation: 'Clip', activation_params: [-1, 6] }))).toEqual([6n, -1n, 6n]);
    expect(() => runOp1('Add', [a, b], { activation: 'Sigmoid' })).toThrow(DTypeError);
    expect(() => runOp1('Add', [a, b], { activation: 'Clip', activation_params: [0.5, 6] })).toThrow(AttributeError);
    expect(() => runOp1('Add', [tensor('float32', [1]), tensor('float32', [1])], { activation: 'Gelu' })).toThrow(AttributeError);
    expect(() => runOp1('Add', [tensor('float32', [1]), tensor('float32', [1])], { activation: 'Clip', activation_params: [1] })).toThrow(AttributeError);
  });
});

describe('Mod', () => {
  it('fmod=0 takes the sign of the divisor (integers)', () => {
    const a = tensor('int32', [-7, 7, -7, 7, 6, 0]);
    const b = tensor('int32', [3, 3, -3, -3, 3, -4]);
    expect(runOp1('Mod', [a, b]).toNumbers()).toEqual([2, 1, -1, -2, 0, 0]);
    expect(runOp1('Mod', [tensor('uint8', [250, 7]), tensor('uint8', [7, 250])]).toNumbers()).toEqual([5, 7]);
  });

  it('fmod=1 takes the sign of the dividend (integers and floats)', () => {
    const a = tensor('int32', [-7, 7, -7, 7]);
    const b = tensor('int32', [3, 3, -3, -3]);
    expect(runOp1('Mod', [a, b], { fmod: 1 }).toNumbers()).toEqual([-1, 1, -1, 1]);
    const fa = tensor('float32', [-7.5, 7.5, 5, 1, -0.25]);
    const fb = tensor('float32', [2, -2, Infinity, 0, 0.1]);
    const r = runOp1('Mod', [fa, fb], { fmod: 1 });
    expectClose(r, [-1.5, 1.5, 5, NaN, f32(-0.25 % f32(0.1))], { rtol: 0, atol: 0 });
    expectClose(runOp1('Mod', [tensor('float16', [5.5]), tensor('float16', [2])], { fmod: 1 }), [1.5], { rtol: 0, atol: 0 });
  });

  it('works on int64 beyond 2^53 and matches Python % (property)', () => {
    expect(bigs(runOp1('Mod', [tensor('int64', [-(2n ** 62n) - 1n]), tensor('int64', [10n])]))).toEqual([5n]);
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).filter((d) => d !== 0n), (x, y) => {
        const r = bigs(runOp1('Mod', [tensor('int64', [x]), tensor('int64', [y])]))[0];
        const py = ((x % y) + y) % y; // Python floor-mod
        expect(r).toBe(py);
        expect(r === 0n || r < 0n === y < 0n).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects fmod=0 on floats, fmod=2 and integer modulo by zero', () => {
    expect(() => runOp1('Mod', [tensor('float32', [1]), tensor('float32', [1])])).toThrow(AttributeError);
    expect(() => runOp1('Mod', [tensor('int32', [1]), tensor('int32', [1])], { fmod: 2 })).toThrow(AttributeError);
    expect(() => runOp1('Mod', [tensor('int32', [1]), tensor('int32', [0])])).toThrow(ArgumentError);
  });
});

describe('Pow', () => {
  it('float base with float or integer exponent', () => {
    const r = runOp1('Pow', [tensor('float32', [2, 3, -8, 1, -1, 0]), tensor('float32', [3, 0.5, 1 / 3, NaN, Infinity, -1])]);
    expectClose(r, [8, f32(Math.sqrt(3)), NaN, 1, 1, Infinity], { rtol: 0, atol: 0 });
    expectClose(runOp1('Pow', [tensor('float64', [2, 10]), tensor('int64', [10n, -2n])]), [1024, 0.01], { rtol: 0, atol: 0 });
    expectClose(runOp1('Pow', [tensor('float16', [1.5]), tensor('uint8', [3])]), [3.375], { rtol: 0, atol: 0 });
    expectClose(runOp1('Pow', [tensor('bfloat16', [2]), tensor('float32', [0.5])]), [tensor('bfloat16', [Math.SQRT2]).get(0)], { rtol: 0, atol: 0 });
    expect([...runOp1('Pow', [tensor('float32', [1, 2, 3, 4], [2, 2]), tensor('int32', [2], [1])]).toNumbers()]).toEqual([1, 4, 9, 16]);
  });

  it('integer base with integer exponent is exact and wraps', () => {
    expect(runOp1('Pow', [tensor('int32', [3, -2, 2, 7]), tensor('int32', [4, 3, 31, 0])]).toNumbers()).toEqual([81, -8, -2147483648, 1]);
    expect(bigs(runOp1('Pow', [tensor('int64', [3n, 10n]), tensor('int64', [40n, 18n])]))).toEqual([BigInt.asIntN(64, 3n ** 40n), 10n ** 18n]);
    expect(bigs(runOp1('Pow', [tensor('int64', [3n]), tensor('int64', [2n ** 62n])]))).toEqual([BigInt.asIntN(64, modPow(3n, 2n ** 62n))]);
    // Negative exponents: the true value truncated toward zero.
    expect(runOp1('Pow', [tensor('int32', [2, 1, -1, -1]), tensor('int32', [-1, -5, -3, -2])]).toNumbers()).toEqual([0, 1, -1, 1]);
    expect(() => runOp1('Pow', [tensor('int32', [0]), tensor('int32', [-1])])).toThrow(ArgumentError);
  });

  it('integer base with float exponent truncates like Cast', () => {
    expect(runOp1('Pow', [tensor('int32', [2, 10, 3]), tensor('float32', [0.5, 10, -1])]).toNumbers()).toEqual([1, 2147483647, 0]);
  });

  it('rejects unsupported base types', () => {
    expect(() => runOp1('Pow', [tensor('int8', [2]), tensor('int8', [2])])).toThrow(DTypeError);
  });
});

/** 3^e mod 2^64 by square-and-multiply (independent of the implementation's wrapping). */
function modPow(b: bigint, e: bigint): bigint {
  const m = 2n ** 64n;
  let r = 1n;
  let x = b % m;
  while (e > 0n) {
    if (e & 1n) r = (r * x) % m;
    x = (x * x) % m;
    e >>= 1n;
  }
  return r;
}

describe('Min, Max, Sum, Mean', () => {
  it('propagate NaN through Min and Max', () => {
    const a = tensor('float32', [NaN, 1, 2, -Infinity]);
    const b = tensor('float32', [1, NaN, 3, 0]);
    expectClose(runOp1('Max', [a, b]), [NaN, NaN, 3, 0]);
    expectClose(runOp1('Min', [a, b]), [NaN, NaN, 2, -Infinity]);
    expectClose(runOp1('Max', [tensor('float16', [1, NaN])]), [1, NaN]); // a single input is copied
  });

  it('compare integers exactly', () => {
    const a = tensor('int64', [2n ** 53n + 1n, -5n]);
    const b = tensor('int64', [2n ** 53n, -(2n ** 60n)]);
    expect(bigs(runOp1('Max', [a, b]))).toEqual([2n ** 53n + 1n, -5n]);
    expect(bigs(runOp1('Min', [a, b, tensor('int64', [0n], [1])]))).toEqual([0n, -(2n ** 60n)]);
    expect(runOp1('Max', [tensor('uint8', [200, 3]), tensor('uint8', [100, 250])]).toNumbers()).toEqual([200, 250]);
    expect(runOp1('Min', [tensor('int8', [-128, 3], [2, 1]), tensor('int8', [0, 5])]).toNumbers()).toEqual([-128, -128, 0, 3]);
  });

  it('Sum accumulates left to right in float32 for the 32- and 16-bit floats', () => {
    const one = tensor('float32', [1]);
    const tiny = tensor('float32', [2 ** -24]);
    // (1 + 2^-24) rounds to 1 (tie to even), twice; in float64 the sum would be 1 + 2^-23.
    expect(runOp1('Sum', [one, tiny, tiny]).get(0)).toBe(1);
    expect(runOp1('Sum', [tiny, tiny, one]).get(0)).toBe(f32(1 + 2 ** -23));
    expect(runOp1('Sum', [tensor('float64', [1]), tensor('float64', [2 ** -53]), tensor('float64', [2 ** -53])]).get(0)).toBe(1);
    const h = runOp1('Sum', [tensor('float16', [2048]), tensor('float16', [1]), tensor('float16', [1])]);
    expect(h.get(0)).toBe(2050); // float32 partial sums, then rounding to float16 (2050 is representable)
  });

  it('Mean divides the sum by the input count, with broadcasting', () => {
    const a = tensor('float32', [1, 2, 3, 4], [2, 2]);
    const b = tensor('float32', [10, 20], [2]);
    const c = tensor('float32', [0.5], []);
    expectClose(runOp1('Mean', [a, b, c]), [1 + 10 + 0.5, 2 + 20 + 0.5, 3 + 10 + 0.5, 4 + 20 + 0.5].map((s) => f32(s / 3)), { rtol: 0, atol: 0, shape: [2, 2] });
    expectClose(runOp1('Mean', [tensor('bfloat16', [3])]), [3]);
    expectClose(runOp1('Mean', [tensor('float64', [1]), tensor('float64', [2])]), [1.5]);
  });
});

describe('PRelu', () => {
  it('broadcasts slope to X (per channel)', () => {
    const x = tensor('float32', [-1, 2, -3, 4, -5, 6], [1, 2, 3]);
    const slope = tensor('float32', [0.5, 0.25], [2, 1]);
    expectClose(runOp1('PRelu', [x, slope]), [-0.5, 2, -1.5, 4, -1.25, 6], { shape: [1, 2, 3] });
    expectClose(runOp1('PRelu', [tensor('float16', [NaN, -2]), tensor('float16', [0.5], [])]), [NaN, -1]);
    expect(runOp1('PRelu', [tensor('int32', [-3, 3]), tensor('int32', [2, 2])]).toNumbers()).toEqual([-6, 3]);
    expect(bigs(runOp1('PRelu', [tensor('int64', [-(2n ** 60n)]), tensor('int64', [3n])]))).toEqual([-(3n * 2n ** 60n)]);
    expect(Array.from(runOp1('PRelu', [tensor('uint64', [5n]), tensor('uint64', [3n])]).data as BigUint64Array)).toEqual([5n]);
  });

  it('rejects a slope that would grow X', () => {
    expect(() => runOp1('PRelu', [tensor('float32', [1, 2], [2]), tensor('float32', [1, 2, 3, 4], [2, 2])])).toThrow(ShapeError);
    expect(() => runOp1('PRelu', [tensor('float32', [1, 2], [2, 1]), tensor('float32', [1, 2, 3], [3])])).toThrow(ShapeError);
    expect(() => inferTypes('PRelu', [{ dtype: 'float32', shape: ['n', 3] }, { dtype: 'float32', shape: [2, 1, 3] }])).toThrow(ShapeError);
    expect(inferTypes('PRelu', [{ dtype: 'float32', shape: ['n', 3] }, { dtype: 'float32', shape: [3] }])[0].shape).toEqual(['n', 3]);
  });
});

describe('BitShift and Bitwise ops', () => {
  it('shifts unsigned integers, dropping bits shifted out', () => {
    const x = tensor('uint8', [16, 4, 1, 255]);
    const y = tensor('uint8', [1, 2, 8, 4]);
    expect(runOp1('BitShift', [x, y], { direction: 'LEFT' }).toNumbers()).toEqual([32, 16, 0, 240]);
    expect(runOp1('BitShift', [x, y], { direction: 'RIGHT' }).toNumbers()).toEqual([8, 1, 0, 15]);
    const u = tensor('uint64', [2n ** 63n + 1n, 1n]);
    expect(Array.from(runOp1('BitShift', [u, tensor('uint64', [1n, 2n ** 63n])], { direction: 'LEFT' }).data as BigUint64Array)).toEqual([2n, 0n]);
    expect(Array.from(runOp1('BitShift', [u, tensor('uint64', [63n], [1])], { direction: 'RIGHT' }).data as BigUint64Array)).toEqual([1n, 0n]);
    expect(runOp1('BitShift', [tensor('uint32', [1]), tensor('uint32', [31])], { direction: 'LEFT' }).toNumbers()).toEqual([2 ** 31]);
    expect(runOp1('BitShift', [tensor('uint16', [3]), tensor('uint16', [15])], { direction: 'LEFT' }).toNumbers()).toEqual([32768]);
  });

  it('validates direction and types', () => {
    expect(() => runOp1('BitShift', [tensor('uint8', [1]), tensor('uint8', [1])])).toThrow(AttributeError);
    expect(() => runOp1('BitShift', [tensor('uint8', [1]), tensor('uint8', [1])], { direction: 'UP' })).toThrow(AttributeError);
    expect(() => runOp1('BitShift', [tensor('int8', [1]), tensor('int8', [1])], { direction: 'LEFT' })).toThrow(DTypeError);
  });

  it('computes two\'s-complement bitwise logic', () => {
    expect(runOp1('BitwiseAnd', [tensor('int8', [-1, 12]), tensor('int8', [5, 10])]).toNumbers()).toEqual([5, 8]);
    expect(runOp1('BitwiseOr', [tensor('uint8', [0xf0]), tensor('uint8', [0x0f])]).toNumbers()).toEqual([255]);
    expect(runOp1('BitwiseXor', [tensor('int32', [-1]), tensor('int32', [0x0f0f])]).toNumbers()).toEqual([~0x0f0f]);
    expect(runOp1('BitwiseNot', [tensor('uint16', [0, 0xff])]).toNumbers()).toEqual([0xffff, 0xff00]);
    expect(bigs(runOp1('BitwiseNot', [tensor('int64', [0n, 2n ** 62n])]))).toEqual([-1n, -(2n ** 62n) - 1n]);
    expect(() => runOp1('BitwiseAnd', [tensor('float32', [1]), tensor('float32', [1])])).toThrow(DTypeError);
  });
});

// ------------------------------------------------------------------ logic and comparison

describe('logic and comparison', () => {
  const T = true;
  const F = false;

  it('And, Or, Xor, Not follow their truth tables with broadcasting', () => {
    const a = tensor('bool', [F, F, T, T], [4, 1]);
    const b = tensor('bool', [F, T], [2]);
    expect(runOp1('And', [a, b]).toNumbers()).toEqual([0, 0, 0, 0, 0, 1, 0, 1]);
    expect(runOp1('Or', [a, b]).toNumbers()).toEqual([0, 1, 0, 1, 1, 1, 1, 1]);
    expect(runOp1('Xor', [a, b]).toNumbers()).toEqual([0, 1, 0, 1, 1, 0, 1, 0]);
    expect(runOp1('Not', [b]).toNumbers()).toEqual([1, 0]);
    expect(() => runOp1('And', [tensor('float32', [1]), tensor('float32', [1])])).toThrow(DTypeError);
    expect(() => runOp1('Not', [tensor('int32', [1])])).toThrow(DTypeError);
  });

  it('compare floats with NaN unordered and +0 == -0', () => {
    const a = tensor('float32', [1, NaN, 0, 2, -1]);
    const b = tensor('float32', [1, NaN, -0, 1, 3]);
    expect(runOp1('Equal', [a, b]).toNumbers()).toEqual([1, 0, 1, 0, 0]);
    expect(runOp1('Less', [a, b]).toNumbers()).toEqual([0, 0, 0, 0, 1]);
    expect(runOp1('LessOrEqual', [a, b]).toNumbers()).toEqual([1, 0, 1, 0, 1]);
    expect(runOp1('Greater', [a, b]).toNumbers()).toEqual([0, 0, 0, 1, 0]);
    expect(runOp1('GreaterOrEqual', [a, b]).toNumbers()).toEqual([1, 0, 1, 1, 0]);
    expect(runOp1('Less', [tensor('float16', [0.1, 0.2]), tensor('float16', [0.2], [])]).toNumbers()).toEqual([1, 0]);
    expect(runOp1('Equal', [tensor('bool', [T, F]), tensor('bool', [T, T])]).toNumbers()).toEqual([1, 0]);
    expect(runOp1('Greater', [tensor('bfloat16', [1, 2]), tensor('bfloat16', [1.5])]).dtype).toBe('bool');
  });

  it('compare integers exactly, beyond 2^53 too', () => {
    const a = tensor('int64', [2n ** 53n + 1n, -(2n ** 63n)]);
    const b = tensor('int64', [2n ** 53n, -(2n ** 63n)]);
    expect(runOp1('Equal', [a, b]).toNumbers()).toEqual([0, 1]);
    expect(runOp1('Greater', [a, b]).toNumbers()).toEqual([1, 0]);
    expect(runOp1('LessOrEqual', [tensor('uint64', [2n ** 64n - 1n]), tensor('uint64', [2n ** 64n - 2n])]).toNumbers()).toEqual([0]);
    expect(runOp1('Less', [tensor('int8', [-128, 127]), tensor('int8', [0, 0])]).toNumbers()).toEqual([1, 0]);
  });

  it('comparisons agree with JS on random data (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 12 }), (pairs) => {
        const a = tensor('int32', pairs.map((p) => p[0]));
        const b = tensor('int32', pairs.map((p) => p[1]));
        expect(runOp1('Less', [a, b]).toNumbers()).toEqual(pairs.map(([x, y]) => (x < y ? 1 : 0)));
        expect(runOp1('GreaterOrEqual', [a, b]).toNumbers()).toEqual(pairs.map(([x, y]) => (x >= y ? 1 : 0)));
        expect(runOp1('Equal', [a, b]).toNumbers()).toEqual(pairs.map(([x, y]) => (x === y ? 1 : 0)));
      }),
      { numRuns: 50 },
    );
  });

  it('Where selects with broadcasting over all three inputs', () => {
    const c = tensor('bool', [T, F], [2, 1]);
    const x = tensor('float32', [1, 2, 3], [3]);
    const y = tensor('float32', [-1], []);
    expectClose(runOp1('Where', [c, x, y]), [1, 2, 3, -1, -1, -1], { shape: [2, 3] });
    const big = 2n ** 60n + 7n;
    expect(bigs(runOp1('Where', [tensor('bool', [F, T]), tensor('int64', [big]), tensor('int64', [-big, 3n])]))).toEqual([-big, big]);
    expect(runOp1('Where', [tensor('bool', [T, F]), tensor('bool', [F]), tensor('bool', [T])]).toNumbers()).toEqual([0, 1]);
    expect(runOp1('Where', [tensor('bool', [T, F]), tensor('int4', [-8, 7]), tensor('int4', [3, -1])]).toNumbers()).toEqual([-8, -1]);
    expect(Array.from(runOp1('Where', [tensor('bool', [T]), tensor('float16', [0.1]), tensor('float16', [2])]).data as Uint16Array)).toEqual([float32ToFloat16Bits(0.1)]);
    expect(() => runOp1('Where', [tensor('int32', [1]), x, x])).toThrow(DTypeError);
    expect(() => runOp1('Where', [tensor('bool', [T]), x, tensor('float64', [1])])).toThrow(DTypeError);
    expect(() => runOp1('Where', [tensor('bool', [T, F]), x, y])).toThrow(ShapeError);
  });
});

// ------------------------------------------------------------------ every declared dtype

describe('every declared dtype', () => {
  /** Attributes an op needs to run. */
  const ATTRS: Record<string, Attrs> = { BitShift: { direction: 'LEFT' }, Mod: { fmod: 1 }, Cast: { to: 'float32' } };
  const sample = (dt: DType, n: number, seed: number): Tensor => {
    if (dt === 'bool') return tensor('bool', Array.from({ length: n }, (_, i) => i % 2));
    const r = rng(seed);
    if (dt.startsWith('float') || dt === 'bfloat16') return tensor(dt, Array.from({ length: n }, () => 0.25 + 1.5 * r()));
    return tensor(dt, Array.from({ length: n }, () => 1 + Math.floor(3 * r())));
  };

  it('runs each elementwise op on each dtype it declares, agreeing with inference', () => {
    let cases = 0;
    for (const s of allSchemas().filter((x) => x.group === 'elementwise')) {
      const spec = s.inputs[0];
      const allowed = typeof spec.type === 'string' ? s.types![spec.type] : spec.type;
      for (const dt of allowed) {
        const inputs: (Tensor | undefined)[] = s.inputs.map((io, k) => {
          const types = typeof io.type === 'string' ? s.types![io.type] : io.type;
          const d = io.type === spec.type ? dt : types.includes(dt) ? dt : types[0];
          if (io.optional) return undefined;
          return sample(d, k === 0 ? 6 : 3, cases + k);
        });
        if (s.name === 'Where') inputs.splice(0, 3, sample('bool', 6, 1), sample(dt, 6, 2), sample(dt, 6, 3));
        if (s.inputs[0].variadic) inputs.push(sample(dt, 6, 9));
        const shaped = inputs.map((t) => (t && t.size === 3 ? t.reshape([3]) : t?.reshape([2, 3])));
        const out = runOp1(s.name, shaped, ATTRS[s.name] ?? {});
        expect(out.shape.length, `${s.name} ${dt}`).toBeGreaterThan(0);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(300);
  });

  it('float16/bfloat16 unary results equal the float64 result rounded through float32', () => {
    const xs = randomValues(16, 5, 0.1, 0.9);
    for (const op of ['Exp', 'Sqrt', 'Sin', 'Atanh', 'Erf', 'Sigmoid', 'Gelu', 'Mish', 'Softplus']) {
      const ref = runOp1(op, [tensor('float64', xs)]).toNumbers();
      for (const dt of ['float16', 'bfloat16'] as DType[]) {
        const x = tensor(dt, xs);
        const r64 = runOp1(op, [tensor('float64', x.toNumbers())]).toNumbers();
        const out = runOp1(op, [x]);
        expect(out.toNumbers(), `${op} ${dt}`).toEqual(r64.map((v) => tensor(dt, [f32(v)]).get(0)));
        expectClose(out, ref, { rtol: dt === 'float16' ? 3e-3 : 2e-2, atol: 1e-3 });
      }
    }
  });
});
