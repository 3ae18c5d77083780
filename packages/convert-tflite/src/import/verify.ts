/**
 * A flatbuffers verifier for the TFLite tables the reader uses, run before any generated accessor
 * touches the bytes (the generated code trusts every offset). Like flatbuffers' own Verifier it
 * checks, for every table reachable through declared fields: the root offset and file identifier,
 * vtable and table bounds, field bounds and alignment, offsets, vector lengths (with overflow),
 * string terminators, union members, and a budget on the number of tables and on nesting depth.
 * Problems throw FormatError with the byte offset.
 */
import { FormatError } from '@mo/ir';

/** How a field is stored. Scalars give their byte size. */
type FieldKind =
  | { readonly kind: 'scalar'; readonly size: 1 | 2 | 4 | 8 }
  | { readonly kind: 'string' }
  | { readonly kind: 'vector'; readonly elem: 1 | 2 | 4 | 8 }
  | { readonly kind: 'table'; readonly table: () => TableDef }
  | { readonly kind: 'tables'; readonly table: () => TableDef }
  | { readonly kind: 'union'; readonly typeField: number; readonly members: () => Readonly<Record<number, TableDef>> };

export interface TableDef {
  readonly name: string;
  /** Field id (position in the schema) -> kind. Undeclared ids are not read and not checked. */
  readonly fields: Readonly<Record<number, FieldKind>>;
}

const s = (size: 1 | 2 | 4 | 8): FieldKind => ({ kind: 'scalar', size });
const str: FieldKind = { kind: 'string' };
const vec = (elem: 1 | 2 | 4 | 8): FieldKind => ({ kind: 'vector', elem });
const table = (t: () => TableDef): FieldKind => ({ kind: 'table', table: t });
const tables = (t: () => TableDef): FieldKind => ({ kind: 'tables', table: t });
const def = (name: string, fields: Record<number, FieldKind>): TableDef => ({ name, fields });

// Option tables (union BuiltinOptions), by union type.
const scalars = (name: string, sizes: (1 | 2 | 4 | 8)[]): TableDef => def(name, Object.fromEntries(sizes.map((z, i) => [i, s(z)])));
const OPTIONS: Record<number, TableDef> = {
  1: scalars('Conv2DOptions', [1, 4, 4, 1, 4, 4]),
  2: scalars('DepthwiseConv2DOptions', [1, 4, 4, 4, 1, 4, 4]),
  5: scalars('Pool2DOptions', [1, 4, 4, 4, 4, 1]),
  8: scalars('FullyConnectedOptions', [1, 1, 1]),
  9: scalars('SoftmaxOptions', [4]),
  10: scalars('ConcatenationOptions', [4, 1]),
  11: scalars('AddOptions', [1]),
  15: scalars('ResizeBilinearOptions', [4, 4, 1, 1]),
  17: def('ReshapeOptions', { 0: vec(4) }),
  21: scalars('MulOptions', [1]),
  22: def('PadOptions', {}),
  23: scalars('GatherOptions', [4, 4]),
  26: def('TransposeOptions', {}),
  27: scalars('ReducerOptions', [1]),
  28: scalars('SubOptions', [1]),
  29: scalars('DivOptions', [1]),
  32: scalars('StridedSliceOptions', [4, 4, 4, 4, 4, 1]),
  35: scalars('SplitOptions', [4]),
  38: def('DequantizeOptions', {}),
  39: def('MaximumMinimumOptions', {}),
  43: def('PadV2Options', {}),
  74: scalars('ResizeNearestNeighborOptions', [1, 1]),
  75: scalars('LeakyReluOptions', [4]),
  79: scalars('SplitVOptions', [4]),
  89: def('QuantizeOptions', {}),
  91: def('HardSwishOptions', {}),
  101: scalars('BatchMatMulOptions', [1, 1]),
};

const CustomQuantization = def('CustomQuantization', { 0: vec(1) });
const QuantizationParameters = def('QuantizationParameters', {
  0: vec(4),
  1: vec(4),
  2: vec(4),
  3: vec(8),
  4: s(1),
  5: { kind: 'union', typeField: 4, members: () => ({ 1: CustomQuantization }) },
  6: s(4),
});
const SparsityParameters = def('SparsityParameters', { 0: vec(4) });
const Tensor = def('Tensor', { 0: vec(4), 1: s(1), 2: s(4), 3: str, 4: table(() => QuantizationParameters), 5: s(1), 6: table(() => SparsityParameters), 7: vec(4), 8: s(1) });
const Operator = def('Operator', { 0: s(4), 1: vec(4), 2: vec(4), 3: s(1), 4: { kind: 'union', typeField: 3, members: () => OPTIONS }, 5: vec(1) });
const SubGraph = def('SubGraph', { 0: tables(() => Tensor), 1: vec(4), 2: vec(4), 3: tables(() => Operator), 4: str });
const OperatorCode = def('OperatorCode', { 0: s(1), 1: str, 2: s(4), 3: s(4) });
const Buffer = def('Buffer', { 0: vec(1), 1: s(8), 2: s(8) });
const Metadata = def('Metadata', { 0: str, 1: s(4) });
const TensorMap = def('TensorMap', { 0: str, 1: s(4) });
const SignatureDef = def('SignatureDef', { 0: tables(() => TensorMap), 1: tables(() => TensorMap), 2: str, 4: s(4) });
export const MODEL = def('Model', {
  0: s(4),
  1: tables(() => OperatorCode),
  2: tables(() => SubGraph),
  3: str,
  4: tables(() => Buffer),
  5: vec(4),
  6: tables(() => Metadata),
  7: tables(() => SignatureDef),
});

/** Limits of the verifier (flatbuffers' defaults: 64 levels, 1M tables). */
export interface VerifyLimits {
  readonly maxDepth: number;
  readonly maxTables: number;
}

const DEFAULT_LIMITS: VerifyLimits = { maxDepth: 64, maxTables: 1_000_000 };

/** Verifies `bytes` as a TFLite model; returns the root table position. */
export function verifyModel(bytes: Uint8Array, limits: VerifyLimits = DEFAULT_LIMITS): number {
  const v = new Verifier(bytes, limits);
  return v.verifyRoot();
}

class Verifier {
  private readonly view: DataView;
  private tables = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: VerifyLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(message: string, offset: number): never {
    throw new FormatError(`not a valid TFLite flatbuffer: ${message}`, { offset });
  }

  /** Checks [pos, pos + size) lies in the buffer and pos is aligned to `align`. */
  private check(pos: number, size: number, align: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || size < 0 || pos + size > this.bytes.length) this.fail(`${what} at ${pos} (${size} bytes) is outside the ${this.bytes.length}-byte buffer`, Math.max(0, Math.min(pos, this.bytes.length)));
    if (align > 1 && pos % align !== 0) this.fail(`${what} at ${pos} is not aligned to ${align} bytes`, pos);
  }

  private u32(pos: number): number {
    return this.view.getUint32(pos, true);
  }

  verifyRoot(): number {
    if (this.bytes.length < 8) this.fail(`file of ${this.bytes.length} bytes is too short (a flatbuffer has at least a root offset and a file identifier)`, 0);
    const ident = String.fromCharCode(...this.bytes.subarray(4, 8));
    if (ident !== 'TFL3') this.fail(`file identifier is ${JSON.stringify(ident)}, expected "TFL3"`, 4);
    const root = this.u32(0);
    this.verifyTable(root, MODEL, 0);
    return root;
  }

  /** Follows the uoffset stored at `pos` and returns the target position. */
  private follow(pos: number, what: string): number {
    this.check(pos, 4, 4, `offset to ${what}`);
    const off = this.u32(pos);
    if (off === 0) this.fail(`offset to ${what} is 0`, pos);
    return pos + off;
  }

  private verifyTable(pos: number, t: TableDef, depth: number): void {
    if (depth > this.limits.maxDepth) this.fail(`tables nested deeper than ${this.limits.maxDepth} levels`, pos);
    if (++this.tables > this.limits.maxTables) this.fail(`more than ${this.limits.maxTables} tables`, pos);
    this.check(pos, 4, 4, `table ${t.name}`);
    const vt = pos - this.view.getInt32(pos, true);
    this.check(vt, 4, 2, `vtable of ${t.name}`);
    const vtSize = this.view.getUint16(vt, true);
    const objSize = this.view.getUint16(vt + 2, true);
    if (vtSize < 4 || vtSize % 2 !== 0) this.fail(`vtable of ${t.name} has size ${vtSize}`, vt);
    this.check(vt, vtSize, 2, `vtable of ${t.name}`);
    if (objSize < 4) this.fail(`table ${t.name} has size ${objSize}`, vt + 2);
    this.check(pos, objSize, 1, `table ${t.name}`);
    const fieldCount = (vtSize - 4) / 2;
    const fieldPos = (id: number): number => {
      if (id >= fieldCount) return 0;
      const o = this.view.getUint16(vt + 4 + 2 * id, true);
      return o ? pos + o : 0;
    };
    for (const [idStr, f] of Object.entries(t.fields)) {
      const id = Number(idStr);
      const p = fieldPos(id);
      if (!p) continue;
      const where = `${t.name} field ${id}`;
      const inTable = (size: number) => {
        if (p + size > pos + objSize) this.fail(`${where} runs past the end of its table`, p);
      };
      switch (f.kind) {
        case 'scalar':
          inTable(f.size);
          this.check(p, f.size, f.size, where);
          break;
        case 'string': {
          inTable(4);
          const sp = this.follow(p, where);
          this.check(sp, 4, 4, `${where} (string length)`);
          const len = this.u32(sp);
          this.check(sp + 4, len + 1, 1, `${where} (string)`);
          if (this.bytes[sp + 4 + len] !== 0) this.fail(`${where}: string is not zero-terminated`, sp + 4 + len);
          break;
        }
        case 'vector': {
          inTable(4);
          this.verifyVector(this.follow(p, where), f.elem, where);
          break;
        }
        case 'table':
          inTable(4);
          this.verifyTable(this.follow(p, where), f.table(), depth + 1);
          break;
        case 'tables': {
          inTable(4);
          const vp = this.follow(p, where);
          const n = this.verifyVector(vp, 4, where);
          const sub = f.table();
          for (let i = 0; i < n; i++) this.verifyTable(this.follow(vp + 4 + 4 * i, `${where}[${i}]`), sub, depth + 1);
          break;
        }
        case 'union': {
          inTable(4);
          const tp = fieldPos(f.typeField);
          const type = tp ? this.bytes[tp] : 0;
          if (type === 0) break; // NONE: the value is never read
          const member = f.members()[type];
          // Unknown members are checked as tables without declared fields (the reader rejects them).
          this.verifyTable(this.follow(p, where), member ?? def(`union member ${type}`, {}), depth + 1);
          break;
        }
      }
    }
  }

  /** Checks a vector of `elem`-byte elements at `vp`; returns its length. */
  private verifyVector(vp: number, elem: number, what: string): number {
    this.check(vp, 4, 4, `${what} (vector length)`);
    const n = this.u32(vp);
    if (n > (this.bytes.length - vp - 4) / elem) this.fail(`${what}: vector of ${n} elements of ${elem} bytes does not fit`, vp);
    this.check(vp + 4, n * elem, elem, `${what} (vector data)`);
    return n;
  }
}
