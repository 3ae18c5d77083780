/**
 * Builder methods for reshaping, indexing and reductions. Shape-like arguments may be plain
 * number arrays (they become int64 constants).
 */
import type { GraphBuilder, AttrsIn, Value, ValueLike } from './builder.js';

type Ints = readonly number[] | Value;

/** Builder methods of this family (mixed into GraphBuilder). */
export interface TensorMethods {
  reshape(x: Value, shape: Ints, attrs?: { allowzero?: number }): Value;
  flatten(x: Value, axis?: number): Value;
  transpose(x: Value, perm?: readonly number[]): Value;
  squeeze(x: Value, axes?: Ints): Value;
  unsqueeze(x: Value, axes: Ints): Value;
  concat(xs: readonly Value[], axis: number): Value;
  /** Splits into parts of the given sizes, or into `parts` equal parts. */
  split(x: Value, sizes: readonly number[] | { parts: number }, axis?: number): Value[];
  slice(x: Value, starts: Ints, ends: Ints, axes?: Ints, steps?: Ints): Value;
  gather(x: Value, indices: ValueLike, axis?: number): Value;
  pad(x: Value, pads: Ints, attrs?: { mode?: 'constant' | 'reflect' | 'edge' | 'wrap'; value?: number }): Value;
  expand(x: Value, shape: Ints): Value;
  tile(x: Value, repeats: Ints): Value;
  shape(x: Value): Value;
  identity(x: Value): Value;
  dropout(x: Value, ratio?: number): Value;
  resize(x: Value, opts: { scales?: readonly number[]; sizes?: readonly number[] } & AttrsIn): Value;
  reduceMean(x: Value, axes?: readonly number[], keepdims?: boolean): Value;
  reduceSum(x: Value, axes?: readonly number[], keepdims?: boolean): Value;
  reduceMax(x: Value, axes?: readonly number[], keepdims?: boolean): Value;
  reduceMin(x: Value, axes?: readonly number[], keepdims?: boolean): Value;
  argMax(x: Value, axis?: number, keepdims?: boolean): Value;
  /** Returns [values, indices]. */
  topK(x: Value, k: number, axis?: number): [Value, Value];
}

function ints(b: GraphBuilder, v: Ints | undefined, name: string): Value | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? b.ints(v as readonly number[], name) : (v as Value);
}

const reduce = (op: string) =>
  function (this: GraphBuilder, x: Value, axes?: readonly number[], keepdims?: boolean) {
    return this.op1(op, [x, axes ? this.ints(axes, 'axes') : undefined], { keepdims: keepdims === undefined ? undefined : Number(keepdims) });
  };

export const tensorMethods: TensorMethods & ThisType<GraphBuilder> = {
  reshape: function (x, shape, attrs = {}) { return this.op1('Reshape', [x, ints(this, shape, 'shape')], attrs); },
  flatten: function (x, axis) { return this.op1('Flatten', [x], { axis }); },
  transpose: function (x, perm) { return this.op1('Transpose', [x], { perm }); },
  squeeze: function (x, axes) { return this.op1('Squeeze', [x, ints(this, axes, 'axes')]); },
  unsqueeze: function (x, axes) { return this.op1('Unsqueeze', [x, ints(this, axes, 'axes')]); },
  concat: function (xs, axis) { return this.op1('Concat', xs, { axis }); },
  split: function (x, sizes, axis = 0) {
  if (Array.isArray(sizes)) return this.op('Split', [x, this.ints(sizes as readonly number[], 'split')], { axis }, { outputs: sizes.length });
  const parts = (sizes as { parts: number }).parts;
  return this.op('Split', [x], { axis, num_outputs: parts }, { outputs: parts });
},
  slice: function (x, starts, ends, axes, steps) {
  return this.op1('Slice', [x, ints(this, starts, 'starts'), ints(this, ends, 'ends'), ints(this, axes, 'axes'), ints(this, steps, 'steps')]);
},
  gather: function (x, indices, axis = 0) {
  const idx = typeof indices === 'number' ? this.scalar(indices, 'int64', 'index') : indices;
  return this.op1('Gather', [x, idx], { axis });
},
  pad: function (x, pads, attrs = {}) {
  const value = attrs.value === undefined ? undefined : this.scalar(attrs.value, x.dtype, 'pad_value');
  return this.op1('Pad', [x, ints(this, pads, 'pads'), value], { mode: attrs.mode });
},
  expand: function (x, shape) { return this.op1('Expand', [x, ints(this, shape, 'shape')]); },
  tile: function (x, repeats) { return this.op1('Tile', [x, ints(this, repeats, 'repeats')]); },
  shape: function (x) { return this.op1('Shape', [x]); },
  identity: function (x) { return this.op1('Identity', [x]); },
  dropout: function (x, ratio) {
  return this.op1('Dropout', [x, ratio === undefined ? undefined : this.scalar(ratio, x.dtype, 'ratio')]);
},
  resize: function (x, opts) {
  const { scales, sizes, ...attrs } = opts;
  const sc = scales ? this.floats(scales, 'scales') : undefined;
  const sz = sizes ? this.ints(sizes, 'sizes') : undefined;
  return this.op1('Resize', [x, undefined, sc, sz], attrs);
},
  reduceMean: reduce('ReduceMean'),
  reduceSum: reduce('ReduceSum'),
  reduceMax: reduce('ReduceMax'),
  reduceMin: reduce('ReduceMin'),
  argMax: function (x, axis, keepdims) { return this.op1('ArgMax', [x], { axis, keepdims: keepdims === undefined ? undefined : Number(keepdims) }); },
  topK: function (x, k, axis) {
  const [v, i] = this.op('TopK', [x, this.ints([k], 'k')], { axis }, { outputs: 2 });
  return [v, i];
},
};
