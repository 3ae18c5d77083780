/**
 * Quantization ops against ONNX spec examples, test-local formulas (explicit multi-index scale
 * lookup, naive integer loops) and properties.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AttributeError,
  DTypeError,
  ShapeError,
  getSchema,
  lut,
  multiplyByQuantizedMultiplier,
  perAxis,
  perBlock,
  perTensor,
  quantizeMultiplier,
  tensor,
  type DType,
  type Node,
  type QuantParams,
  type Tensor,
  type TensorType,
} from '../../src/index.js';
import { inferContext, inferNode, typeOfTensor } from '../../src/verify/infer.js';
import { expectClose, prod, randomValues, ravel, rng, runOp, runOp1, unravel } from '../helpers.js';

// ------------------------------------------------------------------ test-local references

const f32 = Math.fround;

/** numpy.rint on a double. */
function rint(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const RANGES: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int4: [-8, 7], uint4: [0, 15], int32: [-(2 ** 31), 2 ** 31 - 1] };

/** ONNX QuantizeLinear of one float32 value (float32 division, ties to even, saturation). */
const refQ = (x: number, s: number, z: number, dtype: string) => clamp(rint(f32(f32(x) / f32(s))) + z, ...RANGES[dtype]);
/** ONNX DequantizeLinear of one value. */
const refDQ = (q: number, s: number, z: number) => f32(f32(q - z) * f32(s));

/** Index of the scale of element i: per axis -> idx[axis], blocked -> the element's block. */
function scaleIndex(i: number, shape: readonly number[], axis: number | undefined, block: number): number {
  if (axis === undefined) return 0;
  const idx = unravel(i, shape);
  if (block === 0) return idx[axis];
  const sShape = shape.map((d, k) => (k === axis ? Math.ceil(d / block) : d));
  return ravel(idx.map((v, k) => (k === axis ? Math.floor(v / block) : v)), sShape);
}

function nodeOf(op: string, n: number, attrs: Record<string, unknown>, outputs = 1): Node {
  return { name: 'n', op, inputs: Array.from({ length: n }, (_, i) => `i${i}`), outputs: Array.from({ length: outputs }, (_, i) => `o${i}`), attrs: attrs as Node['attrs'] };
}

/** Inferred output types; inputs listed in `consts` are visible to inference as constants. */
function infer(op: string, inputs: (Tensor | TensorType | undefined)[], attrs: Record<string, unknown> = {}, consts: number[] = []): TensorType[] {
  const types = inputs.map((t) => (t === undefined ? undefined : 'data' in t ? typeOfTensor(t as Tensor) : t));
  const node = { ...nodeOf(op, inputs.length, attrs), inputs: inputs.map((t, i) => (t ? `i${i}` : '')) };
  return inferNode(node, types, (name) => {
    const i = Number(name.slice(1));
    return consts.includes(i) ? (inputs[i] as Tensor) : undefined;
  }, { n: 0 }).types;
}

const randInts = (n: number, seed: number, lo: number, hi: number) => randomValues(n, seed, lo, hi + 1).map(Math.floor);

// ------------------------------------------------------------------ QuantizeLinear

describe('QuantizeLinear', () => {
  it('ONNX example: per-tensor uint8', () => {
    const y = runOp1('QuantizeLinear', [tensor('float32', [0, 2, 3, 1000, -254, -1000]), tensor('float32', 2, []), tensor('uint8', 128, [])]);
    expect(y.dtype).toBe('uint8');
    expect(y.toNumbers()).toEqual([128, 129, 130, 255, 1, 0]);
  });

  it('ONNX example: per axis (default axis 1)', () => {
    const x = [-162, 10, -100, 232, -20, -50, -76, 0, 0, 252, 32, -44, 245, -485, -960, -270, -375, -470];
    const s = [2, 4, 5];
    const z = [84, 24, 196];
    const y = runOp1('QuantizeLinear', [tensor('float32', x, [1, 3, 3, 2]), tensor('float32', s), tensor('uint8', z)]);
    expect(y.toNumbers()).toEqual(x.map((v, i) => v / s[Math.floor(i / 6)] + z[Math.floor(i / 6)]));
  });

  it('ONNX examples: int16, uint16 saturation and ties', () => {
    const x16 = [0, -514, 3, -3, 2.9, -2.9, 3.1, -3.1, 65022, -66046, 65023, -66047, 65024, -66048, 70000, -70000];
    const y16 = runOp1('QuantizeLinear', [tensor('float32', x16), tensor('float32', 2, []), tensor('int16', 256, [])]);
    expect(y16.toNumbers()).toEqual([256, -1, 258, 254, 257, 255, 258, 254, 32767, -32767, 32767, -32768, 32767, -32768, 32767, -32768]);
    const xu = [0, -128, 3, -3, 2.9, -2.9, 3.1, -3.1, 65536, -65534, 70000, -70000];
    const yu = runOp1('QuantizeLinear', [tensor('float32', xu), tensor('float32', 2, []), tensor('uint16', 32767, [])]);
    expect(yu.toNumbers()).toEqual([32767, 32703, 32769, 32765, 32768, 32766, 32769, 32765, 65535, 0, 65535, 0]);
  });

  it('ONNX examples: int4 and uint4 per axis 0', () => {
    const x = tensor('float32', [[0, 2.5, 4.8, 8.6], [-30, -20, 6, 9], [12, 15, 16, 40]]);
    const s = tensor('float32', [2, 3, 4]);
    const yi = runOp1('QuantizeLinear', [x, s, tensor('int4', [1, 1, 1])], { axis: 0 });
    expect(yi.dtype).toBe('int4');
    expect(yi.toNumbers()).toEqual([1, 2, 3, 5, -8, -6, 3, 4, 4, 5, 5, 7]);
    const yu = runOp1('QuantizeLinear', [x, s, tensor('uint4', [1, 1, 1])], { axis: 0 });
    expect(yu.toNumbers()).toEqual([1, 2, 3, 5, 0, 0, 3, 4, 4, 5, 5, 11]);
  });

  it('ONNX examples: blocked asymmetric and symmetric (output_dtype int16)', () => {
    const x = tensor('float32', [[6, 12, 50, 5], [1, 8, 4, 5], [0, 20, 10, 4]]);
    const s = tensor('float32', [[1.5, 2.5], [3, 4.9], [5.1, 6.9]]);
    const z = [[0, 1], [1, 0], [2, 3]];
    const y = runOp1('QuantizeLinear', [x, s, tensor('uint8', z)], { axis: 1, block_size: 2 });
    const xs = x.toNumbers();
    const sv = s.toNumbers();
    expect(y.toNumbers()).toEqual(xs.map((v, i) => refQ(v, sv[Math.floor(i / 4) * 2 + Math.floor((i % 4) / 2)], z.flat()[Math.floor(i / 4) * 2 + Math.floor((i % 4) / 2)], 'uint8')));
    expect(y.toNumbers()).toEqual([4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4]);
    const xsym = tensor('float32', [[6, -8, -10, 5], [1, 8, 4, 5], [0, 20, 10, 4]]);
    const ys = runOp1('QuantizeLinear', [xsym, s], { axis: 1, block_size: 2, output_dtype: 'int16' });
    expect(ys.dtype).toBe('int16');
    expect(ys.toNumbers()).toEqual([4, -5, -4, 2, 0, 3, 1, 1, 0, 4, 1, 1]);
  });

  it('per-axis and blocked quantization match a test-local formula on random data (property)', () => {
    const cases = fc
      .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
          block: fc.integer({ min: 0, max: 3 }),
          dtype: fc.constantFrom('int8', 'uint8', 'int16', 'uint16', 'int4', 'uint4'),
          withZp: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
      );
    fc.assert(
      fc.property(cases, ({ shape, axis, block, dtype, withZp, seed }) => {
        const a = axis < 0 ? axis + shape.length : axis;
        const sShape = block === 0 ? [shape[a]] : shape.map((d, k) => (k === a ? Math.ceil(d / block) : d));
        const n = prod(sShape);
        const scales = randomValues(n, seed, 0.05, 2).map(f32);
        const [qmin, qmax] = RANGES[dtype];
        const zps = withZp ? randInts(n, seed + 1, qmin, qmax) : undefined;
        const x = randomValues(prod(shape), seed + 2, -40, 40);
        const inputs = [tensor('float32', x, shape), tensor('float32', scales, sShape), zps ? tensor(dtype, zps, sShape) : undefined];
        const attrs = { axis, block_size: block, ...(zps ? {} : { output_dtype: dtype }) };
        const y = runOp1('QuantizeLinear', inputs, attrs);
        expect(y.dtype).toBe(dtype);
        const want = x.map((v, i) => {
          const k = scaleIndex(i, shape, a, block);
          return refQ(v, scales[k], zps ? zps[k] : 0, dtype);
        });
        expect(y.toNumbers()).toEqual(want);
        // The output carries the params; inference attaches the same ones when they are constants.
        const t = infer('QuantizeLinear', inputs, attrs, [1, 2])[0];
        // a one-element 1-D scale is per tensor
        expect(t.quant?.kind).toBe(block > 0 ? 'per-block' : n === 1 ? 'per-tensor' : 'per-axis');
        expect(y.quant?.kind).toBe(t.quant?.kind);
      }),
      { numRuns: 80 },
    );
  });

  it('blocks need not divide the axis (last block partial)', () => {
    const x = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50];
    const y = runOp1('QuantizeLinear', [tensor('float32', x, [2, 5]), tensor('float32', [[1, 2, 4], [10, 20, 40]]), tensor('int8', [[0, 0, 0], [0, 0, 0]])], { axis: -1, block_size: 2 });
    expect(y.toNumbers()).toEqual([1, 2, 2, 2, 1, 1, 2, 2, 2, 1]);
  });

  it('int32 output, int32 input and float16 / bfloat16 precision', () => {
    const y = runOp1('QuantizeLinear', [tensor('float32', [1e9, -3e9, 5e9, 2.5]), tensor('float32', 0.5, []), tensor('int32', 7, [])]);
    expect(y.toNumbers()).toEqual([2e9 + 7, -(2 ** 31), 2 ** 31 - 1, 12]);
    const yi = runOp1('QuantizeLinear', [tensor('int32', [100, -100, 7]), tensor('float32', 4, [])], { output_dtype: 'int8' });
    expect(yi.toNumbers()).toEqual([25, -25, 2]);
    // float16 scale: the division runs in float16 precision. 3.5 / float16(1/3) = 10.5025... rounds to
    // the float16 10.5, a tie that goes to 10 (in float32 precision it would round to 11).
    const xs = [1, 2, 3.5, -7];
    const s16 = tensor('float16', 1 / 3, []);
    const y16 = runOp1('QuantizeLinear', [tensor('float16', xs), s16], { output_dtype: 'int8' });
    const s = s16.get(0);
    const half = (v: number) => tensor('float16', [v]).get(0);
    expect(y16.toNumbers()).toEqual(xs.map((v) => clamp(rint(half(f32(v / s))), -128, 127)));
    expect(y16.toNumbers()).toEqual([3, 6, 10, -21]);
    const ybf = runOp1('QuantizeLinear', [tensor('bfloat16', [1.5, 300]), tensor('bfloat16', 1, []), tensor('uint8', 0, [])]);
    expect(ybf.toNumbers()).toEqual([2, 255]);
  });

  it('NaN goes to the zero point; rank-0 input', () => {
    const y = runOp1('QuantizeLinear', [tensor('float32', [NaN, Infinity, -Infinity]), tensor('float32', 1, []), tensor('int8', -3, [])]);
    expect(y.toNumbers()).toEqual([-3, 127, -128]);
    expect(runOp1('QuantizeLinear', [tensor('float32', 2.6, []), tensor('float32', [1])]).toNumbers()).toEqual([3]);
  });

  it('inference attaches QuantParams from constant scale and zero point', () => {
    const x: TensorType = { dtype: 'float32', shape: ['b', 3, 4] };
    const t1 = infer('QuantizeLinear', [x, tensor('float32', 0.25, []), tensor('int8', -2, [])], {}, [1, 2])[0];
    expect(t1).toEqual({ dtype: 'int8', shape: ['b', 3, 4], quant: perTensor(0.25, -2) });
    const t2 = infer('QuantizeLinear', [x, tensor('float32', [0.5, 1, 2, 4]), tensor('uint8', [1, 2, 3, 4])], { axis: -1 }, [1, 2])[0];
    expect(t2.dtype).toBe('uint8');
    expect(t2.quant).toEqual(perAxis(2, [0.5, 1, 2, 4], [1, 2, 3, 4]));
    const t3 = infer('QuantizeLinear', [{ dtype: 'float32', shape: [2, 5] }, tensor('float32', [[1, 2, 3], [4, 5, 6]])], { axis: 1, block_size: 2, output_dtype: 'int4' }, [1])[0];
    expect(t3.dtype).toBe('int4');
    expect(t3.quant).toEqual(perBlock(1, 2, [1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]));
    // no zero point: uint8 with zero point 0
    expect(infer('QuantizeLinear', [x, tensor('float32', 2, [])], {}, [1])[0]).toEqual({ dtype: 'uint8', shape: ['b', 3, 4], quant: perTensor(2, 0) });
    // scale not constant, zero point not constant, or not expressible: no params
    expect(infer('QuantizeLinear', [x, tensor('float32', 2, [])], {}, [])[0].quant).toBeUndefined();
    expect(infer('QuantizeLinear', [x, tensor('float32', 2, []), tensor('int8', 1, [])], {}, [1])[0].quant).toBeUndefined();
    expect(infer('QuantizeLinear', [x, tensor('float32', 0, [])], {}, [1])[0].quant).toBeUndefined();
    // symbolic shapes: a 1-D scale of unknown length is per axis; types pass through
    expect(infer('QuantizeLinear', [{ dtype: 'float16', shape: ['b', 'c'] }, { dtype: 'float16', shape: ['c'] }, { dtype: 'int8', shape: ['c'] }], { axis: -1 })[0]).toEqual({ dtype: 'int8', shape: ['b', 'c'] });
    expect(infer('DequantizeLinear', [{ dtype: 'uint4', shape: ['n', 6] }, { dtype: 'float16', shape: ['n', 2] }], { axis: 1, block_size: 3 })[0]).toEqual({ dtype: 'float16', shape: ['n', 6] });
    // the quantized output type feeds Dequantize
    const q = infer('QuantizeLinear', [{ dtype: 'float32', shape: [2, 3] }, tensor('float32', 0.5, []), tensor('int8', 3, [])], {}, [1, 2])[0];
    expect(infer('Dequantize', [q])[0]).toEqual({ dtype: 'float32', shape: [2, 3] });
  });

  it('rejects mismatched params, bad axes, blocks that do not fit and bad attributes', () => {
    const x = tensor('float32', new Array(12).fill(1), [3, 4]);
    const s3 = tensor('float32', [1, 2, 3]);
    const z2 = tensor('uint8', [1, 2]);
    expect(() => runOp1('QuantizeLinear', [x, s3, z2], { axis: 0 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, s3], { axis: 1 })).toThrow(ShapeError); // 3 scales vs 4 along axis 1
    expect(() => runOp1('QuantizeLinear', [x, s3], { axis: 2 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, s3], { axis: -3 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', [[1, 2, 3], [3, 4, 5], [5, 6, 7]])], { axis: 1, block_size: 2 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', [[1, 2], [3, 4]])], { axis: 1, block_size: 2 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', [1, 2])], { axis: 1, block_size: 2 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', [[1, 2, 3, 4]])], { axis: 1 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', 1, []), tensor('int8', 0, [])], { output_dtype: 'uint8' })).toThrow(DTypeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', 1, [])], { block_size: -1 })).toThrow(AttributeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', 1, [])], { output_dtype: 'float32' })).toThrow(AttributeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', 1, [])], { saturate: 2 })).toThrow(AttributeError);
    expect(() => runOp1('QuantizeLinear', [tensor('float64', [1]), tensor('float32', 1, [])])).toThrow(DTypeError);
    expect(() => infer('QuantizeLinear', [{ dtype: 'float32', shape: ['n', 4] }, { dtype: 'float32', shape: [3] }], { axis: 1 })).toThrow(ShapeError);
  });

  it('rejects a blocked scale whose blocked dim does not match ceil(D / block_size)', () => {
    // D = 4, block 3 -> 2 blocks: a scale with 2 entries along the axis is fine, 1 or 3 is not.
    const x = tensor('float32', new Array(8).fill(1), [2, 4]);
    expect(runOp1('QuantizeLinear', [x, tensor('float32', [[1, 1], [1, 1]])], { axis: 1, block_size: 3 }).shape).toEqual([2, 4]);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', [[1], [1]])], { axis: 1, block_size: 3 })).toThrow(ShapeError);
    expect(() => runOp1('QuantizeLinear', [x, tensor('float32', [[1, 1, 1], [1, 1, 1]])], { axis: 1, block_size: 3 })).toThrow(ShapeError);
  });
});

// ------------------------------------------------------------------ DequantizeLinear

describe('DequantizeLinear', () => {
  it('ONNX examples: per tensor, per axis and blocked', () => {
    const y = runOp1('DequantizeLinear', [tensor('uint8', [0, 3, 128, 255]), tensor('float32', 2, []), tensor('uint8', 128, [])]);
    expect(y.dtype).toBe('float32');
    expect(y.toNumbers()).toEqual([-256, -250, 0, 254]);
    const xa = [3, 89, 34, 200, 74, 59, 5, 24, 24, 87, 32, 13, 245, 99, 4, 142, 121, 102];
    const ya = runOp1('DequantizeLinear', [tensor('uint8', xa, [1, 3, 3, 2]), tensor('float32', [2, 4, 5]), tensor('uint8', [84, 24, 196])]);
    expect(ya.toNumbers()).toEqual(xa.map((v, i) => (v - [84, 24, 196][Math.floor(i / 6)]) * [2, 4, 5][Math.floor(i / 6)]));
    const xb = [3, 89, 34, 200, 74, 59, 5, 24, 24, 87, 32, 13, 5, 12, 12, 33, 65, 42, 245, 99, 4, 142, 121, 102];
    const sb = [3, 2, 4, 1, 2, 2, 5, 2, 4, 3, 5, 2];
    const zb = [1, 0, 0, 1, 2, 20, 3, 2, 4, 3, 15, 2];
    const yb = runOp1('DequantizeLinear', [tensor('uint8', xb, [1, 4, 3, 2]), tensor('float32', sb, [1, 2, 3, 2]), tensor('uint8', zb, [1, 2, 3, 2])], { axis: 1, block_size: 2 });
    // np.repeat along axis 1: element (0, c, h, w) uses scale (0, floor(c/2), h, w)
    expect(yb.toNumbers()).toEqual(xb.map((v, i) => {
      const [, c, h, w] = unravel(i, [1, 4, 3, 2]);
      const k = Math.floor(c / 2) * 6 + h * 2 + w;
      return (v - zb[k]) * sb[k];
    }));
  });

  it('random per-axis / blocked dequantization matches the formula for every storage dtype', () => {
    let seed = 7;
    for (const dtype of ['int8', 'uint8', 'int16', 'uint16', 'int32', 'int4', 'uint4'] as const) {
      for (const block of [0, 2]) {
        const shape = [3, 5, 2];
        const axis = 1;
        const sShape = block === 0 ? [5] : [3, 3, 2];
        const n = prod(sShape);
        const [qmin, qmax] = dtype === 'int32' ? [-1000, 1000] : RANGES[dtype];
        const q = randInts(30, seed++, qmin, qmax);
        const s = randomValues(n, seed++, 0.01, 3).map(f32);
        const z = randInts(n, seed++, qmin, qmax);
        const y = runOp1('DequantizeLinear', [tensor(dtype, q, shape), tensor('float32', s, sShape), tensor(dtype, z, sShape)], { axis, block_size: block });
        expect(y.toNumbers()).toEqual(q.map((v, i) => {
          const k = scaleIndex(i, shape, axis, block);
          return refDQ(v, s[k], z[k]);
        }));
      }
    }
  });

  it('output dtype follows the scale or output_dtype; zero point optional', () => {
    const y16 = runOp1('DequantizeLinear', [tensor('int8', [-3, 5]), tensor('float16', 0.1, [])]);
    expect(y16.dtype).toBe('float16');
    expect(y16.toNumbers()).toEqual([-3, 5].map((v) => tensor('float16', [f32(v * tensor('float16', [0.1]).get(0))]).get(0)));
    const ybf = runOp1('DequantizeLinear', [tensor('int8', [-3, 5]), tensor('float32', 0.5, [])], { output_dtype: 'bfloat16' });
    expect(ybf.dtype).toBe('bfloat16');
    expect(ybf.toNumbers()).toEqual([-1.5, 2.5]);
    const yb = runOp1('DequantizeLinear', [tensor('uint8', [10]), tensor('bfloat16', 2, [])]);
    expect([yb.dtype, yb.get(0)]).toEqual(['bfloat16', 20]);
  });

  it('int4 packing round trip through QuantizeLinear', () => {
    const x = tensor('float32', [0.5, -1, 3.5, -4, 1.5]);
    const q = runOp1('QuantizeLinear', [x, tensor('float32', 0.5, []), tensor('int4', 0, [])]);
    expect(q.toNumbers()).toEqual([1, -2, 7, -8, 3]);
    // two per byte, low nibble first: (1, -2) -> 0xE1, (7, -8) -> 0x87, (3, pad) -> 0x03
    expect(Array.from(q.data as Uint8Array)).toEqual([0xe1, 0x87, 0x03]);
    const back = runOp1('DequantizeLinear', [q, tensor('float32', 0.5, []), tensor('int4', 0, [])]);
    expect(back.toNumbers()).toEqual([0.5, -1, 3.5, -4, 1.5]);
    const qu = runOp1('QuantizeLinear', [tensor('float32', [0, 15, 7, 1]), tensor('float32', 1, [])], { output_dtype: 'uint4' });
    expect(Array.from(qu.data as Uint8Array)).toEqual([0xf0, 0x17]);
    expect(runOp1('DequantizeLinear', [qu, tensor('float32', 2, [])]).toNumbers()).toEqual([0, 30, 14, 2]);
  });

  it('dequantize(quantize(x)) is within scale/2 inside the representable range (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('int8', 'uint8', 'int16', 'int4', 'uint4'),
        fc.double({ min: 1e-3, max: 4, noNaN: true }).map(f32),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (dtype, scale, zf, seed) => {
          const [qmin, qmax] = RANGES[dtype];
          const zp = Math.round(qmin + zf * (qmax - qmin));
          const xs = randomValues(16, seed, (qmin - zp) * scale, (qmax - zp) * scale).map(f32);
          const params = [tensor('float32', scale, []), tensor(dtype, zp, [])];
          const q = runOp1('QuantizeLinear', [tensor('float32', xs), ...params]);
          const y = runOp1('DequantizeLinear', [q, ...params]);
          y.toNumbers().forEach((v, i) => expect(Math.abs(v - xs[i])).toBeLessThanOrEqual(scale / 2 + (Math.abs(xs[i]) + scale) * 2 ** -22));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('rejects mismatched zero points, bad axes and shapes', () => {
    const x = tensor('int8', [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => runOp1('DequantizeLinear', [x, tensor('float32', [1, 2, 3]), tensor('uint8', [0, 0, 0])])).toThrow(DTypeError);
    expect(() => runOp1('DequantizeLinear', [x, tensor('float32', [1, 2, 3]), tensor('int8', [0, 0])])).toThrow(ShapeError);
    expect(() => runOp1('DequantizeLinear', [x, tensor('float32', [1, 2, 3])], { axis: 3 })).toThrow(ShapeError);
    expect(() => runOp1('DequantizeLinear', [x, tensor('float32', [1, 2, 3])], { axis: 0 })).toThrow(ShapeError);
    expect(() => runOp1('DequantizeLinear', [x, tensor('float32', [[1, 2]])], { axis: 1, block_size: 2 })).toThrow(ShapeError);
    expect(() => runOp1('DequantizeLinear', [tensor('float32', [1]), tensor('float32', 1, [])])).toThrow(DTypeError);
    expect(() => runOp1('DequantizeLinear', [x, tensor('float32', 1, [])], { output_dtype: 'int8' })).toThrow(AttributeError);
  });
});

// ------------------------------------------------------------------ Dequantize (IR op)

describe('Dequantize', () => {
  it('per-tensor, per-axis and per-block params from the input type', () => {
    const pt = runOp1('Dequantize', [tensor('int8', [-4, 0, 6], [3], perTensor(0.5, 2))]);
    expect(pt.toNumbers()).toEqual([-3, -1, 2]);
    const pa = runOp1('Dequantize', [tensor('uint8', [1, 2, 3, 4, 5, 6], [2, 3], perAxis(0, [1, 10], [1, 2]))]);
    expect(pa.toNumbers()).toEqual([0, 1, 2, 20, 30, 40]);
    const q = [1, -2, 3, -4, 5, -6, 7, -8, 0, 1];
    const pb = runOp1('Dequantize', [tensor('int4', q, [2, 5], perBlock(-1, 2, [1, 2, 4, 8, 16, 32], [0, 1, 0, 0, -1, 0]))]);
    expect(pb.toNumbers()).toEqual(q.map((v, i) => {
      const k = scaleIndex(i, [2, 5], 1, 2);
      return (v - [0, 1, 0, 0, -1, 0][k]) * [1, 2, 4, 8, 16, 32][k];
    }));
    const h = runOp1('Dequantize', [tensor('int8', [3], [1], perTensor(0.1))], { to: 'float16' });
    expect(h.dtype).toBe('float16');
    expect(h.get(0)).toBe(tensor('float16', [f32(3 * f32(0.1))]).get(0));
  });

  it('lookup tables: value = table[group][index]', () => {
    // one 2-bit table for the whole tensor
    const one = runOp1('Dequantize', [tensor('uint8', [0, 3, 1, 2], [4], lut(2, [-1, 0.5, 2, 7]))]);
    expect(one.toNumbers()).toEqual([-1, 7, 0.5, 2]);
    // uint4 indices, groups of 2 rows along axis 0 (3 rows -> 2 tables)
    const tables = Array.from({ length: 32 }, (_, i) => i * 0.25);
    const idx = [0, 15, 3, 4, 9, 1];
    const g = runOp1('Dequantize', [tensor('uint4', idx, [3, 2], lut(4, tables, { axis: 0, groupSize: 2 }))]);
    expect(g.toNumbers()).toEqual(idx.map((v, i) => tables[Math.floor(Math.floor(i / 2) / 2) * 16 + v]));
    // int8 storage: the index is the raw byte read unsigned
    const t8 = Array.from({ length: 256 }, (_, i) => i - 1000);
    const s = runOp1('Dequantize', [tensor('int8', [-1, -128, 0, 127], [4], lut(8, t8))]);
    expect(s.toNumbers()).toEqual([255 - 1000, 128 - 1000, -1000, 127 - 1000]);
    // per column groups along the last axis
    const pc = runOp1('Dequantize', [tensor('uint8', [1, 0, 0, 1], [2, 2], lut(1, [10, 11, 20, 21], { axis: -1, groupSize: 1 }))]);
    expect(pc.toNumbers()).toEqual([11, 20, 10, 21]);
  });

  it('fails clearly without quant params, and on indices outside the table', () => {
    expect(() => infer('Dequantize', [{ dtype: 'int8', shape: [2] }])).toThrow(/no quantization params/);
    expect(() => infer('Dequantize', [{ dtype: 'int8', shape: [2] }])).toThrow(DTypeError);
    expect(() => runOp1('Dequantize', [tensor('int8', [1, 2])])).toThrow(DTypeError);
    expect(() => runOp1('Dequantize', [tensor('uint8', [5], [1], lut(2, [0, 1, 2, 3]))])).toThrow(ShapeError);
    expect(() => infer('Dequantize', [{ dtype: 'int8', shape: [2, 3], quant: perAxis(0, [1, 2, 3]) }])).toThrow(ShapeError);
    expect(() => runOp1('Dequantize', [tensor('int8', [1], [1], perTensor(1))], { to: 'int8' })).toThrow(AttributeError);
    // symbolic shapes pass through
    expect(infer('Dequantize', [{ dtype: 'int4', shape: ['n', 8], quant: perAxis(1, new Array(8).fill(1)) }], { to: 'float16' })[0]).toEqual({ dtype: 'float16', shape: ['n', 8] });
  });
});

// ------------------------------------------------------------------ DynamicQuantizeLinear

describe('DynamicQuantizeLinear', () => {
  const ref = (x: number[]) => {
    const lo = Math.min(0, ...x);
    const hi = Math.max(0, ...x);
    const scale = f32((hi === lo ? 1 : f32(hi - lo)) / 255);
    const zp = rint(clamp(f32(0 - f32(lo / scale)), 0, 255));
    return { scale, zp, y: x.map((v) => refQ(v, scale, zp, 'uint8')) };
  };

  it('ONNX examples', () => {
    const cases: [number[], number, number][] = [
      [[0, 2, -3, -2.5, 1.34, 0.5], 0.0196078438, 153],
      [[-1, -2.1, -1.3, -2.5, -3.34, -4], 0.0156862754, 255],
      [[1, 2.1, 1.3, 2.5, 3.34, 4, 1.5, 2.6, 3.9, 4, 3, 2.345], 0.0156862754, 0],
    ];
    for (const [x, scale, zp] of cases) {
      const xs = tensor('float32', x).toNumbers();
      const [y, s, z] = runOp('DynamicQuantizeLinear', [tensor('float32', x)], {}, { outputs: 3 });
      expect(s.shape).toEqual([]);
      expect(z.dtype).toBe('uint8');
      expect(s.get(0)).toBeCloseTo(scale, 9);
      expect(z.get(0)).toBe(zp);
      const r = ref(xs);
      expect([s.get(0), z.get(0)]).toEqual([r.scale, r.zp]);
      expect(y.toNumbers()).toEqual(r.y);
    }
    const [y0] = runOp('DynamicQuantizeLinear', [tensor('float32', [0, 2, -3, -2.5, 1.34, 0.5])], {}, { outputs: 3 });
    expect(y0.toNumbers()).toEqual([153, 255, 0, 26, 221, 179]);
  });

  it('an all-zero input uses scale 1/255 and zero point 0', () => {
    const [y, s, z] = runOp('DynamicQuantizeLinear', [tensor('float32', [0, 0, 0], [1, 3])], {}, { outputs: 3 });
    expect([s.get(0), z.get(0)]).toEqual([f32(1 / 255), 0]);
    expect(y.toNumbers()).toEqual([0, 0, 0]);
    expect(() => runOp('DynamicQuantizeLinear', [tensor('float16', [1])], {}, { outputs: 3 })).toThrow(DTypeError);
  });
});

// ------------------------------------------------------------------ MatMulInteger / QLinearMatMul / QGemm

/** Naive integer matmul for 2-D / batched 3-D shapes with per-row / per-column zero points given as functions. */
function naiveIntMatmul(a: number[], b: number[], B: number, M: number, K: number, N: number, za: (t: number, m: number) => number, zb: (t: number, n: number) => number, bBatched = true): number[] {
  const out: number[] = [];
  for (let t = 0; t < B; t++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += (a[(t * M + m) * K + k] - za(t, m)) * (b[((bBatched ? t : 0) * K + k) * N + n] - zb(t, n));
        out.push(s | 0);
      }
    }
  }
  return out;
}

describe('MatMulInteger', () => {
  it('ONNX example', () => {
    const y = runOp1('MatMulInteger', [tensor('uint8', [[11, 7, 3], [10, 6, 2], [9, 5, 1], [8, 4, 0]]), tensor('uint8', [[1, 4], [2, 5], [3, 6]]), tensor('uint8', [12]), tensor('uint8', [0])]);
    expect(y.dtype).toBe('int32');
    expect(y.toNumbers()).toEqual([-38, -83, -44, -98, -50, -113, -56, -128]);
  });

  it('per-row a and per-column b zero points, batched and broadcast, mixed int8/uint8', () => {
    const [Bt, M, K, N] = [2, 3, 4, 5];
    const a = randInts(Bt * M * K, 1, -128, 127);
    const b = randInts(K * N, 2, 0, 255);
    const za = randInts(M, 3, -128, 127);
    const zb = randInts(N, 4, 0, 255);
    const y = runOp1('MatMulInteger', [tensor('int8', a, [Bt, M, K]), tensor('uint8', b, [K, N]), tensor('int8', za), tensor('uint8', zb)]);
    expect(y.shape).toEqual([Bt, M, N]);
    expect(y.toNumbers()).toEqual(naiveIntMatmul(a, b, Bt, M, K, N, (_, m) => za[m], (_, n) => zb[n], false));
    // N-D zero points [Bt, M, 1] and [Bt, 1, N]
    const b3 = randInts(Bt * K * N, 5, -128, 127);
    const za3 = randInts(Bt * M, 6, -128, 127);
    const zb3 = randInts(Bt * N, 7, -128, 127);
    const y3 = runOp1('MatMulInteger', [tensor('int8', a, [Bt, M, K]), tensor('int8', b3, [Bt, K, N]), tensor('int8', za3, [Bt, M, 1]), tensor('int8', zb3, [Bt, 1, N])]);
    expect(y3.toNumbers()).toEqual(naiveIntMatmul(a, b3, Bt, M, K, N, (t, m) => za3[t * M + m], (t, n) => zb3[t * N + n]));
    // no zero points, 1-D operand
    const v = randInts(K, 8, 0, 255);
    const yv = runOp1('MatMulInteger', [tensor('uint8', v), tensor('uint8', b, [K, N])]);
    expect(yv.shape).toEqual([N]);
    expect(yv.toNumbers()).toEqual(naiveIntMatmul(v, b, 1, 1, K, N, () => 0, () => 0));
  });

  it('the int32 accumulator wraps', () => {
    const K = 33100;
    const y = runOp1('MatMulInteger', [tensor('uint8', new Array(K).fill(255), [1, K]), tensor('uint8', new Array(K).fill(255), [K, 1])]);
    expect(y.toNumbers()).toEqual([(65025 * K) | 0]);
    expect((65025 * K) | 0).toBeLessThan(0);
  });

  it('infers shapes, macs and rejects bad zero points', () => {
    expect(infer('MatMulInteger', [{ dtype: 'uint8', shape: ['b', 7, 4] }, { dtype: 'int8', shape: [4, 3] }])[0]).toEqual({ dtype: 'int32', shape: ['b', 7, 3] });
    const node = nodeOf('MatMulInteger', 2, {});
    const types: TensorType[] = [{ dtype: 'uint8', shape: [2, 7, 4] }, { dtype: 'int8', shape: [4, 3] }];
    const ctx = inferContext(node, types, () => undefined, { n: 0 });
    expect(getSchema('MatMulInteger').macs!(ctx, getSchema('MatMulInteger').infer(ctx))).toBe(2 * 7 * 3 * 4);
    const a = tensor('uint8', new Array(6).fill(1), [2, 3]);
    const b = tensor('uint8', new Array(12).fill(1), [3, 4]);
    expect(() => runOp1('MatMulInteger', [a, b, tensor('uint8', [1, 2, 3])])).toThrow(ShapeError);
    expect(() => runOp1('MatMulInteger', [a, b, undefined, tensor('uint8', [1, 2, 3])])).toThrow(ShapeError);
    expect(() => runOp1('MatMulInteger', [a, b, tensor('uint8', [1, 2], [1, 2])])).toThrow(ShapeError);
    expect(() => runOp1('MatMulInteger', [a, b, tensor('int8', [1])])).toThrow(DTypeError);
    expect(() => runOp1('MatMulInteger', [a, tensor('uint8', new Array(8).fill(1), [2, 4])])).toThrow(ShapeError);
    expect(() => runOp1('MatMulInteger', [tensor('int16', [1]), tensor('int8', [1])])).toThrow(DTypeError);
  });
});

describe('QLinearMatMul', () => {
  const a = [[208, 236, 0, 238], [3, 214, 255, 29]];
  const b = [[152, 51, 244], [60, 26, 255], [0, 127, 246], [127, 254, 247]];

  it('ONNX examples: uint8 and int8, float32 and float16 scales, 2-D and 3-D', () => {
    for (const st of ['float32', 'float16'] as const) {
      for (const qt of ['uint8', 'int8'] as const) {
        const off = qt === 'int8' ? 127 : 0;
        const inputs = (aa: number[][] | number[][][], bb: number[][] | number[][][]) => [
          tensor(qt, (aa as number[][]).flat(2).map((v) => v - off), [...(Array.isArray(aa[0][0]) ? [2] : []), 2, 4]),
          tensor(st, [0.0066]),
          tensor(qt, [113 - off]),
          tensor(qt, (bb as number[][]).flat(2).map((v) => v - off), [...(Array.isArray(bb[0][0]) ? [2] : []), 4, 3]),
          tensor(st, [0.00705]),
          tensor(qt, [114 - off]),
          tensor(st, [0.0107]),
          tensor(qt, [118 - off]),
        ];
        const want = qt === 'uint8' ? [168, 115, 255, 1, 66, 151] : [41, -12, -9, 1, -75, -128];
        const y = runOp1('QLinearMatMul', inputs(a, b));
        expect(y.dtype).toBe(qt);
        expect(y.toNumbers()).toEqual(want);
        const y3 = runOp1('QLinearMatMul', inputs([a, a], [b, b]));
        expect(y3.shape).toEqual([2, 2, 3]);
        expect(y3.toNumbers()).toEqual([...want, ...want]);
      }
    }
  });

  it('equals the integer formula exactly for both requant modes (per-row a, per-column b, batches)', () => {
    const r = rng(99);
    for (let trial = 0; trial < 12; trial++) {
      const [Bt, M, K, N] = [1 + Math.floor(r() * 2), 1 + Math.floor(r() * 4), 1 + Math.floor(r() * 6), 1 + Math.floor(r() * 4)];
      const at: DType = r() < 0.5 ? 'int8' : 'uint8';
      const bt: DType = r() < 0.5 ? 'int8' : 'uint8';
      const yt: DType = r() < 0.5 ? 'int8' : 'uint8';
      const rA = RANGES[at];
      const rB = RANGES[bt];
      const av = randInts(Bt * M * K, trial * 10 + 1, ...rA);
      const bv = randInts(Bt * K * N, trial * 10 + 2, ...rB);
      const perRow = r() < 0.5;
      const perCol = r() < 0.5;
      const sa = randomValues(perRow ? M : 1, trial * 10 + 3, 0.001, 0.05).map(f32);
      const za = randInts(perRow ? M : 1, trial * 10 + 4, ...rA);
      const sb = randomValues(perCol ? N : 1, trial * 10 + 5, 0.001, 0.05).map(f32);
      const zb = randInts(perCol ? N : 1, trial * 10 + 6, ...rB);
      const sy = f32(0.01 + r() * 0.2);
      const zy = randInts(1, trial * 10 + 7, ...RANGES[yt])[0];
      const acc = naiveIntMatmul(av, bv, Bt, M, K, N, (_, m) => za[perRow ? m : 0], (_, n) => zb[perCol ? n : 0]);
      const inputs = [
        tensor(at, av, [Bt, M, K]), tensor('float32', sa), tensor(at, za),
        tensor(bt, bv, [Bt, K, N]), tensor('float32', sb), tensor(bt, zb),
        tensor('float32', sy, []), tensor(yt, zy, []),
      ];
      const [lo, hi] = RANGES[yt];
      const yf = runOp1('QLinearMatMul', inputs);
      const yx = runOp1('QLinearMatMul', inputs, { requant: 'fixed-point' });
      const wantF: number[] = [];
      const wantX: number[] = [];
      acc.forEach((s, o) => {
        const m = Math.floor(o / N) % M;
        const n = o % N;
        const ab = sa[perRow ? m : 0] * sb[perCol ? n : 0];
        // float: float32 multiplier, float32 product, ties to even; fixed-point: double multiplier in Q31
        wantF.push(clamp(rint(f32(f32(s) * f32(f32(ab) / sy))) + zy, lo, hi));
        wantX.push(clamp(multiplyByQuantizedMultiplier(s, quantizeMultiplier(ab / sy)) + zy, lo, hi));
      });
      expect(yf.toNumbers()).toEqual(wantF);
      expect(yx.toNumbers()).toEqual(wantX);
    }
  });

  it('rejects mismatched scales and zero points', () => {
    const A = tensor('uint8', new Array(8).fill(1), [2, 4]);
    const B = tensor('uint8', new Array(12).fill(1), [4, 3]);
    const s = tensor('float32', [0.1]);
    const z = tensor('uint8', [0]);
    expect(() => runOp1('QLinearMatMul', [A, s, z, B, tensor('float32', [1, 1]), tensor('uint8', [0, 0]), s, z])).toThrow(ShapeError);
    expect(() => runOp1('QLinearMatMul', [A, s, z, B, tensor('float32', [1, 1, 1]), z, s, z])).toThrow(ShapeError);
    expect(() => runOp1('QLinearMatMul', [A, s, tensor('int8', [0]), B, s, z, s, z])).toThrow(DTypeError);
    expect(() => runOp1('QLinearMatMul', [A, s, z, B, tensor('float16', [0.1]), z, s, z])).toThrow(DTypeError);
    expect(() => runOp1('QLinearMatMul', [A, s, z, B, s, z, tensor('float32', [1, 2]), z])).toThrow(ShapeError);
    expect(() => runOp1('QLinearMatMul', [A, s, z, B, s, z, s, z], { requant: 'double' })).toThrow(AttributeError);
    expect(() => runOp1('QLinearMatMul', [A, s, z, A, s, z, s, z])).toThrow(ShapeError);
    expect(infer('QLinearMatMul', [{ dtype: 'uint8', shape: ['b', 2, 4] }, s, z, B, s, z, s, tensor('int8', [0])])[0]).toEqual({ dtype: 'int8', shape: ['b', 2, 3] });
  });
});

describe('QGemm', () => {
  /** Test-local QGemm: int32 accumulation + bias, then requantize or scale to float32. */
  function refQGemm(o: { A: number[]; B: number[]; M: number; K: number; N: number; transA: number; transB: number; za: number; zb: number[]; sa: number; sb: number[]; C?: number[]; cShape?: number[]; alpha: number; sy?: number; zy?: number; yt?: string }): number[] {
    const out: number[] = [];
    for (let m = 0; m < o.M; m++) {
      for (let n = 0; n < o.N; n++) {
        let s = 0;
        for (let k = 0; k < o.K; k++) {
          const a = o.transA ? o.A[k * o.M + m] : o.A[m * o.K + k];
          const b = o.transB ? o.B[n * o.K + k] : o.B[k * o.N + n];
          s += (a - o.za) * (b - o.zb[o.zb.length === 1 ? 0 : n]);
        }
        if (o.C) {
          const cs = [...new Array(2 - o.cShape!.length).fill(1), ...o.cShape!];
          s += o.C[(cs[0] === 1 ? 0 : m) * cs[1] + (cs[1] === 1 ? 0 : n)];
        }
        s |= 0;
        const scale = f32(f32(f32(o.alpha) * o.sa) * o.sb[o.sb.length === 1 ? 0 : n]);
        out.push(o.sy === undefined ? f32(f32(s) * scale) : clamp(rint(f32(f32(s) * f32(scale / o.sy))) + o.zy!, ...RANGES[o.yt!]));
      }
    }
    return out;
  }

  it('matches the formula for transposes, per-column B, bias shapes and both output kinds', () => {
    const [M, K, N] = [3, 5, 4];
    let seed = 500;
    for (const transA of [0, 1]) {
      for (const transB of [0, 1]) {
        for (const cShape of [undefined, [N], [M, N], [M, 1]] as (number[] | undefined)[]) {
          for (const quantOut of [false, true]) {
            const perCol = seed % 2 === 0;
            const A = randInts(M * K, seed++, 0, 255);
            const B = randInts(K * N, seed++, -128, 127);
            const za = randInts(1, seed++, 0, 255)[0];
            const zb = randInts(perCol ? N : 1, seed++, -128, 127);
            const sa = f32(0.02);
            const sb = randomValues(perCol ? N : 1, seed++, 0.001, 0.02).map(f32);
            const C = cShape ? randInts(prod(cShape), seed++, -5000, 5000) : undefined;
            const alpha = 0.5;
            const sy = f32(0.05);
            const zy = 3;
            const inputs: (Tensor | undefined)[] = [
              tensor('uint8', A, transA ? [K, M] : [M, K]), tensor('float32', sa, []), tensor('uint8', za, []),
              tensor('int8', B, transB ? [N, K] : [K, N]), tensor('float32', sb), tensor('int8', zb),
              C ? tensor('int32', C, cShape) : undefined,
              ...(quantOut ? [tensor('float32', sy, []), tensor('int8', zy, [])] : []),
            ];
            const y = runOp1('QGemm', inputs, { transA, transB, alpha });
            expect(y.dtype).toBe(quantOut ? 'int8' : 'float32');
            expect(y.shape).toEqual([M, N]);
            const want = refQGemm({ A, B, M, K, N, transA, transB, za, zb, sa, sb, C, cShape, alpha, ...(quantOut ? { sy, zy, yt: 'int8' } : {}) });
            expect(y.toNumbers()).toEqual(want);
          }
        }
      }
    }
  });

  it('rejects bad params', () => {
    const A = tensor('uint8', new Array(6).fill(1), [2, 3]);
    const B = tensor('int8', new Array(12).fill(1), [3, 4]);
    const s = tensor('float32', 0.1, []);
    const za = tensor('uint8', 0, []);
    const zb = tensor('int8', 0, []);
    expect(() => runOp1('QGemm', [A, s, za, B, s, zb, undefined, s])).toThrow(ShapeError);
    expect(() => runOp1('QGemm', [A, s, za, B, s, zb, undefined, undefined, tensor('int8', 0, [])])).toThrow(ShapeError);
    expect(() => runOp1('QGemm', [A, s, za, B, tensor('float32', [1, 2]), zb])).toThrow(ShapeError);
    expect(() => runOp1('QGemm', [A, tensor('float32', [1, 2]), za, B, s, zb])).toThrow(ShapeError);
    expect(() => runOp1('QGemm', [A, s, za, B, s, zb, tensor('int32', [1, 2, 3])])).toThrow(ShapeError);
    expect(() => runOp1('QGemm', [A, s, za, tensor('int8', new Array(8).fill(1), [2, 4]), s, zb])).toThrow(ShapeError);
    expect(() => runOp1('QGemm', [A, s, tensor('int8', 0, []), B, s, zb])).toThrow(DTypeError);
    expect(infer('QGemm', [{ dtype: 'uint8', shape: ['m', 3] }, s, za, B, s, zb])[0]).toEqual({ dtype: 'float32', shape: ['m', 4] });
  });
});

// ------------------------------------------------------------------ QLinear elementwise

describe('QLinearAdd / QLinearMul / QLinearSigmoid / QLinearLeakyRelu', () => {
  it('binary ops dequantize, combine in float32 and requantize with broadcasting', () => {
    for (const dt of ['int8', 'uint8'] as const) {
      const [lo, hi] = RANGES[dt];
      const av = randInts(6, 1, lo, hi);
      const bv = randInts(3, 2, lo, hi);
      const [sa, sb, sc] = [f32(0.05), f32(0.1), f32(0.12)];
      const [za, zb, zc] = dt === 'int8' ? [3, -7, 1] : [128, 120, 100];
      const ins = [tensor(dt, av, [2, 3]), tensor('float32', sa, []), tensor(dt, za, []), tensor(dt, bv, [3]), tensor('float32', sb, []), tensor(dt, zb, []), tensor('float32', sc, []), tensor(dt, zc, [])];
      const add = runOp1('QLinearAdd', ins);
      const mul = runOp1('QLinearMul', ins);
      expect(add.shape).toEqual([2, 3]);
      expect(add.toNumbers()).toEqual(av.map((a, i) => refQ(f32(refDQ(a, sa, za) + refDQ(bv[i % 3], sb, zb)), sc, zc, dt)));
      expect(mul.toNumbers()).toEqual(av.map((a, i) => refQ(f32(refDQ(a, sa, za) * refDQ(bv[i % 3], sb, zb)), sc, zc, dt)));
    }
    // absent zero points are 0; hand-worked: (10*0.5 + 4*0.25) / 2 = 3, (10*0.5) * (4*0.25) / 2 = 2.5 -> 2
    const ins = [tensor('int8', [10]), tensor('float32', 0.5, []), undefined, tensor('int8', [4]), tensor('float32', 0.25, []), undefined, tensor('float32', 2, [])];
    expect(runOp1('QLinearAdd', ins).toNumbers()).toEqual([3]);
    expect(runOp1('QLinearMul', ins).toNumbers()).toEqual([2]);
  });

  it('unary ops apply the float function between dequantize and quantize', () => {
    const xv = [-128, -50, -1, 0, 1, 64, 127];
    const ins = [tensor('int8', xv), tensor('float32', 0.05, []), tensor('int8', 2, []), tensor('float32', 1 / 256, []), tensor('int8', -128, [])];
    const sig = runOp1('QLinearSigmoid', ins);
    expect(sig.toNumbers()).toEqual(xv.map((q) => refQ(f32(1 / (1 + Math.exp(-refDQ(q, 0.05, 2)))), 1 / 256, -128, 'int8')));
    const uin = [tensor('uint8', [0, 100, 128, 200, 255]), tensor('float32', 0.1, []), tensor('uint8', 128, []), tensor('float32', 0.05, []), tensor('uint8', 200, [])];
    const lr = runOp1('QLinearLeakyRelu', uin, { alpha: 0.2 });
    expect(lr.toNumbers()).toEqual([0, 100, 128, 200, 255].map((q) => {
      const v = refDQ(q, 0.1, 128);
      return refQ(f32(v >= 0 ? v : f32(0.2) * v), 0.05, 200, 'uint8');
    }));
    const lrDefault = runOp1('QLinearLeakyRelu', [tensor('int8', [-100]), tensor('float32', 1, []), undefined, tensor('float32', 0.01, [])]);
    expect(lrDefault.toNumbers()).toEqual([-100]);
  });

  it('reject mixed dtypes, non-scalar params and bad broadcasts', () => {
    const s = tensor('float32', 1, []);
    expect(() => runOp1('QLinearAdd', [tensor('int8', [1]), s, undefined, tensor('uint8', [1]), s, undefined, s])).toThrow(DTypeError);
    expect(() => runOp1('QLinearAdd', [tensor('int8', [1]), s, tensor('uint8', 0, []), tensor('int8', [1]), s, undefined, s])).toThrow(DTypeError);
    expect(() => runOp1('QLinearMul', [tensor('int8', [1, 2]), tensor('float32', [1, 2]), undefined, tensor('int8', [1]), s, undefined, s])).toThrow(ShapeError);
    expect(() => runOp1('QLinearAdd', [tensor('int8', [1, 2]), s, undefined, tensor('int8', [1, 2, 3]), s, undefined, s])).toThrow(ShapeError);
    expect(() => runOp1('QLinearSigmoid', [tensor('int8', [1]), s, undefined, tensor('float32', [1, 1])])).toThrow(ShapeError);
    expect(infer('QLinearAdd', [{ dtype: 'uint8', shape: ['n', 1] }, s, undefined, { dtype: 'uint8', shape: [4] }, s, undefined, s])[0]).toEqual({ dtype: 'uint8', shape: ['n', 4] });
  });
});

describe('schemas', () => {
  it('registers every quant op in the quant group', () => {
    for (const op of ['QuantizeLinear', 'DequantizeLinear', 'Dequantize', 'DynamicQuantizeLinear', 'MatMulInteger', 'QLinearMatMul', 'QGemm', 'QLinearAdd', 'QLinearMul', 'QLinearSigmoid', 'QLinearLeakyRelu']) {
      expect(getSchema(op).group).toBe('quant');
    }
  });

  it('QuantizeLinear on an unknown param value keeps the type without quant', () => {
    const q: QuantParams | undefined = infer('QuantizeLinear', [{ dtype: 'float32', shape: [2] }, tensor('float32', [-1])], {}, [1])[0].quant;
    expect(q).toBeUndefined();
    expectClose(runOp1('DequantizeLinear', [tensor('int8', [2]), tensor('float32', -1, [])]), [-2]);
  });
});
