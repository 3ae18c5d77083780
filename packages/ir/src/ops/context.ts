/**
 * Reading an op's inputs from either context, so that shape logic is written once and serves both
 * infer() (types, constants when known) and run() (tensors).
 */
import type { DType } from '../core/dtype.js';
import type { QuantParams } from '../core/quant.js';
import { isStaticShape, type Dim, type Shape, type StaticShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { InferContext, RunContext } from './schema.js';

/** Either context. */
export type OpContext = InferContext | RunContext;

/** A failure reporter such as `ctx.fail` (helpers that only report take this, not the context). */
export type Fail = (message: string) => never;

/** The value of input i when it is known: a constant during inference, the tensor when running. */
export function known(ctx: OpContext, i: number): Tensor | undefined {
  if (!ctx.inputs[i]) return undefined;
  return 'constant' in ctx ? ctx.constant(i) : (ctx.inputs[i] as Tensor);
}

/** Type (or tensor) of input i; fails when a required input is missing. */
export function inputAt(ctx: OpContext, i: number): { readonly dtype: DType; readonly shape: Shape; readonly quant?: QuantParams } {
  const t = ctx.inputs[i];
  if (!t) return ctx.fail(`input ${i} is missing`);
  return t;
}

/** The static shape of input i, or a ShapeError naming the node. */
export function staticShapeOf(ctx: OpContext, i: number): StaticShape {
  const shape = inputAt(ctx, i).shape;
  if (!isStaticShape(shape)) return ctx.fail(`input ${i} needs a static shape here, got [${shape.join(',')}]`);
  return shape;
}

/** A fresh symbolic dim during inference; at run time every dim is known, so asking is a bug. */
export function freshDim(ctx: OpContext): () => Dim {
  return 'unknownDim' in ctx ? () => ctx.unknownDim() : () => ctx.fail('internal error: a dimension is unknown at run time');
}
