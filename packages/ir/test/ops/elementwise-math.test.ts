/**
 * erf/erfc (core/math.ts), the unary math ops and the activations, against known values (computed
 * with mpmath at 200 bits), float64 formulas written here, and identities.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, tensor, type Attrs, type DType, type Tensor } from '../../src/index.js';
import { erf, erfc } from '../../src/core/math.js';
import { fusedActivationFn } from '../../src/ops/fused-activation.js';
import { expectClose, randomValues, runOp1 } from '../helpers.js';

const f32 = Math.fround;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// ------------------------------------------------------------------ erf / erfc

/** [x, erf(x), erfc(x)] from mpmath (200-bit precision). */
const ERF_TABLE: [number, number, number][] = [
  [0.001, 0.0011283787909692363799, 0.99887162120903076362],
  [0.1, 0.1124629160182848922, 0.8875370839817151078],
  [0.25, 0.27632639016823693299, 0.72367360983176306701],
  [0.5, 0.52049987781304653768, 0.47950012218695346232],
  [0.75, 0.7111556336535151316, 0.2888443663464848684],
  [1, 0.84270079294971486934, 0.15729920705028513066],
  [1.5, 0.96610514647531072707, 0.033894853524689272933],
  [2, 0.99532226501895273416, 0.0046777349810472658379],
  [2.4, 0.99931148610335492143, 0.00068851389664507856974],
  [2.5, 0.99959304798255504106, 0.00040695201744495893956],
  [2.6, 0.9997639655834706508, 0.00023603441652934920399],
  [3, 0.99997790950300141456, 0.000022090496998585441373],
  [3.5, 0.99999925690162765859, 7.4309837234141274552e-7],
  [4, 0.99999998458274209972, 1.5417257900280018852e-8],
  [5, 0.99999999999846254021, 1.5374597944280348502e-12],
  [6, 0.99999999999999997848, 2.1519736712498913117e-17],
];

/** [x, erfc(x)] deep in the tail (mpmath). */
const ERFC_TAIL: [number, number][] = [
  [8, 1.122429717298292708e-29],
  [10, 2.088487583762544757e-45],
  [15, 7.2129941724512066666e-100],
  [20, 5.3958656116079009289e-176],
  [26, 5.6631924088561428465e-296],
];

/** The alternating Maclaurin series, fine in float64 for |x| < 1 where it barely cancels. */
function erfMaclaurin(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** The asymptotic expansion erfc(x) ~ e^(-x^2)/(x sqrt(pi)) * sum (-1)^n (2n-1)!! / (2x^2)^n, for large x. */
function erfcAsymptotic(x: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 12; n++) {
    term *= -(2 * n - 1) / (2 * x * x);
    sum += term;
  }
  return (Math.exp(-x * x) / (x * Math.sqrt(Math.PI))) * sum;
}

describe('erf and erfc', () => {
  it('match known values to 1e-14 relative', () => {
    for (const [x, e, c] of ERF_TABLE) {
      expect(rel(erf(x), e), `erf(${x})`).toBeLessThan(1e-14);
      expect(rel(erf(-x), -e), `erf(${-x})`).toBeLessThan(1e-14);
      expect(rel(erfc(x), c), `erfc(${x})`).toBeLessThan(1e-14);
      expect(rel(erfc(-x), 2 - c), `erfc(${-x})`).toBeLessThan(1e-15);
    }
    for (const [x, c] of ERFC_TAIL) expect(rel(erfc(x), c), `erfc(${x})`).toBeLessThan(1e-14);
  });

  it('agree with the Maclaurin series for |x| < 1 and the asymptotic series for x > 9', () => {
    for (const x of randomValues(200, 3, -1, 1)) expect(Math.abs(erf(x) - erfMaclaurin(x))).toBeLessThanOrEqual(1e-15 * Math.abs(erfMaclaurin(x)) + 1e-300);
    // Multiples of 1/64, so that x*x is exact in the test's own formula.
    for (const v of randomValues(50, 4, 9, 26)) {
      const x = Math.round(v * 64) / 64;
      expect(rel(erfc(x), erfcAsymptotic(x)), `erfc(${x})`).toBeLessThan(1e-14);
    }
  });

  it('satisfy erf(x) + erfc(x) = 1 and oddness (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
        expect(Math.abs(erf(x) + erfc(x) - 1)).toBeLessThan(4e-16);
        expect(erf(-x)).toBe(-erf(x));
        expect(Math.abs(erf(x))).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
  });

  it('is monotone across the switch between series and continued fraction (x = 1)', () => {
    let prev = erf(0.999);
    let prevC = erfc(0.999);
    for (let x = 0.999; x < 1.001; x += 1e-5) {
      expect(erf(x)).toBeGreaterThanOrEqual(prev);
      expect(erfc(x)).toBeLessThanOrEqual(prevC);
      prev = erf(x);
      prevC = erfc(x);
    }
    expect(erfc(1 - 1e-12)).toBeGreaterThan(erfc(1));
  });

  it('handles special values', () => {
    expect(erf(0)).toBe(0);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(30)).toBe(0);
    expect(erf(1e-300)).toBe(1e-300 * 1.1283791670955126);
  });
});

// ------------------------------------------------------------------ unary math ops

describe('unary math ops', () => {
  const xs = [-2.5, -1.5, -0.7, -0.5, 0, 0.3, 0.5, 1.5, 2.5, 3.7];

  it('Round rounds half to even; Floor, Ceil, Sign, Abs, Neg', () => {
    const x = tensor('float32', xs);
    expect(runOp1('Round', [x]).toNumbers()).toEqual([-2, -2, -1, -0, 0, 0, 0, 2, 2, 4]);
    expect(runOp1('Round', [tensor('float64', [4503599627370495.5, -0.49999999999999994, 1e300])]).toNumbers()).toEqual([4503599627370496, -0, 1e300]);
    expect(runOp1('Floor', [x]).toNumbers()).toEqual([-3, -2, -1, -1, 0, 0, 0, 1, 2, 3]);
    expect(runOp1('Ceil', [x]).toNumbers()).toEqual([-2, -1, -0, -0, 0, 1, 1, 2, 3, 4]);
    expect(runOp1('Sign', [tensor('float16', [-3, 0, 2, NaN])]).toNumbers()).toEqual([-1, 0, 1, NaN]);
    expect(runOp1('Sign', [tensor('uint8', [0, 200])]).toNumbers()).toEqual([0, 1]);
    expect(Array.from(runOp1('Sign', [tensor('int64', [-(2n ** 62n), 0n, 5n])]).data as BigInt64Array)).toEqual([-1n, 0n, 1n]);
    expect(runOp1('Abs', [tensor('int8', [-128, -3, 4])]).toNumbers()).toEqual([-128, 3, 4]);
    expect(runOp1('Abs', [tensor('bfloat16', [-1.5])]).toNumbers()).toEqual([1.5]);
    expect(runOp1('Neg', [tensor('int32', [-2147483648, 5])]).toNumbers()).toEqual([-2147483648, -5]);
    expect(Array.from(runOp1('Neg', [tensor('int64', [2n ** 53n + 1n])]).data as BigInt64Array)).toEqual([-(2n ** 53n) - 1n]);
    expect(() => runOp1('Neg', [tensor('uint8', [1])])).toThrow(DTypeError);
    expect(() => runOp1('Round', [tensor('int32', [1])])).toThrow(DTypeError);
  });

  it('transcendental functions equal the float64 function rounded once (float32, float64)', () => {
    const cases: [string, (x: number) => number, number, number][] = [
      ['Exp', Math.exp, -5, 5], ['Log', Math.log, 0.01, 100], ['Sqrt', Math.sqrt, 0, 50], ['Reciprocal', (x) => 1 / x, 0.1, 9],
      ['Sin', Math.sin, -7, 7], ['Cos', Math.cos, -7, 7], ['Tan', Math.tan, -1.5, 1.5], ['Asin', Math.asin, -1, 1], ['Acos', Math.acos, -1, 1],
      ['Atan', Math.atan, -9, 9], ['Sinh', Math.sinh, -4, 4], ['Cosh', Math.cosh, -4, 4], ['Asinh', Math.asinh, -9, 9], ['Acosh', Math.acosh, 1, 9],
      ['Atanh', Math.atanh, -0.99, 0.99], ['Erf', erf, -4, 4],
    ];
    for (const [op, f, lo, hi] of cases) {
      const v = randomValues(20, op.length, lo, hi);
      const x32 = tensor('float32', v);
      expectClose(runOp1(op, [x32]), x32.toNumbers().map((x) => f32(f(x))), { rtol: 0, atol: 0 });
      expectClose(runOp1(op, [tensor('float64', v)]), v.map(f), { rtol: 0, atol: 0 });
    }
  });

  it('identities: sin^2 + cos^2 = 1, exp(log x) = x, asinh(sinh x) = x', () => {
    const v = tensor('float64', randomValues(30, 8, 0.1, 3));
    const s = runOp1('Sin', [v]).toNumbers();
    const c = runOp1('Cos', [v]).toNumbers();
    s.forEach((si, i) => expect(Math.abs(si * si + c[i] * c[i] - 1)).toBeLessThan(1e-15));
    expectClose(runOp1('Exp', [runOp1('Log', [v])]), v.toNumbers(), { rtol: 1e-15, atol: 0 });
    expectClose(runOp1('Asinh', [runOp1('Sinh', [v])]), v.toNumbers(), { rtol: 1e-14, atol: 0 });
  });

  it('domain edges give NaN or Inf', () => {
    expectClose(runOp1('Log', [tensor('float32', [0, -1])]), [-Infinity, NaN]);
    expectClose(runOp1('Sqrt', [tensor('float32', [-1, Infinity])]), [NaN, Infinity]);
    expectClose(runOp1('Atanh', [tensor('float64', [1, -1, 2])]), [Infinity, -Infinity, NaN]);
    expectClose(runOp1('Reciprocal', [tensor('float16', [0, -0])]), [Infinity, -Infinity]);
    expectClose(runOp1('Exp', [tensor('float16', [12])]), [Infinity]); // e^12 > 65504
  });

  it('IsNaN and IsInf (both detect flags)', () => {
    const x = tensor('float32', [NaN, Infinity, -Infinity, 0, 3e38]);
    expect(runOp1('IsNaN', [x]).toNumbers()).toEqual([1, 0, 0, 0, 0]);
    expect(runOp1('IsInf', [x]).toNumbers()).toEqual([0, 1, 1, 0, 0]);
    expect(runOp1('IsInf', [x], { detect_negative: 0 }).toNumbers()).toEqual([0, 1, 0, 0, 0]);
    expect(runOp1('IsInf', [x], { detect_positive: 0 }).toNumbers()).toEqual([0, 0, 1, 0, 0]);
    expect(runOp1('IsInf', [x], { detect_positive: 0, detect_negative: 0 }).toNumbers()).toEqual([0, 0, 0, 0, 0]);
    expect(runOp1('IsNaN', [tensor('bfloat16', [NaN, 1])]).dtype).toBe('bool');
    expect(() => runOp1('IsInf', [x], { detect_positive: 2 })).toThrow(AttributeError);
    expect(() => runOp1('IsNaN', [tensor('int32', [1])])).toThrow(DTypeError);
  });
});

// ------------------------------------------------------------------ activations

/** Runs a float64 activation and compares with a formula. */
function check(op: string, formula: (x: number) => number, attrs: Attrs = {}, xs = randomValues(40, 21, -6, 6), rtol = 1e-14): void {
  expectClose(runOp1(op, [tensor('float64', xs)], attrs), xs.map(formula), { rtol, atol: 1e-300 });
}

describe('activations', () => {
  it('Relu keeps NaN and works on signed integers', () => {
    expectClose(runOp1('Relu', [tensor('float32', [-1, 0, 2, NaN, -Infinity])]), [0, 0, 2, NaN, 0]);
    expect(runOp1('Relu', [tensor('int8', [-128, 127])]).toNumbers()).toEqual([0, 127]);
    expect(Array.from(runOp1('Relu', [tensor('int64', [2n ** 60n + 1n, -1n])]).data as BigInt64Array)).toEqual([2n ** 60n + 1n, 0n]);
    expect(() => runOp1('Relu', [tensor('uint8', [1])])).toThrow(DTypeError);
  });

  it('fusable activations agree bitwise with fusedActivationFn', () => {
    const cases: [string, number[], Attrs][] = [
      ['Relu', [], {}], ['LeakyRelu', [0.3], { alpha: 0.3 }], ['LeakyRelu', [0.01], {}], ['HardSwish', [], {}],
      ['HardSigmoid', [0.3, 0.6], { alpha: 0.3, beta: 0.6 }], ['HardSigmoid', [0.2, 0.5], {}], ['Sigmoid', [], {}], ['Tanh', [], {}],
    ];
    for (const dt of ['float32', 'float16', 'float64'] as DType[]) {
      const x = tensor(dt, [...randomValues(30, 2, -8, 8), NaN, 0, -0]);
      for (const [op, params, attrs] of cases) {
        const fn = fusedActivationFn(op, params);
        const y = runOp1(op, [x], attrs);
        const expected = tensor(dt, x.toNumbers().map((v) => (dt === 'float64' ? fn(v) : f32(fn(v)))));
        expect(Array.from(y.data as ArrayLike<number>), `${op} ${dt}`).toEqual(Array.from(expected.data as ArrayLike<number>));
      }
    }
  });

  it('LeakyRelu, HardSigmoid, HardSwish by hand', () => {
    expectClose(runOp1('LeakyRelu', [tensor('float32', [-10, 5])]), [f32(-0.1), 5]);
    expectClose(runOp1('HardSigmoid', [tensor('float32', [-5, 0, 1, 5])]), [0, 0.5, 0.7, 1]);
    expectClose(runOp1('HardSwish', [tensor('float32', [-4, -1, 0, 1, 4])]), [0, -1 / 3, 0, 2 / 3, 4]);
    expectClose(runOp1('Sigmoid', [tensor('float64', [-800, 0, 800])]), [0, 0.5, 1], { rtol: 0, atol: 0 });
  });

  it('Elu, Selu, Celu, ThresholdedRelu match their formulas', () => {
    check('Elu', (x) => (x < 0 ? 1 * (Math.exp(x) - 1) : x), {}, undefined, 1e-12);
    check('Elu', (x) => (x < 0 ? 0.5 * (Math.exp(x) - 1) : x), { alpha: 0.5 }, undefined, 1e-12);
    const a = 1.6732632423543772848170429916717;
    const g = 1.0507009873554804934193349852946;
    check('Selu', (x) => (x > 0 ? g * x : g * (a * Math.exp(x) - a)), {}, undefined, 1e-7); // ONNX defaults are these constants rounded to float32
    check('Selu', (x) => (x > 0 ? 2 * x : 2 * (1.5 * Math.exp(x) - 1.5)), { alpha: 1.5, gamma: 2 }, undefined, 1e-12);
    check('Celu', (x) => Math.max(0, x) + Math.min(0, 1 * (Math.exp(x / 1) - 1)), {}, undefined, 1e-12);
    check('Celu', (x) => Math.max(0, x) + Math.min(0, 2 * (Math.exp(x / 2) - 1)), { alpha: 2 }, undefined, 1e-12);
    check('ThresholdedRelu', (x) => (x > 1 ? x : 0));
    check('ThresholdedRelu', (x) => (x > -0.5 ? x : 0), { alpha: -0.5 });
    expect(() => runOp1('Celu', [tensor('float32', [1])], { alpha: 0 })).toThrow(AttributeError);
    expectClose(runOp1('Elu', [tensor('float32', [-Infinity, Infinity])]), [-1, Infinity]);
  });

  it('Softplus, Softsign, Mish match their formulas and stay finite', () => {
    check('Softplus', (x) => Math.log(Math.exp(x) + 1), {}, undefined, 1e-13);
    check('Softsign', (x) => x / (1 + Math.abs(x)));
    check('Mish', (x) => x * Math.tanh(Math.log(1 + Math.exp(x))), {}, undefined, 1e-12);
    expectClose(runOp1('Softplus', [tensor('float64', [1000, -1000, -40])]), [1000, 0, Math.exp(-40)], { rtol: 1e-15, atol: 0 });
    expectClose(runOp1('Softsign', [tensor('float32', [Infinity, -Infinity])]), [1, -1]);
    expectClose(runOp1('Mish', [tensor('float32', [Infinity, -Infinity, -100])]), [Infinity, 0, f32(-100 * Math.exp(-100))], { rtol: 1e-6, atol: 0 });
  });

  it('Gelu (none) matches x * Phi(x) from known values and the erf formula', () => {
    const known: [number, number][] = [
      [-10, -7.619853024160526066e-23], [-5, -1.4332578593959695584e-6], [-3, -0.00404969409489028358], [-1, -0.15865525393145705141],
      [-0.5, -0.15426876936299344818], [0.5, 0.34573123063700655182], [1, 0.84134474606854294859], [3, 2.9959503059051097164],
    ];
    const y = runOp1('Gelu', [tensor('float64', known.map((k) => k[0]))]);
    known.forEach(([, e], i) => expect(rel(y.get(i), e), `gelu(${known[i][0]})`).toBeLessThan(1e-14));
    check('Gelu', (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), {}, randomValues(40, 9, -3, 6), 1e-13);
    expectClose(runOp1('Gelu', [tensor('float32', [-Infinity, Infinity, NaN])]), [0, Infinity, NaN]);
  });

  it("Gelu (tanh) matches 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))", () => {
    const k = Math.sqrt(2 / Math.PI);
    check('Gelu', (x) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x ** 3))), { approximate: 'tanh' }, randomValues(40, 10, -4, 6), 1e-12);
    const x32 = tensor('float32', randomValues(20, 12, -3, 3));
    const exact = runOp1('Gelu', [x32]).toNumbers();
    const approx = runOp1('Gelu', [x32], { approximate: 'tanh' }).toNumbers();
    approx.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(1e-3)); // the approximation is close
    expect(() => runOp1('Gelu', [x32], { approximate: 'erf' })).toThrow(AttributeError);
  });
});

describe('Clip', () => {
  const x = tensor('float32', [-3, -1, 0, 0.5, 2, NaN]);
  const s = (dt: DType, v: number | bigint): Tensor => tensor(dt, v, []);

  it('clips to [min, max], either optional; NaN passes through', () => {
    expectClose(runOp1('Clip', [x, s('float32', -1), s('float32', 1)]), [-1, -1, 0, 0.5, 1, NaN]);
    expectClose(runOp1('Clip', [x, s('float32', 0)]), [0, 0, 0, 0.5, 2, NaN]);
    expectClose(runOp1('Clip', [x, undefined, s('float32', 0)]), [-3, -1, 0, 0, 0, NaN]);
    expectClose(runOp1('Clip', [x]), [-3, -1, 0, 0.5, 2, NaN]);
  });

  it('sets everything to max when min > max (ONNX)', () => {
    expectClose(runOp1('Clip', [x, s('float32', 2), s('float32', 1)]), [1, 1, 1, 1, 1, 1]);
    expect(runOp1('Clip', [tensor('int32', [-5, 5]), s('int32', 3), s('int32', -3)]).toNumbers()).toEqual([-3, -3]);
  });

  it('works on integers exactly, on 16-bit floats, and with one-element bounds', () => {
    const big = 2n ** 60n;
    const r = runOp1('Clip', [tensor('int64', [-big, 0n, big + 5n]), s('int64', -big + 1n), s('int64', big)]);
    expect(Array.from(r.data as BigInt64Array)).toEqual([-big + 1n, 0n, big]);
    expect(runOp1('Clip', [tensor('uint8', [0, 100, 255]), s('uint8', 10), s('uint8', 200)]).toNumbers()).toEqual([10, 100, 200]);
    expect(runOp1('Clip', [tensor('int8', [-128, 127]), undefined, s('int8', 6)]).toNumbers()).toEqual([-128, 6]);
    expectClose(runOp1('Clip', [tensor('float16', [-1, 7]), s('float16', 0), s('float16', 6)]), [0, 6]);
    expectClose(runOp1('Clip', [tensor('bfloat16', [-1, 7]), tensor('bfloat16', [0], [1]), tensor('bfloat16', [6], [1, 1])]), [0, 6]);
  });

  it('rejects non-scalar bounds and mismatched dtypes', () => {
    expect(() => runOp1('Clip', [x, tensor('float32', [0, 1])])).toThrow(ShapeError);
    expect(() => runOp1('Clip', [x, s('float64', 0)])).toThrow(DTypeError);
    expect(() => runOp1('Clip', [tensor('bool', [1])])).toThrow(DTypeError);
  });
});
