/**
 * Model size as initializer bytes, quantization params included: float32 scales (4 bytes each),
 * zero points at their storage width when any is non-zero, lookup tables as float32. `packed`
 * sizes count quantized elements at their scheme's bits (a 3-bit weight stored as int4 counts 3).
 */
import { byteLength, type Graph, type QuantParams, type Tensor } from '@mo/ir';

/** Bytes of the quantization params carried in a tensor's type. */
export function quantParamBytes(q: QuantParams | undefined, dtype: Tensor['dtype']): number {
  if (!q) return 0;
  switch (q.kind) {
    case 'per-tensor':
      return 4 + (q.zeroPoint !== 0 ? byteLength(dtype, 1) : 0);
    case 'per-axis':
    case 'per-block':
      return 4 * q.scales.length + (q.zeroPoints.some((z) => z !== 0) ? byteLength(dtype, q.zeroPoints.length) : 0);
    case 'lut':
      return 4 * q.tables.length;
  }
}

/**
 * Storage bytes of a tensor plus its type's quantization params.
 *
 * @example
 * ```ts
 * tensorBytes(quantizeAffine(w, scheme).q);
 * ```
 */
export function tensorBytes(t: Tensor): number {
  return t.byteLength + quantParamBytes(t.quant, t.dtype);
}

/** Bytes of a tensor with its elements packed at `bits` each. */
export function packedTensorBytes(t: Tensor, bits: number): number {
  return Math.ceil((t.size * bits) / 8) + quantParamBytes(t.quant, t.dtype);
}

/**
 * Bytes of all initializers. `bitsOf` gives the scheme bits of quantized initializers to pack.
 *
 * @example
 * ```ts
 * initializerBytes(quantized) / initializerBytes(model); // the report's size ratio
 * ```
 */
export function initializerBytes(g: Graph, bitsOf?: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const [name, t] of g.initializers) {
    const bits = bitsOf?.get(name);
    total += bits !== undefined ? packedTensorBytes(t, bits) : tensorBytes(t);
  }
  return total;
}
