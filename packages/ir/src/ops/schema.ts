/**
 * Op schemas: each op is declared once, with its inputs, outputs, attributes, type constraints,
 * dtype/shape inference and its reference implementation (the executable definition of the op).
 */
import { AttributeError, DTypeError, ShapeError, UnsupportedOpError, oneOf, type ErrorContext } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import type { Dim, Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import type { AttrValue, Node, TensorType } from '../graph/types.js';

/**
 * Op groups. Passes match on groups, not on lists of names:
 * - `elementwise`: output element i depends only on the (broadcast) input elements at i.
 * - `movement`: reorders or copies elements without arithmetic (Reshape, Transpose, Slice, ...).
 * - `shape`: produces shapes or constants from types (Shape, Constant, ...).
 * - `reduce`, `conv`, `pool`, `normalization`, `matmul`, `index`, `resize`, `quant`: as named.
 */
export const OP_GROUPS = ['elementwise', 'movement', 'shape', 'reduce', 'conv', 'pool', 'normalization', 'matmul', 'index', 'resize', 'quant'] as const;
export type OpGroup = (typeof OP_GROUPS)[number];

/** Extra facts passes use: `activation` marks unary ops that can be fused into a producer. */
export type OpTag = 'activation' | 'commutative' | 'layout-sensitive';

export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor';

export interface AttrSpec {
  readonly type: AttrType;
  /** Value used when the node does not set it. Without default and not required: undefined. */
  readonly default?: AttrValue;
  readonly required?: boolean;
  /** Allowed values (for int/string attributes). */
  readonly values?: readonly (string | number)[];
  readonly doc?: string;
}

export interface IOSpec {
  readonly name: string;
  /** A type-constraint name from `types` (e.g. 'T') or an explicit dtype list. */
  readonly type: string | readonly DType[];
  readonly optional?: boolean;
  /** Only the last input/output may be variadic (one or more values). */
  readonly variadic?: boolean;
  readonly doc?: string;
}

export type ResolvedAttrs = Readonly<Record<string, AttrValue | undefined>>;

interface BaseContext {
  readonly node: Node;
  readonly attrs: ResolvedAttrs;
  /** Throws a ShapeError naming this node and op. */
  fail(message: string): never;
  /** Throws an AttributeError naming this node and op (attribute values the op cannot take). */
  failAttr(message: string): never;
  /** Throws a DTypeError naming this node and op (input dtypes that do not fit together). */
  failDType(message: string): never;
  int(name: string): number;
  float(name: string): number;
  str(name: string): string;
  ints(name: string): readonly number[];
  floats(name: string): readonly number[];
  /** Optional attributes without default: undefined when unset. */
  has(name: string): boolean;
}

export interface InferContext extends BaseContext {
  /** Types of the inputs; undefined for absent optional inputs. */
  readonly inputs: readonly (TensorType | undefined)[];
  /** The value of input i when it is known before running (initializers, constants). */
  constant(i: number): Tensor | undefined;
  /** A fresh symbolic dimension for sizes inference cannot know. */
  unknownDim(): string;
}

export interface RunContext extends BaseContext {
  /** Input tensors; undefined for absent optional inputs. */
  readonly inputs: readonly (Tensor | undefined)[];
}

export interface OpSchema {
  readonly name: string;
  readonly group: OpGroup;
  readonly tags?: readonly OpTag[];
  readonly doc: string;
  /** Earliest opset whose semantics this schema follows (for converters). */
  readonly since?: number;
  readonly inputs: readonly IOSpec[];
  readonly outputs: readonly IOSpec[];
  readonly types?: Readonly<Record<string, readonly DType[]>>;
  readonly attrs?: Readonly<Record<string, AttrSpec>>;
  /** Output types from input types (and constant inputs when known). */
  infer(ctx: InferContext): TensorType[];
  /** Outputs computable from input types alone (Shape, Size): lets inference fold them. */
  foldFromTypes?(ctx: InferContext): Tensor[] | undefined;
  /** The reference implementation. */
  run(ctx: RunContext): Tensor[];
  /** Multiply-accumulates for one execution (for summaries); needs static shapes. */
  macs?(ctx: InferContext, outputs: readonly TensorType[]): number;
}

/** Declares an op (identity function that checks the declaration's own consistency). */
export function defineOp(schema: OpSchema): OpSchema {
  const variadicAt = schema.inputs.findIndex((i) => i.variadic);
  if (variadicAt >= 0 && variadicAt !== schema.inputs.length - 1) throw new Error(`op ${schema.name}: only the last input may be variadic`);
  for (const io of [...schema.inputs, ...schema.outputs]) {
    if (typeof io.type === 'string' && !schema.types?.[io.type]) throw new Error(`op ${schema.name}: ${io.name} uses undeclared type constraint '${io.type}'`);
  }
  for (const [k, a] of Object.entries(schema.attrs ?? {})) {
    if (a.required && a.default !== undefined) throw new Error(`op ${schema.name}: attribute ${k} is required and has a default`);
  }
  return Object.freeze(schema);
}

// ------------------------------------------------------------------ registry

const REGISTRY = new Map<string, OpSchema>();

/** Adds schemas to the registry; registering a name twice throws. */
export function registerOps(schemas: readonly OpSchema[]): void {
  for (const s of schemas) {
    if (REGISTRY.has(s.name)) throw new Error(`op ${s.name} is registered twice`);
    REGISTRY.set(s.name, s);
  }
}

/** The schema of `op`, or undefined. */
export function findSchema(op: string): OpSchema | undefined {
  return REGISTRY.get(op);
}

/** The schema of `op`; throws `UnsupportedOpError` naming the node when there is none. */
export function getSchema(op: string, ctx: ErrorContext = {}): OpSchema {
  const s = REGISTRY.get(op);
  if (!s) throw new UnsupportedOpError(`unknown op '${op}'`, { ...ctx, op });
  return s;
}

/** Every registered schema, sorted by name. */
export function allSchemas(): OpSchema[] {
  return [...REGISTRY.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Schemas of one group. */
export function schemasInGroup(group: OpGroup): OpSchema[] {
  return allSchemas().filter((s) => s.group === group);
}

export function hasTag(op: string, tag: OpTag): boolean {
  return REGISTRY.get(op)?.tags?.includes(tag) ?? false;
}

export function groupOf(op: string): OpGroup | undefined {
  return REGISTRY.get(op)?.group;
}

// ------------------------------------------------------------------ attributes

function checkAttrType(v: AttrValue, t: AttrType): boolean {
  switch (t) {
    case 'int': return typeof v === 'number' && Number.isInteger(v);
    case 'float': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'ints': return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
    case 'floats': return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'tensor': return v instanceof Tensor;
  }
}

/** Attributes with defaults filled in; throws `AttributeError` for unknown, missing or invalid ones. */
export function resolveAttrs(schema: OpSchema, node: Node): ResolvedAttrs {
  const ctx = { node: node.name, op: node.op };
  const specs = schema.attrs ?? {};
  const out: Record<string, AttrValue | undefined> = {};
  for (const k of Object.keys(node.attrs)) {
    if (!specs[k]) {
      const known = Object.keys(specs);
      throw new AttributeError(`unknown attribute '${k}'${known.length ? `; ${schema.name} takes ${oneOf(known)}` : `; ${schema.name} takes none`}`, ctx);
    }
  }
  for (const [k, spec] of Object.entries(specs)) {
    const v = node.attrs[k] ?? spec.default;
    if (v === undefined) {
      if (spec.required) throw new AttributeError(`attribute '${k}' (${spec.type}) is required`, ctx);
      out[k] = undefined;
      continue;
    }
    if (!checkAttrType(v, spec.type)) throw new AttributeError(`attribute '${k}' must be of type ${spec.type}, got ${JSON.stringify(v instanceof Tensor ? 'tensor' : v)}`, ctx);
    if (spec.values && (typeof v === 'string' || typeof v === 'number') && !spec.values.includes(v)) {
      throw new AttributeError(`attribute '${k}' is ${JSON.stringify(v)}; expected ${oneOf(spec.values)}`, ctx);
    }
    out[k] = v;
  }
  return Object.freeze(out);
}

/** Accessors shared by InferContext and RunContext. */
export function baseContext(node: Node, attrs: ResolvedAttrs): BaseContext {
  const ctx = { node: node.name, op: node.op };
  const get = (name: string) => {
    const v = attrs[name];
    if (v === undefined) throw new AttributeError(`attribute '${name}' is not set`, ctx);
    return v;
  };
  return {
    node,
    attrs,
    // Closures, not methods using `this`: helpers receive `ctx.fail` as a plain function.
    fail(message: string): never {
      throw new ShapeError(message, ctx);
    },
    failAttr(message: string): never {
      throw new AttributeError(message, ctx);
    },
    failDType(message: string): never {
      throw new DTypeError(message, ctx);
    },
    int: (n) => get(n) as number,
    float: (n) => get(n) as number,
    str: (n) => get(n) as string,
    ints: (n) => get(n) as readonly number[],
    floats: (n) => get(n) as readonly number[],
    has: (n) => attrs[n] !== undefined,
  };
}

/** Checks that the node's input/output counts fit the schema. */
export function checkArity(schema: OpSchema, node: Node): void {
  const ctx = { node: node.name, op: node.op };
  const count = (specs: readonly IOSpec[], actual: readonly string[], what: string) => {
    const variadic = specs.length > 0 && specs[specs.length - 1].variadic;
    let present = actual.length;
    while (present > 0 && !actual[present - 1]) present--;
    const min = specs.reduce((m, s, i) => (s.optional ? m : i + 1), 0);
    if (present < min) throw new ShapeError(`${schema.name} needs at least ${min} ${what}${min === 1 ? '' : 's'} (${specs.slice(0, min).map((s) => s.name).join(', ')}), got ${present}`, ctx);
    if (!variadic && actual.length > specs.length) throw new ShapeError(`${schema.name} takes at most ${specs.length} ${what}s (${specs.map((s) => s.name).join(', ')}), got ${actual.length}`, ctx);
    for (let i = 0; i < Math.min(actual.length, specs.length); i++) {
      if (!actual[i] && !specs[i].optional && !(specs[i].variadic && i >= min)) {
        throw new ShapeError(`${what} ${i} (${specs[i].name}) of ${schema.name} is required but empty`, ctx);
      }
    }
  };
  count(schema.inputs, node.inputs, 'input');
  count(schema.outputs, node.outputs, 'output');
}

/** The spec that covers input/output position i (variadic tails repeat the last spec). */
export function specAt(specs: readonly IOSpec[], i: number): IOSpec | undefined {
  if (i < specs.length) return specs[i];
  const last = specs[specs.length - 1];
  return last?.variadic ? last : undefined;
}

/** Allowed dtypes of an IO spec. */
export function allowedTypes(schema: OpSchema, spec: IOSpec): readonly DType[] {
  return typeof spec.type === 'string' ? schema.types![spec.type] : spec.type;
}

export type { Dim, Shape };
