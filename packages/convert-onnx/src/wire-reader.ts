/**
 * Protobuf wire-format primitives over one Uint8Array: varints, fixed-width numbers, length-
 * delimited fields as zero-copy views. Every read is checked against the end of the message being
 * read, and every failure is a FormatError carrying the byte offset where it happened.
 */
import { FormatError, type ErrorContext } from '@mo/ir';

/** A protobuf int64 as a JS number when exact (|v| <= 2^53), else its two 32-bit halves. */
export type Int64Value = number | { readonly low: number; readonly high: number; readonly unsigned: false };

/** Wire types of the protobuf encoding. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Nesting limit for messages and groups (protobuf's own default recursion limit). */
export const MAX_NESTING = 100;

const utf8 = new TextDecoder('utf-8');

const EMPTY = new Uint8Array(0);

/**
 * Decoding is synchronous, so one reader serves every call (`start` ... `finish`). Keeping one
 * object alive also keeps its shape alive: V8 discards optimized code whose object shapes were
 * garbage-collected, and a reader per call would have the decoder recompiled after every GC.
 */
export class WireReader {
  buf: Uint8Array = EMPTY;
  view: DataView = new DataView(EMPTY.buffer as ArrayBufferLike);
  /** Position of the next byte to read. */
  pos = 0;
  /** Position of the last tag read by `tag()`. */
  at = 0;
  /** Messages currently open (for the nesting limit). */
  depth = 0;
  private what = '';
  private ctx: ErrorContext = {};

  /** Starts reading `buf` (`what` and `ctx` name it in errors). */
  start(buf: Uint8Array, what: string, ctx: ErrorContext): this {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
    this.at = 0;
    this.depth = 0;
    this.what = what;
    this.ctx = ctx;
    return this;
  }

  /** Lets go of the input (the reader outlives it). */
  finish(): void {
    this.start(EMPTY, '', {});
  }

  /** A FormatError at byte `at` (default: the current position). */
  fail(detail: string, at = this.pos): FormatError {
    return new FormatError(`cannot decode ${this.what}: ${detail} at offset ${at}`, { ...this.ctx, offset: at });
  }

  /** The tag of the next field (field number << 3 | wire type); field number 0 is invalid. */
  tag(end: number): number {
    this.at = this.pos;
    const t = this.uint32(end);
    if (t >>> 3 === 0) throw this.fail('field number 0', this.at);
    return t;
  }

  /** A varint of up to 32 significant bits (longer encodings are truncated to their low 32 bits). */
  uint32(end: number): number {
    const b = this.buf;
    let p = this.pos;
    if (p >= end) throw this.fail('truncated varint');
    let c = b[p++];
    let v = c & 0x7f;
    if (c < 0x80) {
      this.pos = p;
      return v;
    }
    for (let shift = 7; shift < 70; shift += 7) {
      if (p >= end) throw this.fail('truncated varint');
      c = b[p++];
      if (shift < 32) v |= (c & 0x7f) << shift;
      if (c < 0x80) {
        this.pos = p;
        return v >>> 0;
      }
    }
    throw this.fail('varint longer than 10 bytes', this.pos);
  }

  /** An int32 field (negative values are sign-extended 10-byte varints). */
  int32(end: number): number {
    return this.uint32(end) | 0;
  }

  /** An int64 field: a number when exact, else the two halves (see Int64Value). */
  int64(end: number): Int64Value {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (p >= end) throw this.fail('truncated varint');
      const c = b[p++];
      const bits = c & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (c < 0x80) {
        this.pos = p;
        const v = (hi | 0) * 4294967296 + (lo >>> 0);
        return Number.isSafeInteger(v) ? v : { low: lo | 0, high: hi | 0, unsigned: false };
      }
    }
    throw this.fail('varint longer than 10 bytes', this.pos);
  }

  float(end: number): number {
    if (this.pos + 4 > end) throw this.fail('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(end: number): number {
    if (this.pos + 8 > end) throw this.fail('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The end of a length-delimited field that starts here (its length checked against `end`). */
  lengthEnd(end: number): number {
    const at = this.pos;
    const n = this.uint32(end);
    // Bits beyond the low 32 (which uint32 drops) make the length absurd, not small.
    for (let i = at + 4; i < this.pos; i++) if (this.buf[i] & (i === at + 4 ? 0x70 : 0x7f)) throw this.fail('length beyond 2^32', at);
    if (n > end - this.pos) throw this.fail(`length ${n} runs past the end of its message (${end - this.pos} bytes left)`, at);
    return this.pos + n;
  }

  /** A bytes field as a view into the input (no copy). */
  bytes(end: number): Uint8Array {
    const e = this.lengthEnd(end);
    const v = this.buf.subarray(this.pos, e);
    this.pos = e;
    return v;
  }

  /** A string field (UTF-8; malformed sequences become U+FFFD). */
  string(end: number): string {
    const e = this.lengthEnd(end);
    const b = this.buf;
    const start = this.pos;
    this.pos = e;
    if (e - start <= 48) {
      // Short ASCII names are the common case; building them directly skips TextDecoder's call cost.
      let s = '';
      for (let i = start; i < e; i++) {
        const c = b[i];
        if (c >= 0x80) return utf8.decode(b.subarray(start, e));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(b.subarray(start, e));
  }

  /** Enters a nested message; returns its end. Pair with `leave()`. */
  enter(end: number): number {
    if (++this.depth > MAX_NESTING) throw this.fail(`messages nested deeper than ${MAX_NESTING}`);
    return this.lengthEnd(end);
  }

  leave(): void {
    this.depth--;
  }

  /** Skips one field of wire type `wt` whose tag was just read. */
  skip(wt: number, end: number, field: number): void {
    switch (wt) {
      case WIRE.VARINT:
        this.int64(end);
        return;
      case WIRE.I64:
        if (this.pos + 8 > end) throw this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE.LEN:
        this.pos = this.lengthEnd(end);
        return;
      case WIRE.I32:
        if (this.pos + 4 > end) throw this.fail('truncated fixed32');
        this.pos += 4;
        return;
      case WIRE.SGROUP: {
        if (++this.depth > MAX_NESTING) throw this.fail(`groups nested deeper than ${MAX_NESTING}`);
        for (;;) {
          const tag = this.uint32(end);
          const w = tag & 7;
          if (w === WIRE.EGROUP) {
            if (tag >>> 3 !== field) throw this.fail(`group ${field} closed by the end tag of field ${tag >>> 3}`);
            break;
          }
          this.skip(w, end, tag >>> 3);
        }
        this.depth--;
        return;
      }
      default:
        throw this.fail(`invalid wire type ${wt} for field ${field}`);
    }
  }

  /** Throws unless wire type `wt` is `want` (a field of a known number with the wrong encoding). */
  expect(wt: number, want: number, field: number, at: number): void {
    if (wt !== want) throw this.fail(`field ${field} has wire type ${wt}, expected ${want}`, at);
  }

  /** A repeated varint field, packed (wire type 2) or not; values pushed onto `out`. */
  repeatedVarint<T>(wt: number, end: number, field: number, at: number, out: T[], read: (end: number) => T): void {
    if (wt === WIRE.LEN) {
      const e = this.lengthEnd(end);
      while (this.pos < e) out.push(read.call(this, e));
      return;
    }
    this.expect(wt, WIRE.VARINT, field, at);
    out.push(read.call(this, end));
  }

  /** A repeated fixed-width field (4 or 8 bytes), packed or not; values pushed onto `out`. */
  repeatedFixed(wt: number, end: number, field: number, at: number, out: number[], size: 4 | 8): void {
    const read = size === 4 ? this.float : this.double;
    if (wt === WIRE.LEN) {
      const e = this.lengthEnd(end);
      if ((e - this.pos) % size) throw this.fail(`packed field ${field} has ${e - this.pos} bytes, not a multiple of ${size}`, at);
      while (this.pos < e) out.push(read.call(this, e));
      return;
    }
    this.expect(wt, size === 4 ? WIRE.I32 : WIRE.I64, field, at);
    out.push(read.call(this, end));
  }
}
