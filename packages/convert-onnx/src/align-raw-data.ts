/**
 * Puts every raw_data of a model that `loadOnnx` read into a buffer of its own at a multiple of its
 * element size, inside that same buffer, so that the importer can use every tensor in place.
 *
 * A misaligned raw_data moves back by 1-7 bytes, over its own field header (the tag and length
 * varint just before it, at least 1 + varintSize(length) bytes, which nothing references once
 * decoded), so nothing else is overwritten. Large tensors are moved by reading their bytes from
 * the file again straight to the new place: on virtual machines the first touch of a fresh page
 * from user space is expensive (a page fault each), and that read leaves the weights untouched
 * by JavaScript; small ones are moved with copyWithin.
 */
import { FormatError, allocate, type ErrorContext } from '@mo/ir';
import { isSupportedOnnxDType, dtypeFromOnnx } from './dtypes.js';
import type { GraphProto, ModelProto, TensorProto } from './proto.js';

/** Reads `length` bytes at `position` of the file into `offset` of the buffer; returns the count read. */
export type ReadAt = (offset: number, length: number, position: number) => number;

/** Below this many bytes a move is a copyWithin; above, a read from the file. */
const REREAD_MIN = 16384;

/** Subgraph nesting visited (deeper graphs are rejected by the importer anyway). */
const MAX_DEPTH = 32;

/**
 * Aligns the raw_data of every tensor of `model` (decoded from `buf`, which holds the file from
 * byte 0) and points the TensorProtos at the moved bytes. `readAt` returning fewer bytes than asked
 * means the file shrank while it was being read (a FormatError).
 */
export function alignRawData(model: ModelProto, buf: Uint8Array, readAt: ReadAt, ctx: ErrorContext = {}): void {
  const whole = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const visitTensor = (tp: TensorProto | null | undefined) => {
    const raw = tp?.rawData;
    if (!tp || !raw || raw.length === 0 || raw.buffer !== buf.buffer) return;
    const size = elementSize(tp.dataType ?? 0);
    const shift = raw.byteOffset % size;
    if (size === 1 || shift === 0 || shift > 1 + varintSize(raw.length)) return;
    const from = raw.byteOffset - buf.byteOffset;
    const to = from - shift;
    if (raw.length < REREAD_MIN) whole.copyWithin(to, from, from + raw.length);
    else if (readAt(to, raw.length, from) !== raw.length) throw new FormatError('the file changed while it was being read', { ...ctx, offset: from });
    tp.rawData = new Uint8Array(buf.buffer, buf.byteOffset + to, raw.length);
  };
  const visitGraph = (g: GraphProto | null | undefined, depth: number) => {
    if (!g || depth > MAX_DEPTH) return;
    for (const t of g.initializer ?? []) visitTensor(t as TensorProto);
    for (const n of g.node ?? []) {
      for (const a of n.attribute ?? []) {
        visitTensor(a.t as TensorProto);
        visitGraph(a.g, depth + 1);
        for (const sg of a.graphs ?? []) visitGraph(sg, depth + 1);
      }
    }
  };
  visitGraph(model.graph, 0);
}

/** Bytes per element of an ONNX data type as the IR stores it (1 for unknown types: never moved). */
function elementSize(code: number): number {
  if (!isSupportedOnnxDType(code)) return 1;
  return (allocate(dtypeFromOnnx(code), 0) as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
}

function varintSize(n: number): number {
  let k = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    k++;
  }
  return k;
}
