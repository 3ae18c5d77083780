/**
 * Reads an ONNX model file (Node) into a buffer laid out like the file, decodes it there, and gives
 * every raw_data a buffer of its own (aligned for any element type).
 *
 * Why not view the weights in one buffer of the file's size: on virtual machines the first touch
 * of fresh memory costs a page fault per 4 KiB, and such a buffer rarely finds reusable memory in
 * the allocator, while buffers of one tensor each usually do. So a scan walks the message structure,
 * reading the file in chunks, and notes every raw_data of at least HOLE_MIN bytes (a hole). Files up
 * to SCRATCH_MAX go into one buffer kept between calls, read in large chunks; holes already read
 * are copied out of it. Larger files go into a fresh buffer that the scan reads sparingly, skipping
 * holes, which are then read from the file straight into their own buffers, so that the pages of
 * the weights are touched once. Smaller bytes fields are always copied out.
 *
 * Bytes of a hole in the file-shaped buffer are never initialised (or hold an earlier file): every
 * raw_data the decoder returns over a hole is replaced, a hole that no decoded tensor claims is a
 * FormatError, and scan and decoder agree on every length, so nothing else can lie in a hole.
 */
import { FormatError, MoError, type ErrorContext } from '@mo/ir';
import { decodeModel, type AttributeProto, type GraphProto, type ModelProto, type TensorProto } from './proto.js';

type NodeFs = typeof import('node:fs');
type BufferCtor = typeof import('node:buffer').Buffer;

/** raw_data at least this long is read into a buffer of its own. */
const HOLE_MIN = 16384;

/**
 * Read-ahead while scanning a fresh buffer: one page after a hole (the next tensor's header is
 * short, and more would touch the next hole's pages), doubling while reads follow each other up
 * to MAX_AHEAD. The kept buffer's pages are no longer fresh: there the scan reads SCRATCH_AHEAD at
 * a time, and holes it has read already are copied from it instead of read again.
 */
const MIN_AHEAD = 4096;
const MAX_AHEAD = 262144;
const SCRATCH_AHEAD = 2 ** 20;

/** Subgraph nesting followed (the importer rejects deeper graphs). */
const MAX_GRAPH_DEPTH = 32;

/** The message kinds the scan descends into, and their fields that hold such messages or raw_data. */
const enum K {
  Model,
  Graph,
  Node,
  Attr,
  Tensor,
  Sparse,
  Raw,
}
const CHILDREN: Readonly<Record<number, Readonly<Record<number, K>>>> = {
  [K.Model]: { 7: K.Graph },
  [K.Graph]: { 1: K.Node, 5: K.Tensor, 15: K.Sparse },
  [K.Node]: { 5: K.Attr },
  [K.Attr]: { 5: K.Tensor, 6: K.Graph, 10: K.Tensor, 11: K.Graph, 22: K.Sparse, 23: K.Sparse },
  [K.Tensor]: { 9: K.Raw },
  [K.Sparse]: { 1: K.Tensor, 2: K.Tensor },
};

/** The result of reading a model file: every raw_data lies in a buffer of its own. */
export interface ModelFile {
  readonly model: ModelProto;
}

/**
 * Files up to this size are read into one buffer kept between calls (the memory cost of fast
 * reloads: fresh pages are what loading spends most of its time on); larger ones into a new
 * buffer per call, of which only the non-weight parts are ever touched.
 */
const SCRATCH_MAX = 32 * 2 ** 20;
let scratch: Uint8Array = new Uint8Array(0);

/** The kept buffer, grown to at least `size` bytes. */
function scratchBuffer(Buffer: BufferCtor, size: number): Uint8Array {
  if (scratch.length < size) scratch = uninitialised(Buffer, Math.min(SCRATCH_MAX, Math.ceil(size / 2 ** 20) * 2 ** 20));
  return scratch.subarray(0, size);
}

/** `size` bytes of storage of their own, not zero-filled (every byte is written before it is read). */
function uninitialised(Buffer: BufferCtor, size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/**
 * Reads and decodes the model at `file`. Reads are synchronous: the import that follows is
 * synchronous work anyway, and a thread-pool round trip per read costs more than the read.
 */
export function readModelFile(fs: NodeFs, Buffer: BufferCtor, file: string, ctx: ErrorContext): ModelFile {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new FormatError(`cannot read '${file}': ${(e as Error).message}`, ctx);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size >= 2 ** 31) throw new FormatError(`'${file}' is ${size} bytes; ONNX files over 2 GiB must keep their weights as external data`, ctx);
    if (size === 0) throw new FormatError('the model file is empty', ctx);
    const kept = size <= SCRATCH_MAX;
    const shaped = kept ? scratchBuffer(Buffer, size) : uninitialised(Buffer, size);
    let holes: Map<number, number>;
    let loaded: Set<number>;
    try {
      [holes, loaded] = scanner.scan(shaped, fs, fd, file, kept);
    } finally {
      scanner.finish();
    }
    const model = decodeModel(shaped, ctx);
    // Nothing may point into `shaped` once this returns (the next call reuses it): every bytes
    // field is copied out, holes not read yet are read from the file into buffers of their own.
    const inShaped = (b: Uint8Array | null | undefined): b is Uint8Array => !!b && b.buffer === shaped.buffer;
    const copy = (b: Uint8Array) => {
      const out = uninitialised(Buffer, b.length);
      out.set(b);
      return out;
    };
    let claimed = 0;
    forEachMessage(
      model,
      (tp) => {
        const raw = tp.rawData;
        if (inShaped(raw)) {
          const at = raw.byteOffset - shaped.byteOffset;
          const length = holes.get(at);
          if (length !== undefined && length === raw.length) {
            claimed++;
            if (loaded.has(at)) tp.rawData = copy(raw);
            else {
              tp.rawData = uninitialised(Buffer, length);
              readFully(fs, fd, file, tp.rawData, 0, length, at);
            }
          } else tp.rawData = copy(raw);
        }
        if (tp.stringData?.some(inShaped)) tp.stringData = tp.stringData.map(copy);
      },
      (a) => {
        if (inShaped(a.s)) a.s = copy(a.s);
        if (a.strings?.some(inShaped)) a.strings = a.strings.map(copy);
      },
    );
    if (claimed !== holes.size) throw new FormatError(`the structure of '${file}' is inconsistent: ${holes.size - claimed} large bytes fields are not raw_data of any tensor`, ctx);
    return { model };
  } catch (e) {
    if (e instanceof MoError) throw e;
    throw new FormatError(`cannot read '${file}': ${(e as Error).message}`, ctx);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads `length` bytes at `position` of the file into `into` at `offset`. */
function readFully(fs: NodeFs, fd: number, file: string, into: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, into, offset + done, length - done, position + done);
    if (n === 0) throw new FormatError(`'${file}' became shorter while it was being read`, { file, offset: position + done });
    done += n;
  }
}

/** Every TensorProto of the model: initializers, tensor attributes, sparse tensors, subgraphs (up to the importer's depth). */
export function forEachTensor(model: ModelProto, visit: (tp: TensorProto) => void): void {
  forEachMessage(model, visit, undefined, MAX_GRAPH_DEPTH);
}

/** Every TensorProto and AttributeProto of the model, subgraphs down to `maxDepth`. */
function forEachMessage(model: ModelProto, tensor: (tp: TensorProto) => void, attribute?: (a: AttributeProto) => void, maxDepth = Infinity): void {
  const sparse = (s: { values?: unknown; indices?: unknown } | null | undefined) => {
    if (s?.values) tensor(s.values as TensorProto);
    if (s?.indices) tensor(s.indices as TensorProto);
  };
  const graph = (g: GraphProto | null | undefined, depth: number) => {
    if (!g || depth > maxDepth) return;
    for (const t of g.initializer ?? []) tensor(t as TensorProto);
    for (const s of g.sparseInitializer ?? []) sparse(s);
    for (const n of g.node ?? []) {
      for (const a of n.attribute ?? []) {
        attribute?.(a as AttributeProto);
        if (a.t) tensor(a.t as TensorProto);
        for (const t of a.tensors ?? []) tensor(t as TensorProto);
        sparse(a.sparseTensor);
        for (const s of a.sparseTensors ?? []) sparse(s);
        graph(a.g, depth + 1);
        for (const sg of a.graphs ?? []) graph(sg, depth + 1);
      }
    }
  };
  graph(model.graph, 0);
}

const EMPTY = new Uint8Array(0);

/**
 * Walks the message structure of the file, reading it into `buf` (laid out like the file) except
 * for large raw_data, whose offsets and lengths it returns. It follows only what it needs to find
 * those; whatever it does not understand it reads whole, for the decoder to judge. One scanner
 * serves every (synchronous) call, so that V8 keeps its shape and the code optimized for it.
 */
class Scanner {
  private buf: Uint8Array = EMPTY;
  private fs: NodeFs | undefined = undefined;
  private fd = -1;
  private file = '';
  /** Everything before this file offset that is not a hole is in `buf`. */
  private loaded = 0;
  private ahead = MIN_AHEAD;
  private holes = new Map<number, number>();
  /** Holes whose bytes the read-ahead has put in `buf` all the same. */
  private holesRead = new Set<number>();
  private size = 0;
  private minAhead = MIN_AHEAD;
  private maxAhead = MAX_AHEAD;

  /** `warm`: `buf` is the kept buffer, whose pages cost nothing to touch again. */
  scan(buf: Uint8Array, fs: NodeFs, fd: number, file: string, warm: boolean): [Map<number, number>, Set<number>] {
    this.buf = buf;
    this.fs = fs;
    this.fd = fd;
    this.file = file;
    this.loaded = 0;
    this.minAhead = warm ? SCRATCH_AHEAD : MIN_AHEAD;
    this.maxAhead = warm ? SCRATCH_AHEAD : MAX_AHEAD;
    this.ahead = this.minAhead;
    this.holes = new Map();
    this.holesRead = new Set();
    this.size = buf.length;
    this.walk(K.Model, 0, this.size, 0);
    return [this.holes, this.holesRead];
  }

  /** Lets go of the file (the scanner outlives it). */
  finish(): void {
    this.buf = EMPTY;
    this.fs = undefined;
    this.fd = -1;
    this.holes = new Map();
    this.holesRead = new Set();
  }

  /** Makes sure bytes [pos, pos + n) are in `buf`, reading ahead. */
  private ensure(pos: number, n: number): void {
    const end = pos + n;
    if (end <= this.loaded) return;
    const from = Math.max(pos, this.loaded);
    this.ahead = from === this.loaded ? Math.min(this.maxAhead, this.ahead * 2) : this.minAhead;
    const to = Math.min(this.size, Math.max(end, from + this.ahead));
    readFully(this.fs!, this.fd, this.file, this.buf, from, to - from, from);
    this.loaded = to;
  }

  /**
   * A varint at `pos` within `end`: [value, next position], or undefined when malformed or beyond
   * 2^32 (the decoder rejects such lengths too, so scan and decoder agree on every length).
   */
  private varint(pos: number, end: number): [number, number] | undefined {
    this.ensure(pos, Math.min(10, end - pos));
    let v = 0;
    for (let i = 0; i < 10 && pos < end; i++) {
      const c = this.buf[pos++];
      if (i < 5) v += (c & 0x7f) * 2 ** (7 * i);
      else if (c & 0x7f) return undefined;
      if (c < 0x80) return v > 0xffffffff ? undefined : [v, pos];
    }
    return undefined;
  }

  /** `graphs`: subgraph nesting so far (holes are not looked for beyond the importer's limit). */
  /** The position after the varint at `pos` (any value), or -1 when malformed. */
  private skipVarint(pos: number, end: number): number {
    this.ensure(pos, Math.min(10, end - pos));
    for (let i = 0; i < 10 && pos < end; i++) if (this.buf[pos++] < 0x80) return pos;
    return -1;
  }

  private walk(kind: K, start: number, end: number, graphs: number): void {
    const children = graphs <= MAX_GRAPH_DEPTH ? CHILDREN[kind] : undefined;
    let hole = -1;
    let pos = start;
    while (pos < end) {
      const tag = this.varint(pos, end);
      if (!tag) break;
      const [t, afterTag] = tag;
      pos = afterTag;
      const wt = t & 7;
      if (wt === 2) {
        const len = this.varint(pos, end);
        if (!len || len[0] > end - len[1]) break;
        const [n, at] = len;
        const child = children?.[t >>> 3];
        if (child === K.Raw && n >= HOLE_MIN) {
          // A field given twice counts once, the last time (as in the decoder).
          if (hole >= 0) {
            this.holes.delete(hole);
            this.holesRead.delete(hole);
          }
          hole = at;
          this.holes.set(at, n);
          // Reads since the last skipped hole are contiguous: a hole below `loaded` is in `buf`.
          if (at + n <= this.loaded) this.holesRead.add(at);
        } else if (child !== undefined && child !== K.Raw && n >= HOLE_MIN) this.walk(child, at, at + n, child === K.Graph && kind === K.Attr ? graphs + 1 : graphs);
        else this.ensure(at, n);
        pos = at + n;
      } else if (wt === 0) {
        const next = this.skipVarint(pos, end);
        if (next < 0) break;
        pos = next;
      } else if (wt === 1 || wt === 5) {
        const w = wt === 1 ? 8 : 4;
        if (w > end - pos) break;
        this.ensure(pos, w);
        pos += w;
      } else break; // groups and invalid wire types: left to the decoder
    }
    if (pos < end) this.ensure(pos, end - pos);
  }
}

const scanner = new Scanner();
