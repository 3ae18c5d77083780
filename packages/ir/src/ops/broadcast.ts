/**
 * Multidirectional (numpy) broadcasting for op schemas: output shapes with errors that name the
 * node, and the input element each output element reads.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import { broadcastShapes, broadcastStrides, sizeOf, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, readElement, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import type { InferContext, RunContext } from './schema.js';

/** Broadcast output shape of the given inputs (absent ones skipped); a ShapeError naming the node. */
export function broadcastOf(ctx: InferContext, indices: readonly number[]): Shape {
  const shapes = indices.map((i) => ctx.inputs[i]).filter((t): t is TensorType => !!t).map((t) => t.shape);
  try {
    return broadcastShapes(shapes);
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

/** Broadcast shape of run-time tensors; a ShapeError naming the node when they do not broadcast. */
export function runBroadcastShape(ctx: RunContext, shapes: readonly StaticShape[]): number[] {
  try {
    return broadcastShapes(shapes) as number[];
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

/** For each element of `out`, the flat index of the element of a tensor of shape `inShape` broadcast to it. */
export function broadcastIndex(inShape: StaticShape, out: StaticShape): Int32Array {
  const strides = broadcastStrides(inShape, out);
  const size = sizeOf(out);
  const rank = out.length;
  const idx = new Array<number>(rank).fill(0);
  const res = new Int32Array(size);
  let off = 0;
  for (let i = 0; i < size; i++) {
    res[i] = off;
    // Odometer step: bump the last coordinate, carrying into earlier ones.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < out[d]) break;
      off -= strides[d] * out[d];
      idx[d] = 0;
    }
  }
  return res;
}

/** Applies f elementwise with broadcasting, on numbers (no dtype checks, no node context). */
export function broadcastMap(inputs: readonly Tensor[], outDtype: DType, f: (...xs: number[]) => number): Tensor {
  const outShape = broadcastShapes(inputs.map((t) => t.shape)) as number[];
  const out = zeros(outDtype, outShape);
  const index = inputs.map((t) => broadcastIndex(t.shape, outShape));
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < out.size; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = readElement(inputs[k].dtype, inputs[k].data as TypedArray, index[k][i]);
    writeElement(outDtype, out.data as TypedArray, i, f(...args));
  }
  return out;
}
