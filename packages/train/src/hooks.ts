/**
 * Training-time hooks for the compress stages: frozen masks (pruned weights stay exactly zero),
 * fake quantization of weights with the straight-through estimator (quantization-aware
 * training), and forward hooks that see every intermediate activation. Frozen layers are the
 * `frozen` option of `fit` (names or prefixes left out of the trainable set).
 */
import { ArgumentError, ShapeError, formatShape, type Graph, type Node, type Tensor } from '@mo/ir';
import { floats, mapFloat } from './autodiff/array.js';

/** What a hook sees before training starts. */
export interface HookSetup {
  readonly graph: Graph;
  /** Names of the parameters being trained. */
  readonly trainable: readonly string[];
  /** The trainer's own copies of the parameters (a hook may write into them). */
  readonly params: ReadonlyMap<string, Tensor>;
}

/** A training-time hook. Every member is optional. */
export interface TrainingHook {
  readonly name: string;
  /** Checks the hook against the graph (typed errors) and prepares the parameters. */
  setup?(ctx: HookSetup): void;
  /** The value the forward sees for a parameter (e.g. fake-quantized); undefined keeps it. */
  transformParam?(name: string, value: Tensor): Tensor | undefined;
  /** The gradient to apply to the stored parameter, from the gradient of the value the forward saw. */
  transformGrad?(name: string, grad: Tensor, param: Tensor): Tensor;
  /** After every optimizer step (may write into the parameters). */
  afterStep?(params: ReadonlyMap<string, Tensor>, step: number): void;
  /** After every node of every training forward. */
  onNode?(node: Node, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[], step: number): void;
}

/**
 * Keeps pruned weights at zero: elements where the mask is 0 are zeroed before training, get no
 * gradient (so optimizer moments stay zero) and are zeroed again after every step.
 *
 * @example
 * ```ts
 * const hook = frozenMasks({ 'features.0.0.weight': mask });
 * await fit(graph, { data, optimizer, hooks: [hook] });
 * ```
 */
export function frozenMasks(masks: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): TrainingHook {
  const entries: [string, Tensor][] = masks instanceof Map ? [...masks] : Object.entries(masks as Record<string, Tensor>);
  const keep = new Map<string, Uint8Array>();
  const apply = (params: ReadonlyMap<string, Tensor>) => {
    for (const [name, m] of keep) {
      const p = params.get(name);
      if (!p) continue;
      const d = floats(p);
      for (let i = 0; i < d.length; i++) if (!m[i]) d[i] = 0;
    }
  };
  return {
    name: 'frozenMasks',
    setup({ graph, params }) {
      for (const [name, mask] of entries) {
        const init = graph.initializers.get(name);
        if (!init) throw new ArgumentError(`frozenMasks: '${name}' is not an initializer of graph '${graph.name}'`, { value: name });
        if (mask.size !== init.size || mask.rank !== init.rank || mask.shape.some((d, i) => d !== init.shape[i])) {
          throw new ShapeError(`frozenMasks: mask for '${name}' has shape ${formatShape(mask.shape)} but the parameter has ${formatShape(init.shape)}`, { value: name });
        }
        const m = new Uint8Array(mask.size);
        for (let i = 0; i < m.length; i++) m[i] = mask.get(i) !== 0 ? 1 : 0;
        keep.set(name, m);
      }
      apply(params);
    },
    transformGrad(name, grad) {
      const m = keep.get(name);
      return m ? mapFloat(grad, (g, i) => (m[i] ? g : 0)) : grad;
    },
    afterStep: apply,
  };
}

/** Options of {@link fakeQuantize}. */
export interface FakeQuantizeOptions {
  /** Bits of the symmetric integer grid (2..16, default 8). */
  bits?: number;
  /** One scale per output channel (axis 0), as TFLite and ONNX per-axis weights (default true). */
  perChannel?: boolean;
  /** Parameters to quantize (default: every trainable parameter of rank >= 2, i.e. the weights). */
  names?: readonly string[];
}

/**
 * Quantization-aware training of weights: the forward sees each weight rounded to a symmetric
 * `bits`-bit grid (scale = max |w| / (2^(bits-1) - 1), per output channel by default); the
 * gradient passes straight through to the float weight (straight-through estimator).
 *
 * @example
 * ```ts
 * await fit(graph, { data, optimizer, hooks: [fakeQuantize({ bits: 4 })] });
 * ```
 */
export function fakeQuantize(opts: FakeQuantizeOptions = {}): TrainingHook {
  const bits = opts.bits ?? 8;
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new ArgumentError(`option 'bits' of fakeQuantize must be an integer in 2..16, got ${String(bits)}`);
  const perChannel = opts.perChannel ?? true;
  const qmax = 2 ** (bits - 1) - 1;
  let names = new Set<string>();
  return {
    name: 'fakeQuantize',
    setup({ graph, trainable, params }) {
      if (opts.names) {
        for (const n of opts.names) if (!trainable.includes(n)) throw new ArgumentError(`fakeQuantize: '${n}' is not a trainable parameter of graph '${graph.name}'`, { value: n });
        names = new Set(opts.names);
      } else names = new Set(trainable.filter((n) => params.get(n)!.rank >= 2));
    },
    transformParam(name, value) {
      if (!names.has(name)) return undefined;
      return fakeQuantizeTensor(value, qmax, perChannel);
    },
  };
}

/**
 * Rounds a tensor to a symmetric grid with qmax levels each side (per axis 0 or per tensor).
 *
 * @example
 * ```ts
 * const w4 = fakeQuantizeTensor(weight, 7, true); // 4-bit per output channel
 * ```
 */
export function fakeQuantizeTensor(value: Tensor, qmax: number, perChannel: boolean): Tensor {
  const d = floats(value);
  const groups = perChannel && value.rank >= 1 ? value.shape[0] : 1;
  const per = d.length / Math.max(groups, 1);
  const scales = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    let m = 0;
    for (let i = g * per; i < (g + 1) * per; i++) m = Math.max(m, Math.abs(d[i]));
    scales[g] = m / qmax;
  }
  return mapFloat(value, (v, i) => {
    const s = scales[Math.floor(i / per)];
    return s > 0 ? Math.max(-qmax, Math.min(qmax, Math.round(v / s))) * s : 0;
  });
}

/**
 * A forward hook: `fn` sees every node of every training forward with its inputs and outputs
 * (only the named nodes when `nodes` is given).
 *
 * @example
 * ```ts
 * const seen = new Map<string, number>();
 * const hook = forwardHook((node, _in, out) => seen.set(node.name, out[0].size));
 * ```
 */
export function forwardHook(
  fn: (node: Node, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[], step: number) => void,
  opts: { nodes?: readonly string[] } = {},
): TrainingHook {
  const only = opts.nodes ? new Set(opts.nodes) : undefined;
  return {
    name: 'forwardHook',
    setup({ graph }) {
      for (const n of only ?? []) if (!graph.node(n)) throw new ArgumentError(`forwardHook: no node named '${n}' in graph '${graph.name}'`, { node: n });
    },
    onNode(node, inputs, outputs, step) {
      if (!only || only.has(node.name)) fn(node, inputs, outputs, step);
    },
  };
}
