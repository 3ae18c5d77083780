/**
 * ONNX TypeProto <-> IR TensorType. Symbolic dims (dim_param) stay symbolic; dims with neither a
 * value nor a name get a deterministic placeholder starting with '?', the prefix the exporter
 * writes back as an unnamed dim.
 */
import { FormatError, type Dim, type ErrorContext, type TensorType } from '@mo/ir';
import { dtypeFromOnnx, dtypeToOnnx, isSupportedOnnxDType, onnxDTypeName } from './dtypes.js';
import { hasField, int64ToNumber, type TypeProto, type ValueInfoProto } from './proto.js';

/** Why a value type cannot be represented, or the type. */
export type TypeResult = { readonly ok: true; readonly type: TensorType } | { readonly ok: false; readonly reason: string; readonly missing?: boolean };

/** Largest dim accepted in a type (beyond int32 is certainly corrupt). */
const MAX_DIM = 2 ** 31 - 1;

/**
 * The tensor type of a ValueInfoProto. `placeholder(k)` names the k-th unknown dim.
 */
export function typeFromProto(vi: ValueInfoProto, placeholder: (k: number) => string, ctx: ErrorContext): TypeResult {
  const tp = vi.type as TypeProto | null | undefined;
  if (!tp) return { ok: false, reason: 'has no type', missing: true };
  if (!tp.tensorType) {
    const kind = tp.sequenceType ? 'a sequence' : tp.mapType ? 'a map' : tp.optionalType ? 'an optional' : tp.sparseTensorType ? 'a sparse tensor' : 'a non-tensor value';
    return { ok: false, reason: `is ${kind} (only tensors are supported)` };
  }
  const elem = tp.tensorType.elemType ?? 0;
  if (elem === 0) return { ok: false, reason: 'has no element type', missing: true };
  if (!isSupportedOnnxDType(elem)) return { ok: false, reason: `has element type ${onnxDTypeName(elem)} (not supported)` };
  const dtype = dtypeFromOnnx(elem, ctx);
  if (!tp.tensorType.shape) return { ok: false, reason: 'has no shape (unknown rank is not supported)', missing: true };
  const dims = tp.tensorType.shape.dim ?? [];
  if (dims.length > 64) throw new FormatError(`type of '${vi.name}' has ${dims.length} dimensions (limit 64)`, ctx);
  const shape: Dim[] = dims.map((d, k) => {
    if (hasField(d, 'dimValue')) {
      const v = int64ToNumber(d.dimValue as never);
      if (!Number.isInteger(v) || v < 0 || v > MAX_DIM) throw new FormatError(`type of '${vi.name}' has invalid dimension ${v}`, ctx);
      return v;
    }
    if (d.dimParam) return d.dimParam;
    return placeholder(k);
  });
  return { ok: true, type: { dtype, shape } };
}

/** A ValueInfoProto for an IR type ('?'-prefixed dims are written unnamed). */
export function typeToProto(name: string, type: TensorType): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dtypeToOnnx(type.dtype),
        shape: { dim: type.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d.startsWith('?') ? {} : { dimParam: d })) },
      },
    },
  };
}
