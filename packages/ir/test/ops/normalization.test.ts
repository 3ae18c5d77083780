import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, tensor, type TensorType } from '../../src/index.js';
import { expectClose, inferTypes, randomValues, runOp, runOp1 } from '../helpers.js';

const f64 = (vals: number[], shape: number[]) => tensor('float64', vals, shape);
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const varOf = (xs: number[]) => meanOf(xs.map((x) => (x - meanOf(xs)) ** 2));

/** Flat indices of channel c of an [N, C, S...] tensor with `s` elements per (n, c). */
const channelIdx = (n: number, C: number, s: number, c: number) =>
  Array.from({ length: n * s }, (_, k) => (Math.floor(k / s) * C + c) * s + (k % s));

describe('BatchNormalization (inference)', () => {
  it('follows the ONNX example', () => {
    const x = tensor('float32', [[[[-1, 0, 1]], [[2, 3, 4]]]]);
    const y = runOp1('BatchNormalization', [x, tensor('float32', [1, 1.5]), tensor('float32', [0, 1]), tensor('float32', [0, 3]), tensor('float32', [1, 1.5])]);
    expectClose(y, [-0.999995, 0, 0.999995, -0.2247408, 1, 2.2247408], { rtol: 1e-6, shape: [1, 2, 1, 3] });
  });
  it('equals the formula on random inputs (rank 2, 3 and 4, custom epsilon)', () => {
    for (const shape of [[4, 3], [2, 3, 5], [2, 3, 2, 2]]) {
      const C = shape[1];
      const S = shape.slice(2).reduce((a, b) => a * b, 1);
      const xs = randomValues(shape.reduce((a, b) => a * b), 1, -5, 5);
      const [s, b, m] = [2, 3, 4].map((seed) => randomValues(C, seed, -2, 2));
      const v = randomValues(C, 5, 0.1, 3);
      const eps = 0.01;
      const y = runOp1('BatchNormalization', [f64(xs, shape), f64(s, [C]), f64(b, [C]), f64(m, [C]), f64(v, [C])], { epsilon: eps });
      const expected = xs.map((x, i) => {
        const c = Math.floor(i / S) % C;
        return (s[c] * (x - m[c])) / Math.sqrt(v[c] + eps) + b[c];
      });
      expectClose(y, expected, { rtol: 1e-12, atol: 1e-12, shape });
    }
  });
  it('supports float16 X with float32 parameters and bfloat16 statistics', () => {
    const x = tensor('float16', [[1, 2], [3, 4]]);
    const y = runOp1('BatchNormalization', [x, tensor('float32', [2, 1]), tensor('float32', [0, 1]), tensor('bfloat16', [1, 2]), tensor('bfloat16', [4, 1])], { epsilon: 0 });
    expect(y.dtype).toBe('float16');
    expectClose(y, [0, 1, 2, 3], { rtol: 1e-3 });
  });
});

describe('BatchNormalization (training mode)', () => {
  it('normalizes with batch statistics and updates the running ones (ONNX opset 15)', () => {
    const shape = [3, 2, 2, 3];
    const [N, C, S] = [3, 2, 6];
    const xs = randomValues(N * C * S, 21, -3, 3);
    const s = [1.5, -0.5];
    const b = [0.25, 1];
    const m = [0.1, -0.2];
    const v = [1.2, 0.7];
    const momentum = 0.8;
    const eps = 1e-3;
    const [y, rm, rv] = runOp('BatchNormalization', [f64(xs, shape), f64(s, [C]), f64(b, [C]), f64(m, [C]), f64(v, [C])], { training_mode: 1, momentum, epsilon: eps }, { outputs: 3 });
    const expected = new Array<number>(xs.length);
    const runMean: number[] = [];
    const runVar: number[] = [];
    for (let c = 0; c < C; c++) {
      const idx = channelIdx(N, C, S, c);
      const vals = idx.map((i) => xs[i]);
      const mu = meanOf(vals);
      const sigma2 = varOf(vals);
      runMean.push(m[c] * momentum + mu * (1 - momentum));
      runVar.push(v[c] * momentum + sigma2 * (1 - momentum));
      idx.forEach((i) => (expected[i] = (s[c] * (xs[i] - mu)) / Math.sqrt(sigma2 + eps) + b[c]));
    }
    expectClose(y, expected, { rtol: 1e-12, atol: 1e-12 });
    expectClose(rm, runMean, { rtol: 1e-12, shape: [C] });
    expectClose(rv, runVar, { rtol: 1e-12, shape: [C] });
  });
  it('returns running statistics in the dtype of input_mean', () => {
    const x = tensor('float32', [[1, 2], [3, 6]]);
    const one = tensor('float32', [1, 1]);
    const zero = tensor('float32', [0, 0]);
    const [y, rm, rv] = runOp('BatchNormalization', [x, one, zero, tensor('float64', [0, 0]), tensor('float64', [1, 1])], { training_mode: 1, epsilon: 0 }, { outputs: 3 });
    expectClose(y, [-1, -1, 1, 1], { rtol: 1e-6 });
    expect(rm.dtype).toBe('float64');
    // Default momentum 0.9: running = 0.9 * old + 0.1 * batch.
    expectClose(rm, [0.2, 0.4], { rtol: 1e-12 });
    expectClose(rv, [0.9 + 0.1, 0.9 + 0.4], { rtol: 1e-12 });
  });
  it('infers the running statistics as [C]', () => {
    const types = inferTypes('BatchNormalization', [
      { dtype: 'float32', shape: ['n', 8, 'h', 'w'] }, { dtype: 'float32', shape: [8] }, { dtype: 'float32', shape: [8] },
      { dtype: 'float32', shape: [8] }, { dtype: 'float32', shape: [8] },
    ], { training_mode: 1 }, 3);
    expect(types.slice(0, 3)).toEqual([
      { dtype: 'float32', shape: ['n', 8, 'h', 'w'] }, { dtype: 'float32', shape: [8] }, { dtype: 'float32', shape: [8] },
    ]);
  });
});

describe('BatchNormalization errors', () => {
  const x = tensor('float32', [[1, 2], [3, 4]]);
  const p = tensor('float32', [1, 1]);
  it('rejects parameter shapes that do not match C', () => {
    expect(() => runOp1('BatchNormalization', [x, tensor('float32', [1, 1, 1]), p, p, p])).toThrow(ShapeError);
    expect(() => runOp1('BatchNormalization', [x, p, p, tensor('float32', [[1, 1]]), p])).toThrow(/input_mean/);
    expect(() => runOp1('BatchNormalization', [tensor('float32', [1, 2]), p, p, p, p])).toThrow(/rank/);
  });
  it('rejects running outputs outside training mode, mixed dtypes and bad attributes', () => {
    expect(() => runOp('BatchNormalization', [x, p, p, p, p], {}, { outputs: 3 })).toThrow(AttributeError);
    expect(() => runOp1('BatchNormalization', [x, p, tensor('float64', [0, 0]), p, p])).toThrow(DTypeError);
    expect(() => runOp1('BatchNormalization', [x, p, p, p, p], { training_mode: 2 })).toThrow(AttributeError);
    expect(() => runOp1('BatchNormalization', [tensor('int32', [[1, 2]]), p, p, p, p])).toThrow(DTypeError);
  });
});

/** Layer norm over the trailing `inner` elements of each slice, by the textbook formula. */
function layerNormRef(xs: number[], inner: number, eps: number, scale?: (k: number) => number, bias?: (k: number) => number) {
  const y: number[] = [];
  const means: number[] = [];
  const invs: number[] = [];
  for (let o = 0; o < xs.length / inner; o++) {
    const slice = xs.slice(o * inner, (o + 1) * inner);
    const mu = meanOf(slice);
    const inv = 1 / Math.sqrt(varOf(slice) + eps);
    means.push(mu);
    invs.push(inv);
    slice.forEach((x, k) => y.push((x - mu) * inv * (scale ? scale(k) : 1) + (bias ? bias(k) : 0)));
  }
  return { y, means, invs };
}

describe('LayerNormalization', () => {
  const shape = [2, 3, 4];
  const xs = randomValues(24, 31, -4, 4);
  it('matches the formula for axis -1 with Scale and B, and returns Mean / InvStdDev', () => {
    const s = randomValues(4, 32, 0.5, 2);
    const b = randomValues(4, 33);
    const [y, mean, inv] = runOp('LayerNormalization', [f64(xs, shape), f64(s, [4]), f64(b, [4])], {}, { outputs: 3 });
    const ref = layerNormRef(xs, 4, 1e-5, (k) => s[k], (k) => b[k]);
    expectClose(y, ref.y, { rtol: 1e-6, atol: 1e-6, shape });
    expect(mean.dtype).toBe('float32');
    expectClose(mean, ref.means, { rtol: 1e-6, atol: 1e-7, shape: [2, 3, 1] });
    expectClose(inv, ref.invs, { rtol: 1e-6, shape: [2, 3, 1] });
  });
  it('normalizes from `axis` to the end (axis 1, Scale broadcast from [4])', () => {
    const s = randomValues(4, 34, 0.5, 2);
    const [y, mean] = runOp('LayerNormalization', [tensor('float32', xs, shape), tensor('float32', s, [4])], { axis: 1, epsilon: 1e-3 }, { outputs: 2 });
    const ref = layerNormRef(xs.map(Math.fround), 12, 1e-3, (k) => Math.fround(s[k % 4]));
    expectClose(y, ref.y, { rtol: 1e-5, atol: 1e-5 });
    expectClose(mean, ref.means, { rtol: 1e-6, atol: 1e-7, shape: [2, 1, 1] });
    const [z] = runOp('LayerNormalization', [tensor('float32', xs, shape), tensor('float32', Array(12).fill(1), [3, 4])], { axis: -2 });
    expectClose(z, layerNormRef(xs.map(Math.fround), 12, 1e-5).y, { rtol: 1e-5, atol: 1e-5 });
  });
  it('supports float16 and bfloat16 inputs and stash_type=16', () => {
    const h = runOp1('LayerNormalization', [tensor('float16', [1, 2, 3, 4]), tensor('float16', [1, 1, 1, 1])], { epsilon: 0 });
    expect(h.dtype).toBe('float16');
    expectClose(h, layerNormRef([1, 2, 3, 4], 4, 0).y, { rtol: 2e-3, atol: 1e-3 });
    const bf = runOp1('LayerNormalization', [tensor('bfloat16', [1, 2, 3, 4]), tensor('bfloat16', [2, 2, 2, 2])], { epsilon: 0 });
    expectClose(bf, layerNormRef([1, 2, 3, 4], 4, 0).y.map((v) => 2 * v), { rtol: 1e-2, atol: 1e-2 });
    const [y, mean, inv] = runOp('LayerNormalization', [tensor('float32', [1, 2, 3, 4]), tensor('float32', [1, 1, 1, 1])], { stash_type: 16, epsilon: 0 }, { outputs: 3 });
    expect(mean.dtype).toBe('bfloat16');
    expect(inv.dtype).toBe('bfloat16');
    expectClose(mean, [2.5]);
    // 1 / sqrt(1.25) = 0.894427... rounds to bfloat16 0.89453125; the standardization uses that value.
    expectClose(inv, [0.89453125]);
    expectClose(y, [-1.5, -0.5, 0.5, 1.5].map((d) => d * 0.89453125), { rtol: 1e-2 });
  });
  it('without scale and bias, every normalized slice has mean 0 and variance 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 8 }), fc.nat(), fc.double({ min: 0.1, max: 1000, noNaN: true }), (rows, cols, seed, spread) => {
        const vals = randomValues(rows * cols, seed, -spread, spread);
        const y = runOp1('LayerNormalization', [f64(vals, [rows, cols]), f64(Array(cols).fill(1), [cols])], { epsilon: 0 });
        for (let r = 0; r < rows; r++) {
          const slice = y.toNumbers().slice(r * cols, (r + 1) * cols);
          // The default stash_type (1) keeps mean and 1/std in float32, so ~1e-7 relative per element.
          expect(Math.abs(meanOf(slice))).toBeLessThan(1e-5);
          expect(Math.abs(varOf(slice) - 1)).toBeLessThan(1e-4);
        }
      }),
      { numRuns: 80 },
    );
  });
  it('infers Y, Mean and InvStdDev with symbolic dims', () => {
    const t = inferTypes('LayerNormalization', [{ dtype: 'float16', shape: ['b', 's', 64] }, { dtype: 'float16', shape: [64] }], {}, 3);
    expect(t).toEqual([
      { dtype: 'float16', shape: ['b', 's', 64] }, { dtype: 'float32', shape: ['b', 's', 1] }, { dtype: 'float32', shape: ['b', 's', 1] },
    ]);
  });
  it('rejects bad axes, mismatched Scale/B and bad stash_type', () => {
    const x = tensor('float32', xs, shape);
    expect(() => runOp1('LayerNormalization', [x, tensor('float32', [1, 1, 1], [3])])).toThrow(ShapeError);
    expect(() => runOp1('LayerNormalization', [x, tensor('float32', Array(4).fill(1), [4]), tensor('float32', [0, 0], [2])])).toThrow(/B has shape/);
    expect(() => runOp1('LayerNormalization', [x, tensor('float32', Array(4).fill(1), [4])], { axis: 3 })).toThrow(ShapeError);
    expect(() => runOp1('LayerNormalization', [x, tensor('float64', Array(4).fill(1), [4])])).toThrow(DTypeError);
    expect(() => runOp1('LayerNormalization', [x, tensor('float32', Array(4).fill(1), [4])], { stash_type: 7 })).toThrow(AttributeError);
  });
});

/** Group norm by the formula: per (n, group) statistics, per channel scale and bias. */
function groupNormRef(xs: number[], N: number, C: number, S: number, G: number, eps: number, s: number[], b: number[]): number[] {
  const y = new Array<number>(xs.length);
  const per = C / G;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const idx: number[] = [];
      for (let c = g * per; c < (g + 1) * per; c++) for (let k = 0; k < S; k++) idx.push((n * C + c) * S + k);
      const vals = idx.map((i) => xs[i]);
      const mu = meanOf(vals);
      const sd = Math.sqrt(varOf(vals) + eps);
      idx.forEach((i) => {
        const c = Math.floor(i / S) % C;
        y[i] = (s[c] * (xs[i] - mu)) / sd + b[c];
      });
    }
  }
  return y;
}

describe('InstanceNormalization', () => {
  it('follows the ONNX example', () => {
    const x = tensor('float32', [[[[-1, 0, 1]], [[2, 3, 4]]]]);
    const y = runOp1('InstanceNormalization', [x, tensor('float32', [1, 1.5]), tensor('float32', [0, 1])]);
    // mean 0 / 3, variance 2/3 per channel.
    const k = 1 / Math.sqrt(2 / 3 + 1e-5);
    expectClose(y, [-k, 0, k, 1 - 1.5 * k, 1, 1 + 1.5 * k], { rtol: 1e-6 });
  });
  it('equals the formula on random data and on float16', () => {
    const [N, C, S] = [2, 3, 5];
    const xs = randomValues(N * C * S, 41, -3, 3);
    const s = randomValues(C, 42);
    const b = randomValues(C, 43);
    const y = runOp1('InstanceNormalization', [f64(xs, [N, C, S]), f64(s, [C]), f64(b, [C])], { epsilon: 0.1 });
    expectClose(y, groupNormRef(xs, N, C, S, C, 0.1, s, b), { rtol: 1e-12, atol: 1e-12 });
    const h = runOp1('InstanceNormalization', [tensor('float16', xs, [N, C, S]), tensor('float16', s, [C]), tensor('float16', b, [C])], { epsilon: 0.1 });
    expect(h.dtype).toBe('float16');
    expectClose(h, groupNormRef(xs, N, C, S, C, 0.1, s, b), { rtol: 5e-3, atol: 5e-3 });
  });
  it('rejects rank < 3 and mismatched parameters', () => {
    const p = tensor('float32', [1, 1]);
    expect(() => runOp1('InstanceNormalization', [tensor('float32', [[1, 2]]), p, p])).toThrow(ShapeError);
    expect(() => runOp1('InstanceNormalization', [tensor('float32', [[[1, 2]], [[3, 4]]]), p, tensor('float32', [1])])).toThrow(ShapeError);
    expect(() => runOp1('InstanceNormalization', [tensor('float32', [[[1], [2]]]), p, tensor('float16', [1, 1])])).toThrow(DTypeError);
  });
});

describe('GroupNormalization', () => {
  const [N, C, S] = [2, 6, 4];
  const xs = randomValues(N * C * S, 51, -3, 3);
  const s = randomValues(C, 52, 0.5, 2);
  const b = randomValues(C, 53);
  it('equals the formula with per-channel scale and bias (opset 21)', () => {
    for (const G of [1, 2, 3, 6]) {
      const y = runOp1('GroupNormalization', [f64(xs, [N, C, 2, 2]), f64(s, [C]), f64(b, [C])], { num_groups: G, stash_type: 11 });
      expectClose(y, groupNormRef(xs, N, C, S, G, 1e-5, s, b), { rtol: 1e-12, atol: 1e-12 });
    }
  });
  it('standardizes in float32 by default (stash_type=1) and supports float16 / bfloat16', () => {
    const y = runOp1('GroupNormalization', [f64(xs, [N, C, S]), f64(s, [C]), f64(b, [C])], { num_groups: 3, epsilon: 1e-2 });
    expectClose(y, groupNormRef(xs, N, C, S, 3, 1e-2, s, b), { rtol: 1e-6, atol: 1e-6 });
    const h = runOp1('GroupNormalization', [tensor('float16', xs, [N, C, S]), tensor('float16', s, [C]), tensor('float16', b, [C])], { num_groups: 2 });
    expect(h.dtype).toBe('float16');
    expectClose(h, groupNormRef(xs, N, C, S, 2, 1e-5, s, b), { rtol: 1e-2, atol: 1e-2 });
    const bf = runOp1('GroupNormalization', [tensor('bfloat16', xs, [N, C, S]), tensor('bfloat16', s, [C]), tensor('bfloat16', b, [C])], { num_groups: 2, stash_type: 10 });
    expectClose(bf, groupNormRef(xs, N, C, S, 2, 1e-5, s, b), { rtol: 5e-2, atol: 5e-2 });
  });
  it('with num_groups = C equals InstanceNormalization', () => {
    const x = f64(xs, [N, C, S]);
    const a = runOp1('GroupNormalization', [x, f64(s, [C]), f64(b, [C])], { num_groups: C, stash_type: 11 });
    const i = runOp1('InstanceNormalization', [x, f64(s, [C]), f64(b, [C])]);
    expectClose(a, i.toNumbers(), { rtol: 1e-12, atol: 1e-12 });
  });
  it('rejects indivisible channels, bad num_groups and mismatched parameters', () => {
    const x = f64(xs, [N, C, S]);
    const p = f64(s, [C]);
    expect(() => runOp1('GroupNormalization', [x, p, p], { num_groups: 4 })).toThrow(ShapeError);
    expect(() => runOp1('GroupNormalization', [x, p, p], { num_groups: 0 })).toThrow(AttributeError);
    expect(() => runOp1('GroupNormalization', [x, p, p])).toThrow(AttributeError);
    expect(() => runOp1('GroupNormalization', [x, f64([1, 1, 1], [3]), p], { num_groups: 3 })).toThrow(/scale has shape/);
    expect(() => runOp1('GroupNormalization', [x, p, p], { num_groups: 3, stash_type: 2 })).toThrow(AttributeError);
  });
});

describe('LpNormalization', () => {
  it('divides by the L2 norm (default) and the L1 norm along an axis', () => {
    const x = tensor('float32', [[3, 4], [-6, 8]]);
    expectClose(runOp1('LpNormalization', [x]), [0.6, 0.8, -0.6, 0.8], { rtol: 1e-6 });
    expectClose(runOp1('LpNormalization', [x], { p: 1 }), [3 / 7, 4 / 7, -6 / 14, 8 / 14], { rtol: 1e-6 });
    expectClose(runOp1('LpNormalization', [x], { axis: 0 }), [3 / Math.hypot(3, 6), 4 / Math.hypot(4, 8), -6 / Math.hypot(3, 6), 8 / Math.hypot(4, 8)], { rtol: 1e-6 });
  });
  it('keeps zero lanes at zero and supports float16 / float64', () => {
    expectClose(runOp1('LpNormalization', [tensor('float64', [[0, 0], [1, 1]])]), [0, 0, Math.SQRT1_2, Math.SQRT1_2], { rtol: 1e-15 });
    expectClose(runOp1('LpNormalization', [tensor('float16', [1, 1, 1, 1])], { p: 1 }), [0.25, 0.25, 0.25, 0.25]);
  });
  it('rejects p other than 1 or 2 and bad axes', () => {
    expect(() => runOp1('LpNormalization', [tensor('float32', [1, 2])], { p: 3 })).toThrow(AttributeError);
    expect(() => runOp1('LpNormalization', [tensor('float32', [1, 2])], { axis: 1 })).toThrow(ShapeError);
  });
});

describe('MeanVarianceNormalization', () => {
  it('normalizes per channel over N, H, W by default', () => {
    const shape = [2, 3, 2, 2];
    const [N, C, S] = [2, 3, 4];
    const xs = randomValues(24, 61, -2, 5);
    const y = runOp1('MeanVarianceNormalization', [f64(xs, shape)]);
    const expected = new Array<number>(24);
    for (let c = 0; c < C; c++) {
      const idx = channelIdx(N, C, S, c);
      const vals = idx.map((i) => xs[i]);
      const mu = meanOf(vals);
      const sd = Math.sqrt(varOf(vals));
      idx.forEach((i) => (expected[i] = (xs[i] - mu) / (sd + 1e-9)));
    }
    expectClose(y, expected, { rtol: 1e-12, atol: 1e-12 });
  });
  it('honours custom (negative) axes and float16', () => {
    const xs = [1, 2, 3, 4, 10, 20, 30, 40];
    const y = runOp1('MeanVarianceNormalization', [tensor('float32', xs, [2, 4])], { axes: [-1] });
    const row = (r: number[]) => r.map((v) => (v - meanOf(r)) / (Math.sqrt(varOf(r)) + 1e-9));
    expectClose(y, [...row(xs.slice(0, 4)), ...row(xs.slice(4))], { rtol: 1e-6 });
    const h = runOp1('MeanVarianceNormalization', [tensor('float16', xs, [2, 4])], { axes: [0, 1] });
    expectClose(h, row(xs), { rtol: 2e-3, atol: 2e-3 });
  });
  it('rejects axes the input does not have', () => {
    expect(() => runOp1('MeanVarianceNormalization', [tensor('float32', [[[1, 2]]])])).toThrow(ShapeError);
    expect(() => runOp1('MeanVarianceNormalization', [tensor('float32', [[1, 2]])], { axes: [0, -2] })).toThrow(/more than once/);
  });
});

describe('LRN', () => {
  function lrnRef(xs: number[], N: number, C: number, S: number, size: number, alpha: number, beta: number, bias: number): number[] {
    return xs.map((x, i) => {
      const c = Math.floor(i / S) % C;
      const n = Math.floor(i / (S * C));
      const k = i % S;
      let sq = 0;
      for (let j = c - Math.floor((size - 1) / 2); j <= c + Math.ceil((size - 1) / 2); j++) if (j >= 0 && j < C) sq += xs[(n * C + j) * S + k] ** 2;
      return x / (bias + (alpha / size) * sq) ** beta;
    });
  }
  const [N, C, S] = [2, 5, 3];
  const xs = randomValues(N * C * S, 71, -3, 3);
  it('equals the ONNX formula for odd and even sizes', () => {
    for (const [size, alpha, beta, bias] of [[3, 1e-4, 0.75, 1], [2, 0.5, 0.5, 2], [5, 1, 1, 1], [1, 0.1, 0.75, 1]]) {
      const y = runOp1('LRN', [f64(xs, [N, C, S])], { size, alpha, beta, bias });
      expectClose(y, lrnRef(xs, N, C, S, size, alpha, beta, bias), { rtol: 1e-12 });
    }
  });
  it('uses the default alpha/beta/bias and supports float32 / float16', () => {
    const y = runOp1('LRN', [tensor('float32', xs, [N, C, 1, S])], { size: 3 });
    expectClose(y, lrnRef(xs.map(Math.fround), N, C, S, 3, 1e-4, 0.75, 1), { rtol: 1e-6 });
    const h = runOp1('LRN', [tensor('float16', xs, [N, C, S])], { size: 3, alpha: 1 });
    expectClose(h, lrnRef(xs, N, C, S, 3, 1, 0.75, 1), { rtol: 5e-3, atol: 2e-3 });
  });
  it('requires size >= 1 and rank >= 2', () => {
    expect(() => runOp1('LRN', [f64(xs, [N, C, S])])).toThrow(AttributeError);
    expect(() => runOp1('LRN', [f64(xs, [N, C, S])], { size: 0 })).toThrow(AttributeError);
    expect(() => runOp1('LRN', [f64([1, 2], [2])], { size: 1 })).toThrow(ShapeError);
  });
});

describe('normalization: shapes pass through inference', () => {
  it('keeps symbolic dims', () => {
    const x: TensorType = { dtype: 'float32', shape: ['n', 4, 'h', 'w'] };
    const p: TensorType = { dtype: 'float32', shape: [4] };
    expect(inferTypes('InstanceNormalization', [x, p, p])[0]).toEqual(x);
    expect(inferTypes('GroupNormalization', [x, p, p], { num_groups: 2 })[0]).toEqual(x);
    expect(inferTypes('LRN', [x], { size: 3 })[0]).toEqual(x);
    expect(inferTypes('MeanVarianceNormalization', [x])[0]).toEqual(x);
    expect(inferTypes('LpNormalization', [x], { axis: 1 })[0]).toEqual(x);
    expect(inferTypes('BatchNormalization', [{ dtype: 'float32', shape: ['n', 'c'] }, p, p, p, p])[0].shape).toEqual(['n', 'c']);
    expect(() => inferTypes('GroupNormalization', [x, p, p], { num_groups: 3 })).toThrow(ShapeError);
  });
  it('never mutates inputs', () => {
    const x = tensor('float32', [[1, 2], [3, 4]]);
    const before = x.toNumbers();
    runOp1('LayerNormalization', [x, tensor('float32', [1, 1])]);
    runOp1('LpNormalization', [x]);
    expect(x.toNumbers()).toEqual(before);
  });
});


