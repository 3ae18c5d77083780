/**
 * Small float-tensor helpers shared by the gradient rules, the losses and the optimizers. Training
 * runs in float32 (float64 too, which the gradient checks use); every helper keeps the dtype of the
 * tensor it is given and works on flat typed arrays.
 */
import { DTypeError, ShapeError, Tensor, broadcastShapes, formatShape, sizeOf, stridesOf, type ErrorContext, type StaticShape } from '@mo/ir';

/** Storage of the float dtypes training supports. */
export type FloatArray = Float32Array | Float64Array;

/** The dtypes training supports. */
export type TrainDType = 'float32' | 'float64';

/** True for the dtypes gradients flow through. */
export function isTrainDType(dtype: string): dtype is TrainDType {
  return dtype === 'float32' || dtype === 'float64';
}

/**
 * The float storage of `t`; a DTypeError (naming `what`) for other dtypes.
 *
 * @example
 * ```ts
 * const g = floats(ctx.gradOutputs[0]!, 'gradient');
 * ```
 */
export function floats(t: Tensor, what = 'tensor', ctx: ErrorContext = {}): FloatArray {
  if (t.dtype === 'float32' || t.dtype === 'float64') return t.data as FloatArray;
  throw new DTypeError(`${what} has dtype '${t.dtype}'; training supports 'float32' and 'float64'`, ctx);
}

/** Zeroed storage of `size` elements of `dtype`. */
export function allocFloat(dtype: TrainDType, size: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

/** A float tensor of `dtype` and `shape` over `data` (allocated zeroed when omitted). */
export function floatTensor(dtype: TrainDType, shape: StaticShape, data?: FloatArray): Tensor {
  return new Tensor(dtype, shape, data ?? allocFloat(dtype, sizeOf(shape)));
}

/** The train dtype of `t` (DTypeError for others). */
export function trainDType(t: Tensor, what = 'tensor', ctx: ErrorContext = {}): TrainDType {
  floats(t, what, ctx);
  return t.dtype as TrainDType;
}

/**
 * A zero tensor with the dtype (float32/float64) and shape of `like`, or of `shape`.
 *
 * @example
 * ```ts
 * const dx = zerosLike(ctx.inputs[0]!);
 * ```
 */
export function zerosLike(like: Tensor, shape: StaticShape = like.shape): Tensor {
  return floatTensor(trainDType(like), shape);
}

/** `t` converted to a float array of `dtype` (a copy; integer, bool and float16 inputs convert). */
export function toFloatArray(t: Tensor, dtype: TrainDType): FloatArray {
  const out = allocFloat(dtype, t.size);
  if (t.dtype === 'float32' || t.dtype === 'float64') out.set(t.data as FloatArray);
  else for (let i = 0; i < t.size; i++) out[i] = t.get(i);
  return out;
}

/** Elementwise a + b into a new tensor (same shapes). */
export function addTensors(a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size) throw new ShapeError(`cannot add gradients of shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const x = floats(a);
  const y = floats(b);
  const out = allocFloat(trainDType(a), a.size);
  for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
  return floatTensor(trainDType(a), a.shape, out);
}

/**
 * Elementwise map of one float tensor into a new tensor of the same dtype and shape.
 *
 * @example
 * ```ts
 * const dx = mapFloat(ctx.gradOutputs[0]!, (g) => -g); // Neg
 * ```
 */
export function mapFloat(t: Tensor, f: (x: number, i: number) => number): Tensor {
  const x = floats(t);
  const out = allocFloat(trainDType(t), t.size);
  for (let i = 0; i < out.length; i++) out[i] = f(x[i], i);
  return floatTensor(trainDType(t), t.shape, out);
}

/**
 * Elementwise combination of two same-size float tensors into a new tensor shaped like `a`.
 *
 * @example
 * ```ts
 * const dx = zipFloat(ctx.gradOutputs[0]!, ctx.inputs[0]!, (g, x) => g * Math.cos(x)); // Sin
 * ```
 */
export function zipFloat(a: Tensor, b: Tensor, f: (x: number, y: number, i: number) => number): Tensor {
  const x = floats(a);
  const y = floats(b);
  if (x.length !== y.length) throw new ShapeError(`shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  const out = allocFloat(trainDType(a), a.size);
  for (let i = 0; i < out.length; i++) out[i] = f(x[i], y[i], i);
  return floatTensor(trainDType(a), a.shape, out);
}

/**
 * For an output of shape `out` and input shapes broadcast to it, calls `f(o, offsets)` for every
 * output element (row-major) with the flat offset of the matching element of each input.
 */
export function forEachBroadcast(out: StaticShape, inputs: readonly StaticShape[], f: (o: number, offs: Int32Array) => void): void {
  const rank = out.length;
  const strides = inputs.map((s) => {
    const st = stridesOf(s);
    const res = new Array<number>(rank).fill(0);
    for (let i = 0; i < s.length; i++) res[rank - s.length + i] = s[i] === 1 ? 0 : st[i];
    return res;
  });
  const size = sizeOf(out);
  const idx = new Array<number>(rank).fill(0);
  const offs = new Int32Array(inputs.length);
  for (let o = 0; o < size; o++) {
    f(o, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < inputs.length; k++) offs[k] += strides[k][d];
      if (idx[d] < out[d]) break;
      for (let k = 0; k < inputs.length; k++) offs[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

/**
 * Sums a gradient of the broadcast shape `g.shape` down to `shape` (the shape of an input that was
 * broadcast): the reverse of numpy broadcasting.
 *
 * @example
 * ```ts
 * const dBias = unbroadcast(dY, [1, 4]); // dY [3, 4] summed over rows
 * ```
 */
export function unbroadcast(g: Tensor, shape: StaticShape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const dtype = trainDType(g);
  const gd = floats(g);
  const out = allocFloat(dtype, sizeOf(shape));
  forEachBroadcast(g.shape, [shape], (o, offs) => {
    out[offs[0]] += gd[o];
  });
  return floatTensor(dtype, shape, out);
}

/** The numpy broadcast of static shapes (ShapeError when they do not broadcast). */
export function broadcastStatic(shapes: readonly StaticShape[], ctx: ErrorContext = {}): number[] {
  return broadcastShapes(shapes, ctx) as number[];
}

/**
 * Copies `t` permuted: output axis i is input axis perm[i].
 *
 * @example
 * ```ts
 * const nchw = permute(nhwc, [0, 3, 1, 2]);
 * ```
 */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  const dtype = trainDType(t);
  const x = floats(t);
  const inStrides = stridesOf(t.shape);
  const outShape = perm.map((p) => t.shape[p]);
  const out = allocFloat(dtype, t.size);
  const rank = perm.length;
  const st = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x[off];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < outShape[d]) break;
      off -= st[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return floatTensor(dtype, outShape, out);
}

/** The inverse of a permutation. */
export function invertPermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Sum of squares of a float array (float64 accumulation). */
export function sumSquares(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
