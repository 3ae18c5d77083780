/**
 * The vocabulary of the op table: a node under conversion (`WorkNode`), the context rules use to
 * add constants and helper nodes (`RewriteCx`), version steps that move a node between the forms
 * of two ONNX opsets, and small combinators for the common steps (an attribute that became an
 * input, an attribute that was dropped, ...).
 *
 * Import applies the `up` of every step newer than the model's opset, oldest first, which yields
 * the newest ONNX form (= IR semantics). Export applies the `down` of every step newer than the
 * target opset, newest first.
 */
import { Tensor, normalizeAxis, tensor, type AttrType, type AttrValue, type DType, type TensorType } from '@mo/ir';
import { reject } from './errors.js';
import type { GraphProto } from './proto.js';

/** A node being converted (mutable; rules edit it in place). */
export interface WorkNode {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** ONNX attribute types, where known (import: from the file; export: from the IR schema). */
  attrTypes: Record<string, AttrType>;
  /** Subgraph attributes (If/Loop bodies), import only. */
  graphs: Record<string, GraphProto>;
  doc?: string;
  /** Set by a step or lowering that replaced the node with emitted ones: nothing more is written. */
  done?: boolean;
}

/** What rules can do besides editing the node. */
export interface RewriteCx {
  readonly direction: 'import' | 'export';
  /** Import: the opset the node was written for. Export: the opset being written. */
  readonly opset: number;
  /** Adds a constant and returns its value name. */
  constant(t: Tensor, base: string): string;
  /** The value of `name` when it is known before running (initializers, folded constants). */
  valueOf(name: string): Tensor | undefined;
  /** The type of `name` when known. */
  typeOf(name: string): TensorType | undefined;
  /** Adds a helper node in IR form before the current node; returns its output names. */
  emit(op: string, inputs: readonly string[], attrs?: Record<string, AttrValue>, outputs?: number | readonly string[]): string[];
  /** A value name not used yet. */
  fresh(base: string): string;
  /** True when some node or a graph output reads `name`. */
  used(name: string): boolean;
  /** Import only: defines value `name` as a constant (Constant nodes become initializers). */
  define?(name: string, t: Tensor): void;
  /** Import only: converts a subgraph into this graph; returns the names its outputs got. */
  inline?(graph: GraphProto): string[];
}

/** A change of an op between opset `at - 1` and `at`. */
export interface VersionStep {
  /** The opset version that introduced the newer form. */
  readonly at: number;
  /** What changed (for docs/onnx-ops.md). */
  readonly doc: string;
  /** Rewrites the older form into the newer one (absent: nothing to do). */
  readonly up?: (n: WorkNode, cx: RewriteCx) => void;
  /**
   * Rewrites the newer form into the older one; rejects when the node uses something the older
   * form cannot express. Absent: the op cannot be written below `at`.
   */
  readonly down?: (n: WorkNode, cx: RewriteCx) => void;
}

/** One entry of the op table. */
export interface OpRule {
  /** ONNX op type. */
  readonly op: string;
  /** ONNX domain ('' is ai.onnx). */
  readonly domain: string;
  /** Oldest opset version the importer accepts. */
  readonly since: number;
  /** IR ops the import produces (the first one is the op itself for direct mappings). */
  readonly ir: readonly string[];
  /** True when the op is lowered into other IR ops at import (no IR op of its own; never exported). */
  readonly composite: boolean;
  readonly steps: readonly VersionStep[];
  /** Composite lowering: emits IR nodes computing the (upgraded) node's outputs. */
  readonly lower?: (n: WorkNode, cx: RewriteCx) => void;
  /** Attributes holding ONNX data type codes (IR: dtype names). */
  readonly dtypeAttrs: readonly string[];
  /** Version-independent differences between the ONNX op and the IR op (attribute renames). */
  readonly fixup?: { readonly up?: (n: WorkNode, cx: RewriteCx) => void; readonly down?: (n: WorkNode, cx: RewriteCx) => void };
  readonly notes: string;
}

export interface RuleInit {
  since?: number;
  ir?: string | readonly string[];
  steps?: readonly VersionStep[];
  lower?: (n: WorkNode, cx: RewriteCx) => void;
  dtypeAttrs?: readonly string[];
  fixup?: OpRule['fixup'];
  notes?: string;
  domain?: string;
}

/** A table entry. */
export function rule(op: string, init: RuleInit = {}): OpRule {
  const ir = init.ir === undefined ? [op] : typeof init.ir === 'string' ? [init.ir] : init.ir;
  const steps = [...(init.steps ?? [])].sort((a, b) => a.at - b.at);
  return Object.freeze({
    op,
    domain: init.domain ?? '',
    since: init.since ?? 1,
    ir,
    composite: !!init.lower,
    steps,
    ...(init.lower ? { lower: init.lower } : {}),
    dtypeAttrs: init.dtypeAttrs ?? [],
    ...(init.fixup ? { fixup: init.fixup } : {}),
    notes: init.notes ?? '',
  });
}

// ------------------------------------------------------------------ node helpers

export function setAttr(n: WorkNode, name: string, value: AttrValue, type: AttrType): void {
  n.attrs[name] = value;
  n.attrTypes[name] = type;
}

export function dropAttr(n: WorkNode, name: string): void {
  delete n.attrs[name];
  delete n.attrTypes[name];
}

export function intAttr(n: WorkNode, name: string, def: number): number {
  const v = n.attrs[name];
  return typeof v === 'number' ? v : def;
}

/** Sets input `i`, padding skipped optional inputs with ''. */
export function setInput(n: WorkNode, i: number, value: string): void {
  while (n.inputs.length < i) n.inputs.push('');
  n.inputs[i] = value;
}

/** Drops trailing empty inputs (absent optional inputs at the end are simply not written). */
export function trimInputs(n: WorkNode): void {
  while (n.inputs.length && !n.inputs[n.inputs.length - 1]) n.inputs.pop();
}

/** Integer values of a constant input (rejects when the input is not known at conversion time). */
export function constInts(n: WorkNode, i: number, cx: RewriteCx, what: string): number[] {
  const name = n.inputs[i];
  const t = name ? cx.valueOf(name) : undefined;
  if (!t) reject(`${what} (input ${i}) must be a constant to be written as an attribute at opset ${cx.opset}`);
  return t.toNumbers();
}

export function rankOf(cx: RewriteCx, value: string | undefined): number | undefined {
  return value ? cx.typeOf(value)?.shape.length : undefined;
}

export function dtypeOf(cx: RewriteCx, value: string | undefined): DType | undefined {
  return value ? cx.typeOf(value)?.dtype : undefined;
}

/** int64 1-D tensor (clamping the +-9.2e18 sentinels that int64 attributes decode to). */
export function int64s(values: readonly number[]): Tensor {
  const big = values.map((v) => (v >= 9.2e18 ? (1n << 63n) - 1n : v <= -9.2e18 ? -(1n << 63n) : BigInt(Math.trunc(v))));
  return tensor('int64', big, [values.length]);
}

// ------------------------------------------------------------------ step combinators

const noop = (): void => {};

/** Attributes that stopped existing at `at` (legacy optimisation hints and the like). */
export function dropped(at: number, names: readonly string[], doc?: string): VersionStep {
  return {
    at,
    doc: doc ?? `${names.join(', ')} removed`,
    up: (n) => names.forEach((k) => dropAttr(n, k)),
    down: noop,
  };
}

/** The op gained features at `at` that older versions lack; `check` rejects nodes that use them. */
export function added(at: number, doc: string, check?: (n: WorkNode, cx: RewriteCx) => void): VersionStep {
  return { at, doc, down: check ?? noop };
}

/** New attribute `name` at `at`: older forms must leave it at `def` (or unset). */
export function addedAttr(at: number, name: string, def: AttrValue | undefined, doc?: string): VersionStep {
  return {
    at,
    doc: doc ?? `attribute ${name} added`,
    down: (n) => {
      const v = n.attrs[name];
      if (v !== undefined && JSON.stringify(v) !== JSON.stringify(def)) reject(`attribute ${name}=${JSON.stringify(v)} needs opset >= ${at}`);
      dropAttr(n, name);
    },
  };
}

/** New optional input at position `i` at `at`: older forms must not use it. */
export function addedInput(at: number, i: number, what: string): VersionStep {
  return {
    at,
    doc: `input ${what} added`,
    down: (n) => {
      if (n.inputs[i]) reject(`input ${what} needs opset >= ${at}`);
      trimInputs(n);
    },
  };
}

export interface AttrToInputOptions {
  /** Tensor dtype of the new input: a dtype, or 'input0' to use the dtype of input 0. */
  dtype?: DType | 'input0';
  /** Rank-0 input (Clip min/max, Pad constant_value) rather than 1-D. */
  scalar?: boolean;
  /** Value when the attribute is absent (undefined: leave the optional input absent). */
  def?: AttrValue;
  /** Attribute type for the down direction. */
  attrType?: AttrType;
  /** Value of the attribute whose presence means "absent" when written back (e.g. Clip bounds). */
  omitWhen?: (v: AttrValue) => boolean;
}

/**
 * Attribute `attr` became input `index` at `at` (Reshape shape, Squeeze axes, Slice starts, ...).
 * Up: the attribute becomes a constant input. Down: a constant input becomes the attribute again.
 */
export function attrToInput(at: number, attr: string, index: number, opts: AttrToInputOptions = {}): VersionStep {
  const dtype = opts.dtype ?? 'int64';
  const attrType: AttrType = opts.attrType ?? (dtype === 'int64' ? 'ints' : 'floats');
  return {
    at,
    doc: `attribute ${attr} became input ${index}`,
    up: (n, cx) => {
      const v = n.attrs[attr] ?? opts.def;
      dropAttr(n, attr);
      if (v === undefined) return;
      const d = dtype === 'input0' ? (dtypeOf(cx, n.inputs[0]) ?? 'float32') : dtype;
      const values = Array.isArray(v) ? (v as number[]) : [v as number];
      const t = d === 'int64' ? int64s(values) : tensor(d, values, opts.scalar ? [] : [values.length]);
      setInput(n, index, cx.constant(opts.scalar && d === 'int64' ? t.reshape([]) : t, `${n.name || n.op}_${attr}`));
    },
    down: (n, cx) => {
      const name = n.inputs[index];
      if (name) {
        const values = constInts(n, index, cx, attr);
        const scalarType = attrType === 'int' || attrType === 'float';
        const v = scalarType ? values[0] : values;
        if (!(opts.omitWhen && opts.omitWhen(v))) setAttr(n, attr, v, attrType);
      }
      n.inputs.length = Math.min(n.inputs.length, index);
      trimInputs(n);
    },
  };
}

/**
 * Negative axes became allowed at `at`. Older files that use them anyway (PyTorch wrote some) are
 * normalised on import when the rank is known; export below `at` normalises with the input rank.
 */
export function negativeAxes(at: number, attr: string, rankDelta: (n: WorkNode) => number = () => 0): VersionStep {
  const normalize = (n: WorkNode, cx: RewriteCx, strict: boolean) => {
    const v = n.attrs[attr];
    if (v === undefined) return;
    const vals = Array.isArray(v) ? (v as number[]) : [v as number];
    if (vals.every((a) => a >= 0)) return;
    const r = rankOf(cx, n.inputs[0]);
    if (r === undefined) {
      if (strict) reject(`negative ${attr} needs opset >= ${at} (input rank unknown)`);
      return;
    }
    const rank = r + rankDelta(n);
    if (vals.some((a) => a < -rank)) return strict ? reject(`${attr} ${JSON.stringify(v)} is out of range for rank ${rank}`) : undefined;
    const norm = vals.map((a) => (a < 0 ? a + rank : a));
    n.attrs[attr] = Array.isArray(v) ? norm : norm[0];
  };
  return { at, doc: `negative ${attr} allowed`, up: (n, cx) => normalize(n, cx, false), down: (n, cx) => normalize(n, cx, true) };
}

/** Legacy 'broadcast'/'axis' binary-op broadcasting (before opset 7) -> numpy broadcasting. */
export function legacyBroadcast(at = 7, input = 1): VersionStep {
  return {
    at,
    doc: 'broadcast/axis attributes replaced by numpy-style broadcasting',
    up: (n, cx) => {
      const axis = n.attrs.axis;
      const bcast = n.attrs.broadcast;
      dropAttr(n, 'axis');
      dropAttr(n, 'broadcast');
      if (!bcast || axis === undefined) return; // suffix matching is what numpy broadcasting does
      const ra = rankOf(cx, n.inputs[0]);
      const rb = rankOf(cx, n.inputs[input]);
      if (ra === undefined || rb === undefined) reject('legacy broadcast with an axis needs the ranks of both inputs');
      const a = normalizeAxis(axis as number, ra);
      const trailing = ra - a - rb;
      if (trailing < 0) reject(`legacy broadcast axis ${axis} does not fit ranks ${ra} and ${rb}`);
      if (trailing === 0) return;
      const axes = Array.from({ length: trailing }, (_, k) => rb + k);
      const [u] = cx.emit('Unsqueeze', [n.inputs[input], cx.constant(int64s(axes), `${n.name || n.op}_axes`)]);
      n.inputs[input] = u;
    },
    down: noop,
  };
}

export { noop };
