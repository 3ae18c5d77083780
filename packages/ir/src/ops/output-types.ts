/**
 * Building output TensorTypes: copies of an input's type, and quantization that survives element
 * movement.
 */
import type { DType } from '../core/dtype.js';
import type { QuantParams } from '../core/quant.js';
import type { Shape } from '../core/shape.js';
import type { TensorType } from '../graph/types.js';
import type { InferContext } from './schema.js';

/** Output type equal to input i's dtype and shape (quant params dropped). */
export function sameAs(ctx: InferContext, i = 0): TensorType {
  const t = ctx.inputs[i]!;
  return { dtype: t.dtype, shape: t.shape };
}

/** A TensorType, with quant only when set. */
export function typeOf(dtype: DType, shape: Shape, quant?: QuantParams): TensorType {
  return quant ? { dtype, shape, quant } : { dtype, shape };
}

/** Per-tensor quantization survives pure element movement; per-axis params would need remapping. */
export function movedQuant(t: { readonly quant?: QuantParams }): QuantParams | undefined {
  return t.quant?.kind === 'per-tensor' ? t.quant : undefined;
}
