/**
 * Movement ops: reorder or copy elements without arithmetic (Reshape, Transpose, Slice, Pad, ...).
 * Every op here works for every dtype: elements are copied bit for bit (see elements.ts).
 */
import { seededRandom } from '../core/random.js';
import { ALL_TYPES, FLOAT_TYPES, allocate, type DType, type TypedArray } from '../core/dtype.js';
import type { QuantParams } from '../core/quant.js';
import { broadcastShapes, formatShape, isStaticShape, sizeOf, stridesOf, type Dim, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, quantEqual, readElement, writeElement } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { axesIn, axisIn } from './axes.js';
import { freshDim, inputAt, known, type OpContext } from './context.js';
import { productDim } from './dims.js';
import { elementCopier, rawView, remap, remapAxes } from './elements.js';
import { laneGeometry } from './lanes.js';
import { movedQuant, typeOf } from './output-types.js';
import { defineOp, type OpSchema } from './schema.js';

// ------------------------------------------------------------------ local helpers

/** Static shape of a run-time result (all dims are numbers when every input is known). */
function asStatic(ctx: OpContext, shape: readonly Dim[]): StaticShape {
  if (!isStaticShape(shape)) ctx.fail(`internal error: output shape ${formatShape(shape)} is not static at run time`);
  return shape as StaticShape;
}

/** Number of entries of a 1-D input from its type, when static. */
function lengthOf(ctx: OpContext, i: number): number | undefined {
  const s = inputAt(ctx, i).shape;
  if (s.length === 0) return 1;
  if (s.length !== 1) ctx.fail(`input ${i} must be 1-D, got shape ${formatShape(s)}`);
  return typeof s[0] === 'number' ? s[0] : undefined;
}

const fmt = (v: readonly (number | Dim)[]): string => `[${v.join(',')}]`;
const SHAPE_INPUT: readonly DType[] = ['int64'];
const IND_TYPES: readonly DType[] = ['int32', 'int64'];

// ------------------------------------------------------------------ Reshape

function reshapeDims(ctx: OpContext, input: Shape, target: readonly number[], allowzero: boolean): Dim[] {
  const negs = target.filter((v) => v === -1).length;
  if (negs > 1) ctx.fail(`shape ${fmt(target)} has ${negs} entries of -1; at most one dimension can be inferred`);
  const bad = target.find((v) => !Number.isInteger(v) || v < -1);
  if (bad !== undefined) ctx.fail(`shape ${fmt(target)} has invalid entry ${bad}`);
  if (allowzero && negs && target.includes(0)) ctx.fail(`with allowzero=1 the shape ${fmt(target)} cannot contain both 0 and -1`);
  const out: (Dim | null)[] = target.map((v, i) => {
    if (v === 0 && !allowzero) {
      if (i >= input.length) ctx.fail(`shape entry ${i} is 0 (copy input dimension ${i}) but the input has rank ${input.length}`);
      return input[i];
    }
    return v === -1 ? null : v;
  });
  // Cancel symbols shared by both sides so that [b,3,4] -> [0,-1] gives [b,12].
  let inNum = 1;
  const rest: Dim[] = [];
  for (const d of input) {
    if (typeof d === 'number') inNum *= d;
    else rest.push(d);
  }
  let outNum = 1;
  let cancelled = true;
  for (const d of out) {
    if (d === null) continue;
    if (typeof d === 'number') outNum *= d;
    else {
      const j = rest.indexOf(d);
      if (j < 0) cancelled = false;
      else rest.splice(j, 1);
    }
  }
  const mismatch = () => ctx.fail(`cannot reshape ${formatShape(input)} (${inNum} elements) to ${fmt(target)}`);
  if (negs) {
    let dim: Dim;
    if (!cancelled) dim = freshDim(ctx)();
    else if (outNum === 0) return ctx.fail(`cannot infer the -1 entry of shape ${fmt(target)} for input ${formatShape(input)}: the other dimensions hold 0 elements`);
    else if (inNum % outNum !== 0) dim = rest.length ? freshDim(ctx)() : mismatch();
    else if (rest.length === 0) dim = inNum / outNum;
    else dim = rest.length === 1 && inNum === outNum ? rest[0] : freshDim(ctx)();
    return out.map((d) => (d === null ? dim : d));
  }
  if (cancelled && rest.length === 0 && inNum !== outNum) {
    ctx.fail(`cannot reshape ${formatShape(input)} (${inNum} elements) to ${fmt(target)} (${outNum} elements)`);
  }
  return out as Dim[];
}

function reshapeShape(ctx: OpContext): Dim[] {
  const data = inputAt(ctx, 0);
  const shape = known(ctx, 1);
  if (shape) {
    if (shape.rank !== 1) ctx.fail(`shape input must be 1-D, got shape ${formatShape(shape.shape)}`);
    return reshapeDims(ctx, data.shape, shape.toNumbers(), ctx.int('allowzero') === 1);
  }
  const n = lengthOf(ctx, 1);
  if (n === undefined) return ctx.fail('the shape input has an unknown length, so the output rank is unknown');
  return Array.from({ length: n }, freshDim(ctx));
}

const reshape = defineOp({
  name: 'Reshape',
  group: 'movement',
  since: 14,
  doc: 'Gives the data a new shape with the same number of elements. 0 copies the input dimension (unless allowzero=1), -1 is inferred.',
  inputs: [{ name: 'data', type: 'T' }, { name: 'shape', type: SHAPE_INPUT }],
  outputs: [{ name: 'reshaped', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { allowzero: { type: 'int', default: 0, values: [0, 1], doc: '1: a 0 in shape is a zero-size dimension, not a copy.' } },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, reshapeShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    return [new Tensor(x.dtype, asStatic(ctx, reshapeShape(ctx)), x.data, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Flatten

function flattenShape(ctx: OpContext): Dim[] {
  const s = inputAt(ctx, 0).shape;
  const r = s.length;
  const axis = ctx.int('axis');
  if (axis < -r || axis > r) ctx.fail(`axis ${axis} is out of range for rank ${r} (valid: ${-r}..${r})`);
  const a = axis < 0 ? axis + r : axis;
  const fresh = freshDim(ctx);
  return [productDim(s.slice(0, a), fresh), productDim(s.slice(a), fresh)];
}

const flatten = defineOp({
  name: 'Flatten',
  group: 'movement',
  since: 13,
  doc: 'Flattens to 2-D: dimensions before axis form the rows, the rest the columns.',
  inputs: [{ name: 'input', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { axis: { type: 'int', default: 1, doc: 'First dimension of the column part; range [-r, r].' } },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, flattenShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    return [new Tensor(x.dtype, asStatic(ctx, flattenShape(ctx)), x.data, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Transpose

function permOf(ctx: OpContext, rank: number): number[] {
  if (!ctx.has('perm')) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const perm = ctx.ints('perm');
  if (perm.length !== rank) ctx.failAttr(`perm [${perm.join(',')}] has ${perm.length} entries for an input of rank ${rank}`);
  const seen = new Set<number>();
  for (const p of perm) {
    if (p < 0 || p >= rank || seen.has(p)) ctx.failAttr(`perm [${perm.join(',')}] is not a permutation of 0..${rank - 1}`);
    seen.add(p);
  }
  return [...perm];
}

const transpose = defineOp({
  name: 'Transpose',
  group: 'movement',
  since: 13,
  doc: 'Permutes the axes: output dimension i is input dimension perm[i] (default: reversed).',
  inputs: [{ name: 'data', type: 'T' }],
  outputs: [{ name: 'transposed', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { perm: { type: 'ints', doc: 'A permutation of the axes; default reverses them.' } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const perm = permOf(ctx, x.shape.length);
    return [typeOf(x.dtype, perm.map((p) => x.shape[p]), movedQuant(x))];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const perm = permOf(ctx, x.rank);
    const st = stridesOf(x.shape);
    const tables = perm.map((p) => Array.from({ length: x.shape[p] }, (_, o) => o * st[p]));
    return [remapAxes(x, perm.map((p) => x.shape[p]), tables, undefined, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Squeeze / Unsqueeze

function squeezeShape(ctx: OpContext): Dim[] {
  const s = inputAt(ctx, 0).shape;
  if (!ctx.inputs[1]) return s.filter((d) => d !== 1); // symbolic dims are assumed not to be 1
  const axesT = known(ctx, 1);
  if (!axesT) {
    const n = lengthOf(ctx, 1);
    if (n === undefined) return ctx.fail('the axes input has an unknown length, so the output rank is unknown');
    return Array.from({ length: s.length - n }, freshDim(ctx));
  }
  const axes = axesIn(ctx, axesT.toNumbers(), s.length);
  for (const a of axes) {
    if (typeof s[a] === 'number' && s[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of shape ${formatShape(s)}: its size is ${s[a]}, not 1`);
  }
  return s.filter((_, i) => !axes.includes(i));
}

function unsqueezeShape(ctx: OpContext): Dim[] {
  const s = inputAt(ctx, 0).shape;
  const axesT = known(ctx, 1);
  if (!axesT) {
    const n = lengthOf(ctx, 1);
    if (n === undefined) return ctx.fail('the axes input has an unknown length, so the output rank is unknown');
    return Array.from({ length: s.length + n }, freshDim(ctx));
  }
  const vals = axesT.toNumbers();
  const axes = axesIn(ctx, vals, s.length + vals.length);
  const out: Dim[] = [];
  let k = 0;
  for (let j = 0; j < s.length + vals.length; j++) out.push(axes.includes(j) ? 1 : s[k++]);
  return out;
}

const squeeze = defineOp({
  name: 'Squeeze',
  group: 'movement',
  since: 13,
  doc: 'Removes size-1 dimensions: those listed in axes, or every static 1 when axes is absent.',
  inputs: [{ name: 'data', type: 'T' }, { name: 'axes', type: SHAPE_INPUT, optional: true }],
  outputs: [{ name: 'squeezed', type: 'T' }],
  types: { T: ALL_TYPES },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, squeezeShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    return [new Tensor(x.dtype, asStatic(ctx, squeezeShape(ctx)), x.data, movedQuant(x))];
  },
});

const unsqueeze = defineOp({
  name: 'Unsqueeze',
  group: 'movement',
  since: 13,
  doc: 'Inserts size-1 dimensions at the given axes of the output.',
  inputs: [{ name: 'data', type: 'T' }, { name: 'axes', type: SHAPE_INPUT }],
  outputs: [{ name: 'expanded', type: 'T' }],
  types: { T: ALL_TYPES },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, unsqueezeShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    return [new Tensor(x.dtype, asStatic(ctx, unsqueezeShape(ctx)), x.data, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Concat

function concatShape(ctx: OpContext): { shape: Dim[]; axis: number } {
  const ins = ctx.inputs.map((t, i) => (t ? t : ctx.fail(`input ${i} of Concat is empty`)));
  const dtype = ins[0].dtype;
  for (const t of ins) if (t.dtype !== dtype) ctx.failDType(`inputs must share one dtype, got ${ins.map((x) => x.dtype).join(', ')}`);
  const rank = ins[0].shape.length;
  if (rank === 0) ctx.fail('Concat needs inputs of rank >= 1, got a scalar');
  for (const t of ins) if (t.shape.length !== rank) ctx.fail(`inputs must share one rank, got shapes ${ins.map((x) => formatShape(x.shape)).join(', ')}`);
  const axis = axisIn(ctx, ctx.int('axis'), rank);
  const shape: Dim[] = [];
  for (let j = 0; j < rank; j++) {
    const dims = ins.map((t) => t.shape[j]);
    if (j === axis) {
      const syms = dims.filter((d) => typeof d === 'string');
      const sum = dims.reduce<number>((a, d) => a + (typeof d === 'number' ? d : 0), 0);
      shape.push(syms.length === 0 ? sum : syms.length === 1 && sum === 0 ? syms[0] : freshDim(ctx)());
      continue;
    }
    const nums = dims.filter((d): d is number => typeof d === 'number');
    if (nums.some((d) => d !== nums[0])) ctx.fail(`inputs differ in dimension ${j} (not the concat axis ${axis}): shapes ${ins.map((x) => formatShape(x.shape)).join(', ')}`);
    shape.push(nums.length ? nums[0] : dims[0]);
  }
  return { shape, axis };
}

function concatQuant(ins: readonly { readonly quant?: QuantParams }[]): QuantParams | undefined {
  const q = movedQuant(ins[0]);
  return q && ins.every((t) => quantEqual(t.quant, q)) ? q : undefined;
}

const concat = defineOp({
  name: 'Concat',
  group: 'movement',
  since: 13,
  doc: 'Joins tensors of one rank and dtype along an axis.',
  inputs: [{ name: 'inputs', type: 'T', variadic: true }],
  outputs: [{ name: 'concat_result', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { axis: { type: 'int', required: true, doc: 'Axis to join along; range [-r, r-1].' } },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, concatShape(ctx).shape, concatQuant(ctx.inputs as TensorType[]))],
  run: (ctx) => {
    const ins = ctx.inputs as Tensor[];
    const { shape, axis } = concatShape(ctx);
    const out = asStatic(ctx, shape);
    const dtype = ins[0].dtype;
    const data = allocate(dtype, sizeOf(out));
    const dst = rawView(data as TypedArray);
    const copy = elementCopier(dtype);
    const { outer, inner } = laneGeometry(out, axis);
    let di = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of ins) {
        const block = t.shape[axis] * inner;
        const src = rawView(t.data as TypedArray);
        for (let k = 0; k < block; k++) copy(src, o * block + k, dst, di++);
      }
    }
    return [new Tensor(dtype, out, data, concatQuant(ins))];
  },
});

// ------------------------------------------------------------------ Split

function splitSizes(ctx: OpContext): { axis: number; sizes: Dim[] } {
  const s = inputAt(ctx, 0).shape;
  if (s.length === 0) ctx.fail('Split needs an input of rank >= 1, got a scalar');
  const axis = axisIn(ctx, ctx.int('axis'), s.length);
  const d = s[axis];
  const n = ctx.node.outputs.length;
  const fresh = freshDim(ctx);
  if (ctx.inputs[1]) {
    if (ctx.has('num_outputs')) ctx.failAttr("give either the 'split' input or the 'num_outputs' attribute, not both");
    const splitT = known(ctx, 1);
    if (!splitT) return { axis, sizes: n === 1 ? [d] : Array.from({ length: n }, fresh) };
    const sizes = splitT.toNumbers();
    if (sizes.length !== n) ctx.fail(`split [${sizes.join(',')}] has ${sizes.length} entries for ${n} outputs`);
    if (sizes.some((v) => v < 0)) ctx.fail(`split [${sizes.join(',')}] has a negative size`);
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (typeof d === 'number' && sum !== d) ctx.fail(`split [${sizes.join(',')}] sums to ${sum}, but axis ${axis} has size ${d}`);
    return { axis, sizes };
  }
  const k = ctx.has('num_outputs') ? ctx.int('num_outputs') : n;
  if (k < 1) ctx.failAttr(`num_outputs must be >= 1, got ${k}`);
  if (k !== n) ctx.fail(`num_outputs is ${k} but the node has ${n} outputs`);
  if (typeof d !== 'number') return { axis, sizes: n === 1 ? [d] : Array.from({ length: n }, fresh) };
  // Uneven splits: every chunk has ceil(d / k) elements except a smaller last one.
  const chunk = Math.ceil(d / k);
  const last = d - chunk * (k - 1);
  if (last < 0) ctx.fail(`cannot split size ${d} into ${k} chunks of ${chunk} (the last chunk would be ${last})`);
  return { axis, sizes: [...new Array<number>(k - 1).fill(chunk), last] };
}

const split = defineOp({
  name: 'Split',
  group: 'movement',
  since: 18,
  doc: "Splits a tensor along an axis into parts of the sizes in 'split', or into num_outputs (default: number of outputs) equal chunks with a smaller last chunk.",
  inputs: [{ name: 'input', type: 'T' }, { name: 'split', type: SHAPE_INPUT, optional: true }],
  outputs: [{ name: 'outputs', type: 'T', variadic: true }],
  types: { T: ALL_TYPES },
  attrs: {
    axis: { type: 'int', default: 0, doc: 'Axis to split; range [-r, r-1].' },
    num_outputs: { type: 'int', doc: 'Number of equal chunks (the last may be smaller).' },
  },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const { axis, sizes } = splitSizes(ctx);
    return sizes.map((d) => typeOf(x.dtype, x.shape.map((v, j) => (j === axis ? d : v)), movedQuant(x)));
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const { axis, sizes } = splitSizes(ctx);
    const st = stridesOf(x.shape);
    let offset = 0;
    return sizes.map((d) => {
      const size = d as number;
      const shape = x.shape.map((v, j) => (j === axis ? size : v));
      const start = offset;
      offset += size;
      const tables = shape.map((n, j) => Array.from({ length: n }, (_, o) => (j === axis ? start + o : o) * st[j]));
      return remapAxes(x, shape, tables, undefined, movedQuant(x));
    });
  },
});

// ------------------------------------------------------------------ Slice

/** Slicing to the end of an unknown dim is written with INT_MAX-like ends. */
const TO_END = 2 ** 31 - 1;

interface SlicePlan {
  shape: Dim[];
  /** Per axis: first input index and step (0 and 1 for axes not sliced). */
  start: number[];
  step: number[];
}

function slicePlan(ctx: OpContext): SlicePlan {
  const s = inputAt(ctx, 0).shape;
  const r = s.length;
  const fresh = freshDim(ctx);
  const plan: SlicePlan = { shape: [...s], start: new Array<number>(r).fill(0), step: new Array<number>(r).fill(1) };
  const startsT = known(ctx, 1);
  const endsT = known(ctx, 2);
  const axesT = known(ctx, 3);
  const stepsT = known(ctx, 4);
  const axesKnown = !ctx.inputs[3] || axesT;
  if (!startsT || !endsT || (ctx.inputs[3] && !axesT) || (ctx.inputs[4] && !stepsT)) {
    // Some parameter is dynamic: the sliced axes get unknown sizes.
    let axes: number[];
    if (axesKnown && axesT) axes = axesIn(ctx, axesT.toNumbers(), r);
    else if (axesKnown) {
      const n = lengthOf(ctx, 1) ?? r;
      axes = Array.from({ length: Math.min(n, r) }, (_, i) => i);
    } else axes = Array.from({ length: r }, (_, i) => i);
    for (const a of axes) plan.shape[a] = fresh();
    return plan;
  }
  const starts = startsT.toNumbers();
  const ends = endsT.toNumbers();
  if (ends.length !== starts.length) ctx.fail(`starts has ${starts.length} entries but ends has ${ends.length}`);
  const axesV = axesT ? axesT.toNumbers() : starts.map((_, i) => i);
  if (axesV.length !== starts.length) ctx.fail(`starts has ${starts.length} entries but axes has ${axesV.length}`);
  const steps = stepsT ? stepsT.toNumbers() : starts.map(() => 1);
  if (steps.length !== starts.length) ctx.fail(`starts has ${starts.length} entries but steps has ${steps.length}`);
  const axes = axesIn(ctx, axesV, r);
  axes.forEach((a, i) => {
    const step = steps[i];
    if (step === 0) ctx.fail(`steps entry ${i} is 0`);
    const d = s[a];
    plan.step[a] = step;
    if (typeof d !== 'number') {
      // Only whole-dimension slices (forward, or fully reversed) keep a symbolic size.
      const forward = starts[i] === 0 && ends[i] >= TO_END && step === 1;
      const reversed = (starts[i] === -1 || starts[i] >= TO_END) && ends[i] <= -TO_END && step === -1;
      plan.shape[a] = forward || reversed ? d : fresh();
      return;
    }
    let b = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    let count: number;
    if (step > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
      count = Math.max(0, Math.ceil((e - b) / step));
    } else {
      b = Math.min(Math.max(b, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      count = Math.max(0, Math.ceil((b - e) / -step));
    }
    plan.start[a] = b;
    plan.shape[a] = count;
  });
  return plan;
}

const slice = defineOp({
  name: 'Slice',
  group: 'movement',
  since: 13,
  doc: 'Takes elements start, start+step, ... before end along the given axes (numpy slicing; negative indices count from the end, values are clamped as ONNX specifies).',
  inputs: [
    { name: 'data', type: 'T' },
    { name: 'starts', type: 'Tind' },
    { name: 'ends', type: 'Tind' },
    { name: 'axes', type: 'Tind', optional: true },
    { name: 'steps', type: 'Tind', optional: true },
  ],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES, Tind: IND_TYPES },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, slicePlan(ctx).shape, movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const plan = slicePlan(ctx);
    const shape = asStatic(ctx, plan.shape);
    const st = stridesOf(x.shape);
    const tables = shape.map((n, a) => Array.from({ length: n }, (_, o) => (plan.start[a] + o * plan.step[a]) * st[a]));
    return [remapAxes(x, shape, tables, undefined, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Pad

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'] as const;

interface PadPlan {
  shape: Dim[];
  begin: number[];
  end: number[];
}

function padPlan(ctx: OpContext): PadPlan {
  const x = inputAt(ctx, 0);
  const s = x.shape;
  const r = s.length;
  const cv = ctx.inputs[2];
  if (cv) {
    if (cv.dtype !== x.dtype) ctx.failDType(`constant_value has dtype '${cv.dtype}' but data has '${x.dtype}'`);
    if (isStaticShape(cv.shape) && sizeOf(cv.shape) !== 1) ctx.fail(`constant_value must hold one element, got shape ${formatShape(cv.shape)}`);
  }
  const plan: PadPlan = { shape: [...s], begin: new Array<number>(r).fill(0), end: new Array<number>(r).fill(0) };
  const axesT = known(ctx, 3);
  if (ctx.inputs[3] && !axesT) {
    plan.shape = s.map(freshDim(ctx));
    return plan;
  }
  const axes = axesT ? axesIn(ctx, axesT.toNumbers(), r) : s.map((_, i) => i);
  const padsT = known(ctx, 1);
  if (!padsT) {
    for (const a of axes) plan.shape[a] = freshDim(ctx)();
    return plan;
  }
  const pads = padsT.toNumbers();
  if (pads.length !== 2 * axes.length) ctx.fail(`pads [${pads.join(',')}] has ${pads.length} entries; ${2 * axes.length} are needed (begin and end for ${axes.length} axes)`);
  axes.forEach((a, i) => {
    const b = pads[i];
    const e = pads[i + axes.length];
    plan.begin[a] = b;
    plan.end[a] = e;
    const d = s[a];
    if (typeof d !== 'number') {
      plan.shape[a] = b === 0 && e === 0 ? d : freshDim(ctx)();
      return;
    }
    // Negative pads crop first; cropping more than the dimension holds is an error.
    if (Math.max(0, -b) + Math.max(0, -e) > d) ctx.fail(`pads ${b} and ${e} crop more than the ${d} elements of axis ${a}`);
    plan.shape[a] = d + b + e;
  });
  return plan;
}

/** Index into a cropped extent of m elements for a padded coordinate i (may be outside [0, m)). */
function padSource(mode: string, i: number, m: number): number {
  if (i >= 0 && i < m) return i;
  switch (mode) {
    case 'edge':
      return i < 0 ? 0 : m - 1;
    case 'wrap':
      return ((i % m) + m) % m;
    case 'reflect': {
      // Mirror about the first and last element without repeating them (numpy 'reflect').
      if (m === 1) return 0;
      const p = 2 * (m - 1);
      const k = ((i % p) + p) % p;
      return k < m ? k : p - k;
    }
    default:
      return -1;
  }
}

const pad = defineOp({
  name: 'Pad',
  group: 'movement',
  since: 19,
  doc: "Pads (or, with negative pads, crops) each axis. Modes: constant (constant_value, default 0), reflect (mirror without the edge), edge (repeat the edge) and wrap (torus). Negative pads crop before padding.",
  inputs: [
    { name: 'data', type: 'T' },
    { name: 'pads', type: SHAPE_INPUT },
    { name: 'constant_value', type: 'T', optional: true },
    { name: 'axes', type: 'Tind', optional: true },
  ],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES, Tind: IND_TYPES },
  attrs: { mode: { type: 'string', default: 'constant', values: PAD_MODES } },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, padPlan(ctx).shape, movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const plan = padPlan(ctx);
    const shape = asStatic(ctx, plan.shape);
    const mode = ctx.str('mode');
    const st = stridesOf(x.shape);
    const tables = shape.map((n, a) => {
      // Crop first (negative pads), then pad the m remaining elements.
      const lo = Math.max(0, -plan.begin[a]);
      const m = x.shape[a] - lo - Math.max(0, -plan.end[a]);
      const pb = Math.max(0, plan.begin[a]);
      if (m === 0 && n > 0 && mode !== 'constant') ctx.fail(`mode '${mode}' cannot pad axis ${a}: it has no elements`);
      return Array.from({ length: n }, (_, o) => {
        const k = padSource(mode, o - pb, m);
        return k < 0 ? -1 : (lo + k) * st[a];
      });
    });
    const cv = ctx.inputs[2];
    return [remapAxes(x, shape, tables, cv ? { tensor: cv, index: 0 } : undefined, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Expand / Tile

function expandShape(ctx: OpContext): Dim[] {
  const s = inputAt(ctx, 0).shape;
  const shapeT = known(ctx, 1);
  if (shapeT) {
    if (shapeT.rank > 1) ctx.fail(`shape input must be 1-D, got shape ${formatShape(shapeT.shape)}`);
    const target = shapeT.toNumbers();
    if (target.some((v) => !Number.isInteger(v) || v < 0)) ctx.fail(`shape [${target.join(',')}] has a negative entry`);
    try {
      return broadcastShapes([s, target]);
    } catch (e) {
      return ctx.fail((e as Error).message);
    }
  }
  const n = lengthOf(ctx, 1);
  if (n === undefined) return ctx.fail('the shape input has an unknown length, so the output rank is unknown');
  const rank = Math.max(n, s.length);
  return Array.from({ length: rank }, (_, j) => {
    const d = s[j - (rank - s.length)];
    return typeof d === 'number' && d !== 1 ? d : freshDim(ctx)();
  });
}

const expand = defineOp({
  name: 'Expand',
  group: 'movement',
  since: 13,
  doc: 'Broadcasts the input to the shape given (numpy rules in both directions: a 1 in shape keeps the input dimension).',
  inputs: [{ name: 'input', type: 'T' }, { name: 'shape', type: SHAPE_INPUT }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, expandShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const shape = asStatic(ctx, expandShape(ctx));
    const st = stridesOf(x.shape);
    const lead = shape.length - x.rank;
    const tables = shape.map((n, j) => {
      const k = j - lead;
      return Array.from({ length: n }, (_, o) => (k < 0 || x.shape[k] === 1 ? 0 : o * st[k]));
    });
    return [remapAxes(x, shape, tables, undefined, movedQuant(x))];
  },
});

function tileShape(ctx: OpContext): Dim[] {
  const s = inputAt(ctx, 0).shape;
  const repT = known(ctx, 1);
  if (!repT) return s.map((d) => (d === 0 ? 0 : freshDim(ctx)()));
  const reps = repT.toNumbers();
  if (reps.length !== s.length) ctx.fail(`repeats [${reps.join(',')}] has ${reps.length} entries for an input of rank ${s.length}`);
  if (reps.some((v) => v < 0)) ctx.fail(`repeats [${reps.join(',')}] has a negative entry`);
  return s.map((d, i) => productDim([d, reps[i]], freshDim(ctx)));
}

const tile = defineOp({
  name: 'Tile',
  group: 'movement',
  since: 13,
  doc: 'Repeats the input repeats[i] times along each axis i.',
  inputs: [{ name: 'input', type: 'T' }, { name: 'repeats', type: SHAPE_INPUT }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, tileShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const shape = asStatic(ctx, tileShape(ctx));
    const st = stridesOf(x.shape);
    const tables = shape.map((n, a) => Array.from({ length: n }, (_, o) => (o % x.shape[a]) * st[a]));
    return [remapAxes(x, shape, tables, undefined, movedQuant(x))];
  },
});

// ------------------------------------------------------------------ Identity / Dropout

const identity = defineOp({
  name: 'Identity',
  group: 'movement',
  since: 13,
  doc: 'Returns the input unchanged (same data, quantization kept).',
  inputs: [{ name: 'input', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    return [typeOf(x.dtype, x.shape, x.quant)];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    return [new Tensor(x.dtype, x.shape, x.data, x.quant)];
  },
});

const dropout = defineOp({
  name: 'Dropout',
  group: 'movement',
  since: 13,
  doc: 'Inference (training_mode absent or false, or ratio 0): copies the input and gives an all-true mask. Training: keeps each element with probability 1-ratio, scaled by 1/(1-ratio), from a deterministic generator seeded by seed (default 0).',
  inputs: [
    { name: 'data', type: 'T' },
    { name: 'ratio', type: 'T1', optional: true },
    { name: 'training_mode', type: 'T2', optional: true },
  ],
  outputs: [{ name: 'output', type: 'T' }, { name: 'mask', type: 'T2', optional: true }],
  types: { T: FLOAT_TYPES, T1: FLOAT_TYPES, T2: ['bool'] },
  attrs: { seed: { type: 'int', doc: 'Seed of the mask generator (training mode only); 0 when unset.' } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    for (const i of [1, 2]) {
      const t = ctx.inputs[i];
      if (t && isStaticShape(t.shape) && sizeOf(t.shape) !== 1) ctx.fail(`input ${i} must be a scalar, got shape ${formatShape(t.shape)}`);
    }
    return [typeOf(x.dtype, x.shape), typeOf('bool', x.shape)];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const training = ctx.inputs[2] ? ctx.inputs[2].get(0) !== 0 : false;
    const ratio = ctx.inputs[1] ? ctx.inputs[1].get(0) : 0.5;
    const mask = allocate('bool', x.size);
    if (!training || ratio === 0) {
      mask.fill(1);
      return [x.clone().withQuant(undefined), new Tensor('bool', x.shape, mask)];
    }
    if (!(ratio >= 0 && ratio < 1)) ctx.fail(`ratio must be in [0, 1), got ${ratio}`);
    const rand = seededRandom(ctx.has('seed') ? ctx.int('seed') : 0);
    const scale = 1 / (1 - ratio);
    const out = allocate(x.dtype, x.size);
    for (let i = 0; i < x.size; i++) {
      const keep = rand() >= ratio;
      mask[i] = keep ? 1 : 0;
      writeElement(x.dtype, out as TypedArray, i, keep ? readElement(x.dtype, x.data as TypedArray, i) * scale : 0);
    }
    return [new Tensor(x.dtype, x.shape, out), new Tensor('bool', x.shape, mask)];
  },
});

// ------------------------------------------------------------------ DepthToSpace / SpaceToDepth

function blocksizeOf(ctx: OpContext): number {
  const b = ctx.int('blocksize');
  if (b < 1) ctx.failAttr(`blocksize must be >= 1, got ${b}`);
  return b;
}

function rank4(ctx: OpContext): Shape {
  const s = inputAt(ctx, 0).shape;
  if (s.length !== 4) ctx.fail(`input has rank ${s.length}; ${ctx.node.op} needs rank 4 [N, C, H, W], got ${formatShape(s)}`);
  return s;
}

function depthToSpaceShape(ctx: OpContext): Dim[] {
  const [n, c, h, w] = rank4(ctx);
  const b = blocksizeOf(ctx);
  const fresh = freshDim(ctx);
  if (typeof c === 'number' && c % (b * b) !== 0) ctx.fail(`channels ${c} are not divisible by blocksize^2 = ${b * b}`);
  return [n, typeof c === 'number' ? c / (b * b) : b === 1 ? c : fresh(), productDim([h, b], fresh), productDim([w, b], fresh)];
}

function spaceToDepthShape(ctx: OpContext): Dim[] {
  const [n, c, h, w] = rank4(ctx);
  const b = blocksizeOf(ctx);
  const fresh = freshDim(ctx);
  for (const [name, d] of [['height', h], ['width', w]] as const) {
    if (typeof d === 'number' && d % b !== 0) ctx.fail(`${name} ${d} is not divisible by blocksize ${b}`);
  }
  const div = (d: Dim) => (typeof d === 'number' ? d / b : b === 1 ? d : fresh());
  return [n, productDim([c, b * b], fresh), div(h), div(w)];
}

const depthToSpace = defineOp({
  name: 'DepthToSpace',
  group: 'movement',
  since: 13,
  doc: 'Moves blocks of channels into spatial blocks: [N, C, H, W] -> [N, C/b^2, H*b, W*b]. DCR: depth-column-row order (channel (i*b+j)*C\' + c); CRD: column-row-depth (channel c*b^2 + i*b + j).',
  inputs: [{ name: 'input', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: {
    blocksize: { type: 'int', required: true },
    mode: { type: 'string', default: 'DCR', values: ['DCR', 'CRD'] },
  },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, depthToSpaceShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const shape = asStatic(ctx, depthToSpaceShape(ctx));
    const b = ctx.int('blocksize');
    const dcr = ctx.str('mode') === 'DCR';
    const [, C, H, W] = x.shape;
    const cOut = shape[1];
    return [
      remap(
        x,
        shape,
        ([n, c, y, xx]) => {
          const i = y % b;
          const j = xx % b;
          const ic = dcr ? (i * b + j) * cOut + c : c * b * b + i * b + j;
          return ((n * C + ic) * H + Math.floor(y / b)) * W + Math.floor(xx / b);
        },
        undefined,
        movedQuant(x),
      ),
    ];
  },
});

const spaceToDepth = defineOp({
  name: 'SpaceToDepth',
  group: 'movement',
  since: 13,
  doc: 'Moves spatial blocks into channels: [N, C, H, W] -> [N, C*b^2, H/b, W/b] (output channel (i*b+j)*C + c).',
  inputs: [{ name: 'input', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { blocksize: { type: 'int', required: true } },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, spaceToDepthShape(ctx), movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const shape = asStatic(ctx, spaceToDepthShape(ctx));
    const b = ctx.int('blocksize');
    const [, C, H, W] = x.shape;
    return [
      remap(
        x,
        shape,
        ([n, oc, h, w]) => {
          const blk = Math.floor(oc / C);
          const c = oc % C;
          return ((n * C + c) * H + h * b + Math.floor(blk / b)) * W + w * b + (blk % b);
        },
        undefined,
        movedQuant(x),
      ),
    ];
  },
});

// ------------------------------------------------------------------ Trilu / ReverseSequence

const trilu = defineOp({
  name: 'Trilu',
  group: 'movement',
  since: 14,
  doc: 'Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes; other elements become zero.',
  inputs: [{ name: 'input', type: 'T' }, { name: 'k', type: SHAPE_INPUT, optional: true }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { upper: { type: 'int', default: 1, values: [0, 1] } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    if (x.shape.length < 2) ctx.fail(`input has rank ${x.shape.length}; Trilu needs rank >= 2`);
    const k = ctx.inputs[1];
    if (k && isStaticShape(k.shape) && sizeOf(k.shape) !== 1) ctx.fail(`k must be a scalar, got shape ${formatShape(k.shape)}`);
    return [typeOf(x.dtype, x.shape, movedQuant(x))];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    if (x.rank < 2) ctx.fail(`input has rank ${x.rank}; Trilu needs rank >= 2`);
    const k = ctx.inputs[1] ? Number(ctx.inputs[1].getBig(0)) : 0;
    const upper = ctx.int('upper') === 1;
    const r = x.rank;
    return [
      remap(
        x,
        x.shape,
        (idx, flat) => {
          const d = idx[r - 1] - idx[r - 2];
          return (upper ? d >= k : d <= k) ? flat : -1;
        },
        undefined,
        movedQuant(x),
      ),
    ];
  },
});

function reverseAxes(ctx: OpContext): { batch: number; time: number } {
  const batch = ctx.int('batch_axis');
  const time = ctx.int('time_axis');
  if (batch === time) ctx.failAttr(`batch_axis and time_axis are both ${batch}; they must differ`);
  return { batch, time };
}

const reverseSequence = defineOp({
  name: 'ReverseSequence',
  group: 'movement',
  since: 10,
  doc: 'Reverses the first sequence_lens[b] elements along time_axis for every batch entry b along batch_axis.',
  inputs: [{ name: 'input', type: 'T' }, { name: 'sequence_lens', type: SHAPE_INPUT }],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: {
    batch_axis: { type: 'int', default: 1, values: [0, 1] },
    time_axis: { type: 'int', default: 0, values: [0, 1] },
  },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const { batch } = reverseAxes(ctx);
    if (x.shape.length < 2) ctx.fail(`input has rank ${x.shape.length}; ReverseSequence needs rank >= 2`);
    const lens = ctx.inputs[1]!.shape;
    if (lens.length !== 1) ctx.fail(`sequence_lens must be 1-D, got shape ${formatShape(lens)}`);
    const bd = x.shape[batch];
    if (typeof bd === 'number' && typeof lens[0] === 'number' && lens[0] !== bd) ctx.fail(`sequence_lens has ${lens[0]} entries but the batch axis has size ${bd}`);
    return [typeOf(x.dtype, x.shape, movedQuant(x))];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const { batch, time } = reverseAxes(ctx);
    if (x.rank < 2) ctx.fail(`input has rank ${x.rank}; ReverseSequence needs rank >= 2`);
    const lens = ctx.inputs[1]!.toNumbers();
    if (lens.length !== x.shape[batch]) ctx.fail(`sequence_lens has ${lens.length} entries but the batch axis has size ${x.shape[batch]}`);
    const T = x.shape[time];
    lens.forEach((l, b) => {
      if (l < 0 || l > T) ctx.fail(`sequence_lens[${b}] = ${l} is outside [0, ${T}]`);
    });
    const st = stridesOf(x.shape);
    return [
      remap(
        x,
        x.shape,
        (idx, flat) => {
          const t = idx[time];
          const l = lens[idx[batch]];
          return t < l ? flat + (l - 1 - 2 * t) * st[time] : flat;
        },
        undefined,
        movedQuant(x),
      ),
    ];
  },
});

/** Ops of this family. */
export const movementOps: readonly OpSchema[] = [
  reshape,
  flatten,
  transpose,
  squeeze,
  unsqueeze,
  concat,
  split,
  slice,
  pad,
  expand,
  tile,
  identity,
  dropout,
  depthToSpace,
  spaceToDepth,
  trilu,
  reverseSequence,
];
