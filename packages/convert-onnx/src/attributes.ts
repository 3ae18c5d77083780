/**
 * AttributeProto <-> IR attribute values. Ints and floats are both JS numbers in the IR; the
 * attribute type travels beside the value (`attrTypes`) so that export writes the right field.
 */
import { FormatError, Tensor, type AttrType, type AttrValue, type ErrorContext } from '@mo/ir';
import { reject } from './errors.js';
import { ATTR, bigIntToInt64, bytesToString, hasField, int64ToNumber, stringToBytes, type AttributeProto, type GraphProto, type TensorProto } from './proto.js';
import { tensorFromProto, type TensorDecodeOptions } from './tensor-decode.js';
import { tensorToProto } from './tensor-encode.js';

export type DecodedAttr =
  | { readonly kind: 'value'; readonly type: AttrType; readonly value: AttrValue }
  | { readonly kind: 'graph'; readonly graph: GraphProto }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** Attribute type code when `type` is missing (IR version 1 files): guessed from the field present. */
function guessType(a: AttributeProto): number {
  if (a.floats?.length) return ATTR.FLOATS;
  if (a.ints?.length) return ATTR.INTS;
  if (a.strings?.length) return ATTR.STRINGS;
  if (a.tensors?.length) return ATTR.TENSORS;
  if (a.graphs?.length) return ATTR.GRAPHS;
  if (hasField(a, 'f')) return ATTR.FLOAT;
  if (hasField(a, 'i')) return ATTR.INT;
  if (hasField(a, 's')) return ATTR.STRING;
  if (hasField(a, 't')) return ATTR.TENSOR;
  if (hasField(a, 'g')) return ATTR.GRAPH;
  return ATTR.UNDEFINED;
}

/** Decodes one attribute. Tensor attributes are decoded (and size-checked) eagerly. */
export function decodeAttr(a: AttributeProto, opts: TensorDecodeOptions, ctx: ErrorContext): DecodedAttr {
  if (a.refAttrName) return { kind: 'unsupported', reason: `attribute '${a.name}' refers to function attribute '${a.refAttrName}' (functions are not supported)` };
  const type = a.type || guessType(a);
  switch (type) {
    case ATTR.FLOAT:
      return { kind: 'value', type: 'float', value: a.f ?? 0 };
    case ATTR.INT:
      return { kind: 'value', type: 'int', value: int64ToNumber(a.i as never) };
    case ATTR.STRING:
      return { kind: 'value', type: 'string', value: bytesToString(a.s) };
    case ATTR.FLOATS:
      return { kind: 'value', type: 'floats', value: [...(a.floats ?? [])] };
    case ATTR.INTS:
      return { kind: 'value', type: 'ints', value: (a.ints ?? []).map((v) => int64ToNumber(v as never)) };
    case ATTR.STRINGS:
      return { kind: 'value', type: 'strings', value: (a.strings ?? []).map(bytesToString) };
    case ATTR.TENSOR:
      if (!a.t) throw new FormatError(`attribute '${a.name}' of type TENSOR has no tensor`, ctx);
      return { kind: 'value', type: 'tensor', value: tensorFromProto(a.t as TensorProto, { ...opts, ctx }) };
    case ATTR.GRAPH:
      if (!a.g) throw new FormatError(`attribute '${a.name}' of type GRAPH has no graph`, ctx);
      return { kind: 'graph', graph: a.g };
    case ATTR.SPARSE_TENSOR:
    case ATTR.SPARSE_TENSORS:
      return { kind: 'unsupported', reason: `attribute '${a.name}' holds a sparse tensor (not supported)` };
    case ATTR.TENSORS:
    case ATTR.GRAPHS:
    case ATTR.TYPE_PROTO:
    case ATTR.TYPE_PROTOS:
      return { kind: 'unsupported', reason: `attribute '${a.name}' has a list-of-tensors/graphs or type type (not supported)` };
    default:
      throw new FormatError(`attribute '${a.name}' has invalid type ${type}`, ctx);
  }
}

/** Guesses an attribute type from a value (used only where neither the node nor the schema says). */
export function guessAttrType(v: AttrValue): AttrType {
  if (v instanceof Tensor) return 'tensor';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  const arr = v as readonly (number | string)[];
  if (arr.length && typeof arr[0] === 'string') return 'strings';
  return (arr as readonly number[]).every(Number.isInteger) ? 'ints' : 'floats';
}

/** Encodes one attribute. */
export function encodeAttr(name: string, value: AttrValue, type: AttrType): AttributeProto {
  switch (type) {
    case 'float':
      return { name, type: ATTR.FLOAT, f: value as number };
    case 'int':
      return { name, type: ATTR.INT, i: intToProto(value as number) };
    case 'string':
      return { name, type: ATTR.STRING, s: stringToBytes(value as string) };
    case 'floats':
      return { name, type: ATTR.FLOATS, floats: [...(value as number[])] };
    case 'ints':
      return { name, type: ATTR.INTS, ints: (value as number[]).map(intToProto) };
    case 'strings':
      return { name, type: ATTR.STRINGS, strings: (value as string[]).map(stringToBytes) };
    case 'tensor':
      return { name, type: ATTR.TENSOR, t: tensorToProto(value as Tensor) };
    default:
      return reject(`attribute '${name}' of type ${String(type)} cannot be written`);
  }
}

/** A JS number as an exact int64 field value (the +-9.2e18 sentinels clamp to INT64_MAX/MIN). */
function intToProto(v: number): number | { low: number; high: number; unsigned: boolean } {
  if (Number.isSafeInteger(v)) return v;
  const b = v >= 9.2e18 ? (1n << 63n) - 1n : v <= -9.2e18 ? -(1n << 63n) : BigInt(Math.trunc(v));
  return bigIntToInt64(b);
}
