/**
 * Reads an ONNX model file (Node): large raw_data straight from the file into buffers of their own,
 * everything else into one buffer laid out like the file, which is then decoded.
 *
 * Why not read the whole file into one buffer and view the weights there: on virtual machines the
 * first touch of fresh memory costs a page fault per 4 KiB, and one buffer the size of the file
 * rarely finds reusable memory in the allocator, while buffers of one tensor each usually do. So a
 * scan walks the message structure (reading in chunks into the file-shaped buffer) and leaves out
 * every raw_data of at least HOLE_MIN bytes; the pages of those holes are never touched there.
 * Each hole is then read into its own buffer (aligned for any element type), and the decoded
 * TensorProto points at it. The file-shaped buffer is dropped after the import: small raw_data
 * are copied out of it (the importer owns only the hole buffers).
 *
 * Bytes of a hole in the file-shaped buffer are never initialised: every raw_data the decoder
 * returns over a hole is replaced, and a hole that no decoded tensor claims is a FormatError.
 */
import { FormatError, MoError, type ErrorContext } from '@mo/ir';
import { decodeModel, type GraphProto, type ModelProto, type TensorProto } from './proto.js';

type NodeFs = typeof import('node:fs');
type BufferCtor = typeof import('node:buffer').Buffer;

/** raw_data at least this long is read into a buffer of its own. */
const HOLE_MIN = 16384;

/**
 * Read-ahead while scanning: one page after a hole (the next tensor's header is short, and more
 * would touch the next hole's pages), doubling while reads follow each other up to MAX_AHEAD.
 */
const MIN_AHEAD = 4096;
const MAX_AHEAD = 262144;

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

/** The result of reading a model file. */
export interface ModelFile {
  readonly model: ModelProto;
  /** True for raw_data that lies in a buffer of its own (its tensor may keep viewing it). */
  readonly owns: (raw: Uint8Array) => boolean;
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
    // Not zero-filled: every byte the decoder reads is read from the file first (see above).
    const b = Buffer.allocUnsafeSlow(size);
    const shaped = new Uint8Array(b.buffer, b.byteOffset, size);
    let holes: Map<number, number>;
    try {
      holes = scanner.scan(shaped, fs, fd, file);
    } finally {
      scanner.finish();
    }
    const model = decodeModel(shaped, ctx);
    let claimed = 0;
    forEachTensor(model, (tp) => {
      const raw = tp.rawData;
      if (!raw || raw.buffer !== shaped.buffer) return;
      const length = holes.get(raw.byteOffset - shaped.byteOffset);
      if (length === undefined || length !== raw.length) return;
      const own = Buffer.allocUnsafeSlow(length);
      const bytes = new Uint8Array(own.buffer, own.byteOffset, length);
      readFully(fs, fd, file, bytes, 0, length, raw.byteOffset - shaped.byteOffset);
      tp.rawData = bytes;
      claimed++;
    });
    if (claimed !== holes.size) throw new FormatError(`the structure of '${file}' is inconsistent: ${holes.size - claimed} large bytes fields are not raw_data of any tensor`, ctx);
    return { model, owns: (raw) => raw.buffer !== shaped.buffer };
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

/** Every TensorProto of the model: initializers, tensor attributes, sparse tensors, subgraphs. */
export function forEachTensor(model: ModelProto, visit: (tp: TensorProto) => void): void {
  const sparse = (s: { values?: unknown; indices?: unknown } | null | undefined) => {
    if (s?.values) visit(s.values as TensorProto);
    if (s?.indices) visit(s.indices as TensorProto);
  };
  const graph = (g: GraphProto | null | undefined, depth: number) => {
    if (!g || depth > MAX_GRAPH_DEPTH) return;
    for (const t of g.initializer ?? []) visit(t as TensorProto);
    for (const s of g.sparseInitializer ?? []) sparse(s);
    for (const n of g.node ?? []) {
      for (const a of n.attribute ?? []) {
        if (a.t) visit(a.t as TensorProto);
        for (const t of a.tensors ?? []) visit(t as TensorProto);
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
  private size = 0;

  scan(buf: Uint8Array, fs: NodeFs, fd: number, file: string): Map<number, number> {
    this.buf = buf;
    this.fs = fs;
    this.fd = fd;
    this.file = file;
    this.loaded = 0;
    this.ahead = MIN_AHEAD;
    this.holes = new Map();
    this.size = buf.length;
    this.walk(K.Model, 0, this.size, 0);
    return this.holes;
  }

  /** Lets go of the file (the scanner outlives it). */
  finish(): void {
    this.buf = EMPTY;
    this.fs = undefined;
    this.fd = -1;
    this.holes = new Map();
  }

  /** Makes sure bytes [pos, pos + n) are in `buf`, reading ahead. */
  private ensure(pos: number, n: number): void {
    const end = pos + n;
    if (end <= this.loaded) return;
    const from = Math.max(pos, this.loaded);
    this.ahead = from === this.loaded ? Math.min(MAX_AHEAD, this.ahead * 2) : MIN_AHEAD;
    const to = Math.min(this.size, Math.max(end, from + this.ahead));
    readFully(this.fs!, this.fd, this.file, this.buf, from, to - from, from);
    this.loaded = to;
  }

  /** A varint at `pos` within `end`: [value (low 32 bits), next position], or undefined when malformed. */
  private varint(pos: number, end: number): [number, number] | undefined {
    this.ensure(pos, Math.min(10, end - pos));
    let v = 0;
    for (let i = 0; i < 10 && pos < end; i++) {
      const c = this.buf[pos++];
      if (i < 5) v += (c & 0x7f) * 2 ** (7 * i);
      if (c < 0x80) return [v > 0xffffffff ? 0xffffffff : v, pos];
    }
    return undefined;
  }

  /** `graphs`: subgraph nesting so far (holes are not looked for beyond the importer's limit). */
  private walk(kind: K, start: number, end: number, graphs: number): void {
    const children = graphs <= MAX_GRAPH_DEPTH ? CHILDREN[kind] : undefined;
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
        if (child === K.Raw && n >= HOLE_MIN) this.holes.set(at, n);
        else if (child !== undefined && child !== K.Raw && n >= HOLE_MIN) this.walk(child, at, at + n, child === K.Graph && kind === K.Attr ? graphs + 1 : graphs);
        else this.ensure(at, n);
        pos = at + n;
      } else if (wt === 0) {
        const v = this.varint(pos, end);
        if (!v) break;
        pos = v[1];
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
