/**
 * Small graph-rewriting helpers shared by the passes: constant lookup, resolved attributes,
 * permutations, tensor transposition, and clean-up of initializers a rewrite orphaned.
 */
import { ArgumentError, MoError, UnsupportedOpError } from '../core/errors.js';
import { perAxis, type QuantParams } from '../core/quant.js';
import { stridesOf } from '../core/shape.js';
import { tensor, type Tensor } from '../core/tensor.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/types.js';
import { remapAxes } from '../ops/elements.js';
import { findSchema, resolveAttrs, type ResolvedAttrs } from '../ops/schema.js';
import { inferTypes, type InferResult } from '../verify/infer.js';

/** The value of `name` when it is a constant: an initializer that is not also a graph input. */
export function constantOf(g: Graph, name: string): Tensor | undefined {
  if (!name || g.isGraphInput(name)) return undefined;
  return g.initializers.get(name);
}

/** Attributes with schema defaults filled in; undefined for unknown ops or invalid attributes. */
export function attrsOf(node: Node): ResolvedAttrs | undefined {
  const schema = findSchema(node.op);
  if (!schema) return undefined;
  try {
    return resolveAttrs(schema, node);
  } catch (e) {
    if (e instanceof MoError) return undefined;
    throw e;
  }
}

/**
 * Type inference that tolerates ops without a schema (custom ops): passes that only need types
 * for some rewrites skip those rewrites instead of failing.
 */
export function tryInferTypes(g: Graph): InferResult | undefined {
  try {
    return inferTypes(g);
  } catch (e) {
    if (e instanceof UnsupportedOpError) return undefined;
    throw e;
  }
}

/** The single node reading `value`, when exactly one node reads it and it is not a graph output. */
export function soleConsumer(g: Graph, value: string): Node | undefined {
  if (g.isGraphOutput(value)) return undefined;
  const cs = g.consumersOf(value);
  return cs.length === 1 ? cs[0] : undefined;
}

/**
 * True when `rewireUses(from, to)` followed by removing `from`'s producer leaves no trace: either
 * `from` is not a graph output, or `to` is a plain intermediate value that can take its name.
 * (Otherwise rewireUses would add an Identity, and passes removing Identity would loop.)
 */
export function canBypass(g: Graph, from: string, to: string): boolean {
  if (!g.isGraphOutput(from)) return true;
  return g.producerOf(to) !== undefined && !g.isGraphOutput(to) && !g.isGraphInput(to);
}

/** Routes readers of `node`'s output `from` to `to` and removes `node`. Check `canBypass` first. */
export function bypassNode(g: Graph, node: Node, from: string, to: string): Graph {
  return g.rewireUses(from, to).removeNodes([node.name]);
}

/**
 * A source of fresh names for a pass: each is unused in the graph `current()` returns at the time
 * of the call and distinct from every name handed out before (names may be used before they are
 * added to the graph).
 */
export function freshNamer(current: () => Graph): (base: string) => string {
  const taken = new Set<string>();
  return (base) => {
    let name = current().freshName(base);
    for (let k = 1; taken.has(name); k++) name = current().freshName(`${base}_${k}`);
    taken.add(name);
    return name;
  };
}

/** Removes the named initializers that nothing reads any more (graph inputs' defaults stay). */
export function dropUnusedInitializers(g: Graph, names: Iterable<string>): Graph {
  const dead = [...new Set(names)].filter((n) => g.initializers.has(n) && !g.isGraphInput(n) && !g.isUsed(n));
  return dead.length ? g.withoutInitializers(dead) : g;
}

/** Removes the named nodes whose outputs nobody reads (and then the initializers only they read). */
export function dropUnusedNodes(g: Graph, names: Iterable<string>): Graph {
  let out = g;
  for (const name of new Set(names)) {
    const n = out.node(name);
    if (!n || n.outputs.some((o) => o && out.isUsed(o))) continue;
    out = dropUnusedInitializers(out.removeNodes([name]), n.inputs);
  }
  return out;
}

// ------------------------------------------------------------------ permutations

export const identityPerm = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);
export const isIdentityPerm = (p: readonly number[]): boolean => p.every((v, i) => v === i);

export function invertPerm(p: readonly number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
}

/** The single permutation equal to Transpose(p1) followed by Transpose(p2). */
export function composePerms(p1: readonly number[], p2: readonly number[]): number[] {
  return p2.map((d) => p1[d]);
}

/** Moves axis 1 (channels) to the end: [0, 2, ..., r-1, 1]. */
export function channelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Moves the last axis (channels) to axis 1: [0, r-1, 1, ..., r-2]. */
export function channelsFirstPerm(rank: number): number[] {
  return invertPerm(channelsLastPerm(rank));
}

/** A Transpose node's permutation (ONNX default: reversed axes), or undefined when the rank is unknown. */
export function permOf(node: Node, rank?: number): number[] | undefined {
  const p = node.attrs.perm as readonly number[] | undefined;
  if (p) return [...p];
  if (rank === undefined) return undefined;
  return identityPerm(rank).reverse();
}

// ------------------------------------------------------------------ tensors

/** True when `transposeTensor` can carry `t`'s quantization params (none, per-tensor or per-axis). */
export function canTransposeTensor(t: Tensor): boolean {
  return !t.quant || t.quant.kind === 'per-tensor' || t.quant.kind === 'per-axis';
}

/** A copy of `t` transposed by `perm` (any dtype, bit for bit; per-axis quantization follows its axis). */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  if (!canTransposeTensor(t)) throw new ArgumentError(`cannot transpose a tensor with ${t.quant!.kind} quantization`);
  const inStrides = stridesOf(t.shape);
  const outShape = perm.map((p) => t.shape[p]);
  // Output axis j walks input axis perm[j].
  const tables = perm.map((p) => Array.from({ length: t.shape[p] }, (_, o) => o * inStrides[p]));
  let quant: QuantParams | undefined = t.quant;
  if (quant?.kind === 'per-axis') {
    const axis = quant.axis < 0 ? quant.axis + perm.length : quant.axis;
    quant = perAxis(perm.indexOf(axis), quant.scales, quant.zeroPoints);
  }
  return remapAxes(t, outShape, tables, undefined, quant);
}

/** A 1-D int64 tensor (shapes, axes). */
export function int64Tensor(values: readonly number[]): Tensor {
  return tensor('int64', values.map((v) => BigInt(v)), [values.length]);
}

/** Number of elements of a shape, or undefined when a dimension is symbolic. */
export function staticSize(shape: readonly (number | string)[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}
