/**
 * A first-fit free-list allocator over the wasm linear memory, run from JavaScript. Every block is
 * 64-byte aligned and followed by at least 64 bytes of slack, so that SIMD kernels may read (never
 * write) a few lanes past the end of a buffer. Memory grows on demand; views are refreshed when it
 * does.
 */
import { ArgumentError } from '@mo/ir';

export const ALIGN = 64;
const SLACK = 64;
const PAGE = 65536;

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

interface Block {
  offset: number;
  size: number;
}

/**
 * @example
 * ```ts
 * const heap = createRuntimeSync().heap;
 * const p = heap.alloc(1024);
 * heap.release(p);
 * ```
 */
export class Heap {
  /** Free blocks sorted by offset, coalesced. */
  private free: Block[] = [];
  private readonly used = new Map<number, number>();
  private top: number;
  private _f32!: Float32Array;
  private _i32!: Int32Array;
  private _u8!: Uint8Array;
  private _f64!: Float64Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.top = roundUp(base, ALIGN);
    this.refresh();
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    this._f32 = new Float32Array(buf);
    this._i32 = new Int32Array(buf);
    this._u8 = new Uint8Array(buf);
    this._f64 = new Float64Array(buf);
  }

  /** A Float32Array view of the whole memory (re-created when memory grows). */
  get f32(): Float32Array {
    if (this._f32.buffer !== this.memory.buffer) this.refresh();
    return this._f32;
  }

  get i32(): Int32Array {
    if (this._i32.buffer !== this.memory.buffer) this.refresh();
    return this._i32;
  }

  get f64(): Float64Array {
    if (this._f64.buffer !== this.memory.buffer) this.refresh();
    return this._f64;
  }

  get u8(): Uint8Array {
    if (this._u8.buffer !== this.memory.buffer) this.refresh();
    return this._u8;
  }

  /** Bytes currently reserved (allocated blocks, including alignment and slack). */
  get bytesInUse(): number {
    let n = 0;
    for (const s of this.used.values()) n += s;
    return n;
  }

  /** Size of the linear memory in bytes. */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Allocates `bytes` (64-byte aligned, plus slack); returns the byte offset. */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new ArgumentError(`cannot allocate ${bytes} bytes`);
    const size = roundUp(Math.max(bytes, 1), ALIGN) + SLACK;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        const offset = b.offset;
        if (b.size === size) this.free.splice(i, 1);
        else {
          b.offset += size;
          b.size -= size;
        }
        this.used.set(offset, size);
        return offset;
      }
    }
    const offset = this.top;
    this.ensure(offset + size);
    this.top = offset + size;
    this.used.set(offset, size);
    return offset;
  }

  /** Allocates and zero-fills. */
  calloc(bytes: number): number {
    const p = this.alloc(bytes);
    this.u8.fill(0, p, p + roundUp(Math.max(bytes, 1), ALIGN) + SLACK);
    return p;
  }

  /** Frees a block returned by alloc (0 and unknown offsets throw). */
  release(offset: number): void {
    const size = this.used.get(offset);
    if (size === undefined) throw new ArgumentError(`heap: offset ${offset} is not an allocated block`);
    this.used.delete(offset);
    if (offset + size === this.top) {
      this.top = offset;
      // absorb a free block that now ends at the top
      const last = this.free[this.free.length - 1];
      if (last && last.offset + last.size === this.top) {
        this.top = last.offset;
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i].offset < offset) i++;
    this.free.splice(i, 0, { offset, size });
    // coalesce with neighbours
    if (i + 1 < this.free.length && offset + size === this.free[i + 1].offset) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].offset + this.free[i - 1].size === offset) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    // grow by at least 1/4 of the current size to limit the number of grow calls
    const extra = Math.max(pages, Math.ceil(have / PAGE / 4));
    try {
      this.memory.grow(extra);
    } catch {
      this.memory.grow(pages);
    }
    this.refresh();
  }

  /** Copies a Float32Array into memory at `offset`. */
  writeF32(offset: number, data: ArrayLike<number>): void {
    this.f32.set(data, offset >> 2);
  }

  /** A copy of `length` floats at `offset` (into `out` when given). */
  readF32(offset: number, length: number, out: Float32Array = new Float32Array(length)): Float32Array {
    out.set(this.f32.subarray(offset >> 2, (offset >> 2) + length));
    return out;
  }
}
