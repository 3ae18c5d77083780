/**
 * The gradient registry: one rule per op, declared once with `defineGradient` in the family file of
 * src/gradients/ and registered by src/gradients/index.ts. A rule says how to run the op's forward
 * in training mode (by default: the reference interpreter, unchanged) and how to turn the
 * gradients of its outputs into gradients of its inputs.
 */
import { ArgumentError, ShapeError, UnsupportedOpError, findSchema, type Node, type ResolvedAttrs, type Tensor } from '@mo/ir';

/** What a rule's training forward gets. */
export interface ForwardContext {
  /** The node (for fused-activation producers: with the activation removed; the engine applies it). */
  readonly node: Node;
  /** Attributes with the schema defaults filled in. */
  readonly attrs: ResolvedAttrs;
  readonly inputs: readonly (Tensor | undefined)[];
  /** True in training mode: batch statistics, dropout on. */
  readonly training: boolean;
  /** A seed for random ops (dropout) of this node and step; undefined outside a trainer. */
  readonly seed: number | undefined;
  /** Runs a node with the reference interpreter (default: this node on these inputs). */
  run(node?: Node, inputs?: readonly (Tensor | undefined)[]): Tensor[];
}

/** What a rule's training forward returns. */
export interface ForwardResult {
  /** One tensor per output of the node (the values the rest of the graph sees). */
  readonly outputs: readonly Tensor[];
  /** Anything the backward needs (masks, argmax indices, statistics). */
  readonly saved?: unknown;
  /** New values for state inputs (BatchNormalization running statistics), by input position. */
  readonly stateUpdates?: ReadonlyMap<number, Tensor>;
}

/** What a rule's backward gets. */
export interface GradContext {
  readonly node: Node;
  readonly attrs: ResolvedAttrs;
  readonly inputs: readonly (Tensor | undefined)[];
  /** The forward outputs (for fused-activation producers: before the activation). */
  readonly outputs: readonly Tensor[];
  /** Gradient of the loss with respect to each output; undefined where none flows. */
  readonly gradOutputs: readonly (Tensor | undefined)[];
  /** What the training forward saved. */
  readonly saved: unknown;
  /** True when the forward ran in training mode. */
  readonly training: boolean;
  /** True when the gradient of input `i` is wanted (rules skip the work otherwise). */
  needsGrad(i: number): boolean;
  /** Throws a ShapeError naming this node and op. */
  fail(message: string): never;
}

/** One op's gradient rule. */
export interface GradientRule {
  /** The IR op name. */
  readonly op: string;
  readonly doc?: string;
  /** Input positions that take no gradient (indices, shapes, axes, bounds). */
  readonly nonDifferentiable?: readonly number[];
  /** Input positions holding state that the training forward updates (never trained). */
  readonly stateInputs?: readonly number[];
  /** The training-mode forward. Default: the reference interpreter on the node as it is. */
  forward?(ctx: ForwardContext): ForwardResult;
  /** Gradients of the inputs (undefined for inputs that get none), one entry per input. */
  grad(ctx: GradContext): readonly (Tensor | undefined)[];
}

/**
 * Declares a gradient rule (checks that the op exists in the IR's op table).
 *
 * @example
 * ```ts
 * import { defineGradient } from '@mo/train';
 * const negGrad = defineGradient({
 *   op: 'Neg',
 *   grad: (ctx) => [mapFloat(ctx.gradOutputs[0]!, (g) => -g)],
 * });
 * ```
 */
export function defineGradient(rule: GradientRule): GradientRule {
  if (!findSchema(rule.op)) throw new UnsupportedOpError(`cannot define a gradient for unknown op '${rule.op}'`, { op: rule.op });
  return Object.freeze({ ...rule });
}

const REGISTRY = new Map<string, GradientRule>();

/**
 * Adds gradient rules to the registry; registering an op twice throws (use `replace` to
 * override one on purpose, e.g. in tests).
 *
 * @example
 * ```ts
 * registerGradients([myRule]);
 * ```
 */
export function registerGradients(rules: readonly GradientRule[], opts: { replace?: boolean } = {}): void {
  for (const r of rules) {
    if (REGISTRY.has(r.op) && !opts.replace) throw new ArgumentError(`a gradient rule for op '${r.op}' is already registered`, { op: r.op });
    REGISTRY.set(r.op, r);
  }
}

/**
 * The gradient rule of `op`, or undefined.
 *
 * @example
 * ```ts
 * if (!findGradient('Conv')) throw new Error('no Conv gradient');
 * ```
 */
export function findGradient(op: string): GradientRule | undefined {
  return REGISTRY.get(op);
}

/**
 * Every op that has a gradient rule, sorted.
 *
 * @example
 * ```ts
 * console.log(gradientOps().join(', '));
 * ```
 */
export function gradientOps(): string[] {
  return [...REGISTRY.keys()].sort();
}

/** Checks a rule's result for input `i` against the input's shape (catches rule bugs early). */
export function checkGradShape(node: Node, i: number, input: Tensor, g: Tensor): void {
  if (g.size !== input.size || g.shape.length !== input.shape.length || g.shape.some((d, k) => d !== input.shape[k])) {
    throw new ShapeError(`gradient rule returned shape [${g.shape.join(',')}] for input ${i} of shape [${input.shape.join(',')}]`, { node: node.name, op: node.op });
  }
}
