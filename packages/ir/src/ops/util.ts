/**
 * Small helpers shared by op schemas and reference implementations.
 */
import { dtypeInfo, type DType, type TypedArray } from '../core/dtype.js';
import { broadcastShapes, broadcastStrides, isStaticShape, sizeOf, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, readElement, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import type { InferContext, RunContext } from './schema.js';

/** Output type equal to input i's dtype and shape (quant params dropped). */
export function sameAs(ctx: InferContext, i = 0): TensorType {
  const t = ctx.inputs[i]!;
  return { dtype: t.dtype, shape: t.shape };
}

/** The static shape of input i, or a ShapeError naming the node. */
export function staticShapeOf(ctx: InferContext | RunContext, i: number): StaticShape {
  const t = ctx.inputs[i];
  const shape = t instanceof Tensor ? t.shape : (t as TensorType | undefined)?.shape;
  if (!shape) return ctx.fail(`input ${i} is missing`);
  if (!isStaticShape(shape)) return ctx.fail(`input ${i} needs a static shape here, got [${shape.join(',')}]`);
  return shape;
}

/** Throws a ShapeError unless all given inputs share a dtype; returns it. */
export function commonDType(ctx: InferContext, indices: readonly number[]): DType {
  const types = indices.map((i) => ctx.inputs[i]).filter((t): t is TensorType => !!t);
  const d = types[0].dtype;
  for (const t of types) if (t.dtype !== d) ctx.fail(`inputs must share one dtype, got ${types.map((x) => x.dtype).join(' and ')}`);
  return d;
}

/** Broadcast output shape of the given inputs. */
export function broadcastOf(ctx: InferContext, indices: readonly number[]): Shape {
  const shapes = indices.map((i) => ctx.inputs[i]).filter((t): t is TensorType => !!t).map((t) => t.shape);
  try {
    return broadcastShapes(shapes);
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

export const isBig = (d: DType): boolean => dtypeInfo(d).big;

/** Applies f elementwise with broadcasting, on numbers. */
export function broadcastMap(inputs: readonly Tensor[], outDtype: DType, f: (...xs: number[]) => number): Tensor {
  const outShape = broadcastShapes(inputs.map((t) => t.shape)) as number[];
  const out = zeros(outDtype, outShape);
  const strides = inputs.map((t) => broadcastStrides(t.shape, outShape));
  const size = sizeOf(outShape);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = new Array<number>(inputs.length).fill(0);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = readElement(inputs[k].dtype, inputs[k].data as TypedArray, offs[k]);
    writeElement(outDtype, out.data as TypedArray, i, f(...args));
    // Odometer increment of the multi-index, updating input offsets incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < inputs.length; k++) offs[k] += strides[k][d];
      if (idx[d] < outShape[d]) break;
      for (let k = 0; k < inputs.length; k++) offs[k] -= strides[k][d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Applies f elementwise with broadcasting on bigint values (int64/uint64 arithmetic). */
export function broadcastMapBig(inputs: readonly Tensor[], outDtype: DType, f: (...xs: bigint[]) => bigint): Tensor {
  const outShape = broadcastShapes(inputs.map((t) => t.shape)) as number[];
  const out = zeros(outDtype, outShape);
  const strides = inputs.map((t) => broadcastStrides(t.shape, outShape));
  const size = sizeOf(outShape);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = new Array<number>(inputs.length).fill(0);
  const args = new Array<bigint>(inputs.length);
  const od = out.data as TypedArray;
  const big = od instanceof BigInt64Array || od instanceof BigUint64Array;
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].getBig(offs[k]);
    const r = f(...args);
    if (big) (od as BigInt64Array)[i] = outDtype === 'int64' ? BigInt.asIntN(64, r) : BigInt.asUintN(64, r);
    else writeElement(outDtype, od, i, Number(wrapInt(outDtype, r)));
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < inputs.length; k++) offs[k] += strides[k][d];
      if (idx[d] < outShape[d]) break;
      for (let k = 0; k < inputs.length; k++) offs[k] -= strides[k][d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Wraps a bigint to the width of an integer dtype, like a C cast (other dtypes: unchanged). */
export function wrapInt(dtype: DType, v: bigint): bigint {
  const info = dtypeInfo(dtype);
  if (info.kind === 'int') return BigInt.asIntN(info.bits, v);
  if (info.kind === 'uint') return BigInt.asUintN(info.bits, v);
  return v;
}

/** Applies f to every element. */
export function mapElements(t: Tensor, outDtype: DType, f: (x: number) => number): Tensor {
  const out = zeros(outDtype, t.shape);
  for (let i = 0; i < t.size; i++) writeElement(outDtype, out.data as TypedArray, i, f(t.get(i)));
  return out;
}

/** Rounds a result to the precision of a float dtype (float32 via Math.fround; others exact on write). */
export function roundTo(dtype: DType): (x: number) => number {
  return dtype === 'float32' ? Math.fround : (x) => x;
}

/** The values of a 1-D (or scalar) integer tensor as numbers (int64 shapes/indices). */
export function intValues(t: Tensor): number[] {
  return t.toNumbers();
}
