/**
 * Helpers for gradient rules that lean on the reference interpreter: running a one-node op, and
 * the index-map gradient of movement ops (run the op on a tensor of element indices; each output
 * element then names the input element it came from, and the gradient scatter-adds back along
 * that map). The index map is exact for any attribute combination the op supports, because it is
 * the op's own reference implementation that computes it.
 */
import { Tensor, runNode, type AttrValue, type Node } from '@mo/ir';
import { allocFloat, floatTensor, floats, type TrainDType } from './array.js';
import type { GradContext } from './registry.js';

/**
 * Runs op `op` on `inputs` with the reference interpreter.
 *
 * @example
 * ```ts
 * const [y] = callOp('Erf', [x]);
 * ```
 */
export function callOp(op: string, inputs: readonly (Tensor | undefined)[], attrs: Readonly<Record<string, AttrValue>> = {}, outputs = 1): Tensor[] {
  const node: Node = {
    name: `train/${op}`,
    op,
    inputs: inputs.map((t, i) => (t ? `in${i}` : '')),
    outputs: Array.from({ length: outputs }, (_, k) => `out${k}`),
    attrs,
  };
  return runNode(node, inputs);
}

/**
 * A tensor of `dtype` from a float64 accumulator (the accumulator is reused for float64).
 *
 * @example
 * ```ts
 * const dW = fromF64('float32', w.shape, acc);
 * ```
 */
export function fromF64(dtype: TrainDType, shape: readonly number[], acc: Float64Array): Tensor {
  if (dtype === 'float64') return floatTensor(dtype, shape, acc);
  const out = allocFloat(dtype, acc.length);
  out.set(acc);
  return floatTensor(dtype, shape, out);
}

/**
 * The gradient `g` viewed with another shape of the same size (no copy).
 *
 * @example
 * ```ts
 * const dx = reshapeGrad(ctx.gradOutputs[0]!, ctx.inputs[0]!.shape); // Reshape, Flatten
 * ```
 */
export function reshapeGrad(g: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(g.dtype, shape, g.data);
}

interface MapCache {
  readonly key: string;
  readonly fixed: readonly (Tensor | undefined)[];
  readonly maps: readonly Int32Array[];
}

const CACHE = new WeakMap<Node, MapCache>();

/**
 * For a movement op whose differentiable inputs are `diff`: for every element of every output,
 * the global source index (input k's elements are numbered after those of the inputs before it
 * in `diff`), or -1 for elements that come from no input (padding). Cached per node while the
 * shapes and the non-differentiable inputs (as objects) stay the same.
 *
 * @example
 * ```ts
 * const [map] = indexMaps(ctx, [0]); // Slice: map[o] is the input element of output element o
 * ```
 */
export function indexMaps(ctx: GradContext, diff: readonly number[], replace: Readonly<Record<number, Tensor>> = {}): Int32Array[] {
  const inputs = ctx.inputs;
  const key = inputs.map((t) => (t ? t.shape.join('x') : '-')).join('|');
  const fixed = inputs.map((t, i) => (diff.includes(i) ? undefined : t));
  const cached = CACHE.get(ctx.node);
  if (cached && cached.key === key && cached.fixed.every((t, i) => t === fixed[i])) return [...cached.maps];
  let offset = 0;
  const count = Math.max(inputs.length, ...Object.keys(replace).map((k) => Number(k) + 1));
  const padded = Array.from({ length: count }, (_, i) => inputs[i]);
  const iotaInputs = padded.map((t, i) => {
    if (replace[i]) return replace[i];
    if (!t || !diff.includes(i)) return t;
    const data = new Int32Array(t.size);
    for (let j = 0; j < data.length; j++) data[j] = offset + j;
    offset += t.size;
    return new Tensor('int32', t.shape, data);
  });
  const names = iotaInputs.map((t, i) => (t ? ctx.node.inputs[i] || `train/extra${i}` : ''));
  const outs = runNode({ ...ctx.node, inputs: names }, iotaInputs);
  const maps = outs.map((o) => o.data as Int32Array);
  CACHE.set(ctx.node, { key, fixed, maps });
  return maps;
}

/**
 * The gradient of a movement op by scatter-adding each output gradient along its index map.
 * Returns one entry per input (undefined for the non-differentiable ones).
 *
 * @example
 * ```ts
 * const gatherGrad = defineGradient({ op: 'Gather', nonDifferentiable: [1], grad: (ctx) => scatterGrad(ctx, [0]) });
 * ```
 */
export function scatterGrad(ctx: GradContext, diff: readonly number[], replace: Readonly<Record<number, Tensor>> = {}): (Tensor | undefined)[] {
  const maps = indexMaps(ctx, diff, replace);
  const first = ctx.gradOutputs.find((g): g is Tensor => !!g)!;
  const dtype = first.dtype as TrainDType;
  const sizes = diff.map((i) => ctx.inputs[i]!.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const acc = new Float64Array(total);
  ctx.gradOutputs.forEach((g, k) => {
    if (!g) return;
    const gd = floats(g);
    const map = maps[k];
    for (let o = 0; o < map.length; o++) {
      const s = map[o];
      if (s >= 0) acc[s] += gd[o];
    }
  });
  const res: (Tensor | undefined)[] = ctx.inputs.map(() => undefined);
  let offset = 0;
  diff.forEach((i, k) => {
    const t = ctx.inputs[i]!;
    if (ctx.needsGrad(i)) res[i] = fromF64(dtype, t.shape, acc.slice(offset, offset + sizes[k]));
    offset += sizes[k];
  });
  return res;
}
