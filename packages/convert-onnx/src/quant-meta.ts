/**
 * Quantization params that ONNX cannot attach to a value (graph inputs/outputs, integer
 * initializers read by integer ops) travel in one metadata_props entry, `mo.quant`, as JSON, so
 * that a save/load round trip keeps them. Files without it are ordinary ONNX.
 */
import { ArgumentError, FormatError, lut, perAxis, perBlock, perTensor, type ErrorContext, type QuantParams } from '@mo/ir';

export const QUANT_META_KEY = 'mo.quant';

/** Serialises quant params per value name. */
export function encodeQuantMeta(entries: ReadonlyMap<string, QuantParams>): string {
  const out: Record<string, unknown> = {};
  for (const [name, q] of entries) {
    switch (q.kind) {
      case 'per-tensor':
        out[name] = { kind: q.kind, scale: q.scale, zeroPoint: q.zeroPoint };
        break;
      case 'per-axis':
        out[name] = { kind: q.kind, axis: q.axis, scales: [...q.scales], zeroPoints: [...q.zeroPoints] };
        break;
      case 'per-block':
        out[name] = { kind: q.kind, axis: q.axis, blockSize: q.blockSize, scales: [...q.scales], zeroPoints: [...q.zeroPoints] };
        break;
      case 'lut':
        out[name] = { kind: q.kind, bits: q.bits, axis: q.axis, groupSize: q.groupSize, tables: [...q.tables] };
        break;
    }
  }
  return JSON.stringify(out);
}

const int = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentError(`${what} must be an integer`);
  return v;
};

const nums = (v: unknown): number[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new ArgumentError('expected an array of numbers');
  return v as number[];
};

/** Parses the `mo.quant` entry; a malformed entry is a FormatError. */
export function decodeQuantMeta(text: string, ctx: ErrorContext = {}): Map<string, QuantParams> {
  const out = new Map<string, QuantParams>();
  try {
    const obj = JSON.parse(text) as Record<string, Record<string, unknown>>;
    if (!obj || typeof obj !== 'object') throw new ArgumentError('not an object');
    for (const [name, q] of Object.entries(obj)) {
      switch (q?.kind) {
        case 'per-tensor':
          out.set(name, perTensor(q.scale as number, int(q.zeroPoint, 'zeroPoint')));
          break;
        case 'per-axis':
          out.set(name, perAxis(int(q.axis, 'axis'), nums(q.scales), nums(q.zeroPoints)));
          break;
        case 'per-block':
          out.set(name, perBlock(int(q.axis, 'axis'), int(q.blockSize, 'blockSize'), nums(q.scales), nums(q.zeroPoints)));
          break;
        case 'lut':
          out.set(name, lut(int(q.bits, 'bits'), nums(q.tables), { axis: int(q.axis, 'axis'), groupSize: int(q.groupSize, 'groupSize') }));
          break;
        default:
          throw new ArgumentError(`unknown quantization kind ${JSON.stringify(q?.kind)}`);
      }
    }
  } catch (e) {
    throw new FormatError(`metadata '${QUANT_META_KEY}' is malformed: ${(e as Error).message}`, ctx);
  }
  return out;
}

/** `t` with quant params from the metadata; params that do not fit the tensor are a FormatError. */
export function withQuantChecked<T extends { withQuant(q: QuantParams): T }>(t: T, q: QuantParams, name: string, ctx: ErrorContext = {}): T {
  try {
    return t.withQuant(q);
  } catch (e) {
    throw new FormatError(`metadata '${QUANT_META_KEY}' gives '${name}' quantization params that do not fit it: ${(e as Error).message}`, { ...ctx, value: name });
  }
}
