/**
 * The public face of autodiff: which initializers are trainable, and value-and-gradient of a loss
 * over a graph. Independent of how gradients are computed (today: the tape in tape.ts).
 */
import { ArgumentError, type Feeds, type Graph, type Tensor } from '@mo/ir';
import { isTrainDType } from './array.js';
import { findGradient } from './registry.js';
import { recordForward, type RecordOptions } from './tape.js';

/** Options of {@link trainableParameters}. */
export interface TrainableOptions {
  /** Names or name prefixes (`'features.0'` matches `'features.0.0.weight'`) to leave out: frozen layers. */
  frozen?: readonly string[];
}

/**
 * True when `name` is `prefix` or starts with `prefix` followed by a '.' or '/'.
 *
 * @example
 * ```ts
 * matchesPrefix('features.0.0.weight', 'features.0'); // true
 * ```
 */
export function matchesPrefix(name: string, prefix: string): boolean {
  return name === prefix || name.startsWith(`${prefix}.`) || name.startsWith(`${prefix}/`);
}

/**
 * The initializers a trainer updates by default: float32/float64 initializers read by at least one
 * node at an input position that takes a gradient (not a shape, axis, index or clipping bound) and
 * is not state (BatchNormalization running statistics), minus the `frozen` names/prefixes.
 *
 * @example
 * ```ts
 * import { smallCnn } from '@mo/models';
 * const names = trainableParameters(smallCnn(), { frozen: ['features.0'] });
 * ```
 */
export function trainableParameters(graph: Graph, options: TrainableOptions = {}): string[] {
  const frozen = options.frozen ?? [];
  const out = new Set<string>();
  const excluded = new Set<string>();
  for (const node of graph.nodes) {
    const rule = findGradient(node.op);
    node.inputs.forEach((name, i) => {
      if (!name || !graph.initializers.has(name)) return;
      const t = graph.initializers.get(name)!;
      if (!isTrainDType(t.dtype)) return;
      if (rule && (rule.nonDifferentiable?.includes(i) || rule.stateInputs?.includes(i))) excluded.add(name);
      else out.add(name);
    });
  }
  return [...out].filter((n) => !excluded.has(n) && !frozen.some((p) => matchesPrefix(n, p)));
}

/**
 * The initializers that are state updated by training-mode forwards (BatchNormalization running statistics).
 *
 * @example
 * ```ts
 * stateParameters(smallCnn()); // ['features.0.1.running_mean', 'features.0.1.running_var', ...]
 * ```
 */
export function stateParameters(graph: Graph): string[] {
  const out = new Set<string>();
  for (const node of graph.nodes) {
    const rule = findGradient(node.op);
    for (const i of rule?.stateInputs ?? []) {
      const name = node.inputs[i];
      if (name && graph.initializers.has(name)) out.add(name);
    }
  }
  return [...out];
}

/** A loss over graph values: its value and its gradient with respect to those values. */
export interface GraphLoss {
  readonly value: number;
  /** dLoss/dValue for each value the loss reads (graph outputs or any intermediate value). */
  readonly grads: Readonly<Record<string, Tensor>>;
}

/** Options of {@link valueAndGrad}. */
export interface ValueAndGradOptions extends RecordOptions {
  /** Values to differentiate with respect to (initializers or graph inputs). Default: `trainableParameters(graph)`. */
  wrt?: readonly string[];
  /** Values besides the graph outputs that `loss` reads (intermediate activations for hint losses). */
  watch?: readonly string[];
  /** The loss of the outputs (and watched values). */
  loss: (values: Readonly<Record<string, Tensor>>) => GraphLoss;
}

/** What {@link valueAndGrad} returns. */
export interface ValueAndGrad {
  readonly value: number;
  readonly grads: Map<string, Tensor>;
  /** Graph outputs and watched values of the forward. */
  readonly values: Readonly<Record<string, Tensor>>;
  /** New running statistics (training mode), by initializer name. */
  readonly stateUpdates: ReadonlyMap<string, Tensor>;
}

/**
 * Runs the graph, evaluates `loss` on its outputs and returns the loss value with the gradient of
 * every `wrt` value.
 *
 * @example
 * ```ts
 * import { valueAndGrad, softmaxCrossEntropy } from '@mo/train';
 * const { value, grads } = valueAndGrad(graph, { input: x }, {
 *   loss: ({ logits }) => {
 *     const l = softmaxCrossEntropy(logits, labels);
 *     return { value: l.value, grads: { logits: l.grad } };
 *   },
 * });
 * ```
 */
export function valueAndGrad(graph: Graph, feeds: Feeds, options: ValueAndGradOptions): ValueAndGrad {
  const wrt = options.wrt ?? trainableParameters(graph);
  const tape = recordForward(graph, feeds, options);
  const values: Record<string, Tensor> = {};
  for (const o of graph.outputs) values[o.name] = tape.value(o.name);
  for (const w of options.watch ?? []) values[w] = tape.value(w);
  const l = options.loss(values);
  for (const k of Object.keys(l.grads)) {
    if (!(k in values)) throw new ArgumentError(`the loss returned a gradient for '${k}', which is neither a graph output nor a watched value`, { value: k });
  }
  const grads = tape.backward(l.grads, wrt);
  return { value: l.value, grads, values, stateUpdates: tape.stateUpdates };
}
