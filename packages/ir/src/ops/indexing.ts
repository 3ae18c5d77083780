/**
 * Index ops: gather and scatter by index tensors (Gather, GatherElements, GatherND,
 * ScatterElements, ScatterND), OneHot and NonZero. Indices may be negative (counted from the end
 * of their axis); an index outside [-size, size-1] is a ShapeError that names the index value.
 * Gathers copy elements bit for bit; scatter reductions compute int64/uint64 with bigints.
 */
import { ALL_TYPES, NUMERIC_TYPES, allocate, type DType, type TypedArray } from '../core/dtype.js';
import { formatShape, sizeOf, stridesOf, type Dim, type Shape } from '../core/shape.js';
import { Tensor, readElement, writeElement } from '../core/tensor.js';
import { axisIn } from './axes.js';
import { freshDim, inputAt, known, type OpContext } from './context.js';
import { dimsMatch } from './dims.js';
import { elementCopier, rawView, remap } from './elements.js';
import { wrapInt } from './integers.js';
import { movedQuant, typeOf } from './output-types.js';
import { defineOp, type OpSchema } from './schema.js';

const IND_TYPES: readonly DType[] = ['int32', 'int64'];
const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;

/** Index values of `t`, normalised into [0, size) of the axis each belongs to; fails naming a bad one. */
function indexValues(ctx: OpContext, t: Tensor, sizeAt: (i: number) => number, what: (i: number) => string): number[] {
  const out = new Array<number>(t.size);
  for (let i = 0; i < t.size; i++) {
    const raw = t.getBig(i);
    const d = sizeAt(i);
    const v = Number(raw);
    if (v < -d || v >= d) ctx.fail(`index ${raw} is out of range for ${what(i)} of size ${d} (valid: ${-d}..${d - 1})`);
    out[i] = v < 0 ? v + d : v;
  }
  return out;
}

// ------------------------------------------------------------------ Gather

function gatherShape(ctx: OpContext): { axis: number; shape: Dim[] } {
  const s = inputAt(ctx, 0).shape;
  if (s.length === 0) ctx.fail('Gather needs data of rank >= 1, got a scalar');
  const axis = axisIn(ctx, ctx.int('axis'), s.length);
  return { axis, shape: [...s.slice(0, axis), ...inputAt(ctx, 1).shape, ...s.slice(axis + 1)] };
}

const gather = defineOp({
  name: 'Gather',
  group: 'index',
  since: 13,
  doc: 'Takes entries of data along axis at the given indices: out[i.., j.., k..] = data[i.., indices[j..], k..].',
  inputs: [{ name: 'data', type: 'T' }, { name: 'indices', type: 'Tind' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES, Tind: IND_TYPES },
  attrs: { axis: { type: 'int', default: 0 } },
  infer: (ctx) => [typeOf(ctx.inputs[0]!.dtype, gatherShape(ctx).shape, movedQuant(ctx.inputs[0]!))],
  run: (ctx) => {
    const [x, ind] = ctx.inputs as Tensor[];
    const { axis, shape } = gatherShape(ctx);
    const d = x.shape[axis];
    const idx = indexValues(ctx, ind, () => d, () => `axis ${axis}`);
    const inner = sizeOf(x.shape.slice(axis + 1));
    const k = ind.size;
    return [
      remap(
        x,
        shape as number[],
        (_, flat) => {
          const o = Math.floor(flat / (k * inner));
          const j = Math.floor(flat / inner) % k;
          return (o * d + idx[j]) * inner + (flat % inner);
        },
        undefined,
        movedQuant(x),
      ),
    ];
  },
});

// ------------------------------------------------------------------ GatherElements

function elementsAxis(ctx: OpContext, op: string): number {
  const s = inputAt(ctx, 0).shape;
  const is = inputAt(ctx, 1).shape;
  if (s.length === 0) ctx.fail(`${op} needs data of rank >= 1, got a scalar`);
  if (is.length !== s.length) ctx.fail(`indices ${formatShape(is)} must have the rank of data ${formatShape(s)}`);
  const axis = axisIn(ctx, ctx.int('axis'), s.length);
  is.forEach((d, j) => {
    if (j !== axis && typeof d === 'number' && typeof s[j] === 'number' && d > s[j]) {
      ctx.fail(`indices ${formatShape(is)} are larger than data ${formatShape(s)} in dimension ${j}`);
    }
  });
  return axis;
}

const gatherElements = defineOp({
  name: 'GatherElements',
  group: 'index',
  since: 13,
  doc: 'out[i][j][k] = data[indices[i][j][k]][j][k] for axis 0 (and likewise for other axes); the output has the shape of indices.',
  inputs: [{ name: 'data', type: 'T' }, { name: 'indices', type: 'Tind' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES, Tind: IND_TYPES },
  attrs: { axis: { type: 'int', default: 0 } },
  infer: (ctx) => {
    elementsAxis(ctx, 'GatherElements');
    return [typeOf(ctx.inputs[0]!.dtype, ctx.inputs[1]!.shape)];
  },
  run: (ctx) => {
    const [x, ind] = ctx.inputs as Tensor[];
    const axis = elementsAxis(ctx, 'GatherElements');
    const d = x.shape[axis];
    const idx = indexValues(ctx, ind, () => d, () => `axis ${axis}`);
    const st = stridesOf(x.shape);
    return [
      remap(x, ind.shape, (pos, flat) => {
        let s = 0;
        for (let j = 0; j < pos.length; j++) s += (j === axis ? idx[flat] : pos[j]) * st[j];
        return s;
      }),
    ];
  },
});

// ------------------------------------------------------------------ GatherND

interface NDPlan {
  batch: number;
  /** Length of each index tuple. */
  m: number;
}

/** Checks shared by GatherND and ScatterND (the latter has batch_dims 0). */
function ndPlan(ctx: OpContext, batch: number): NDPlan {
  const s = inputAt(ctx, 0).shape;
  const is = inputAt(ctx, 1).shape;
  const r = s.length;
  const q = is.length;
  if (r < 1 || q < 1) ctx.fail(`data and indices need rank >= 1, got ${formatShape(s)} and ${formatShape(is)}`);
  if (batch < 0 || batch >= Math.min(q, r)) ctx.fail(`batch_dims ${batch} must be in [0, ${Math.min(q, r) - 1}] for data ${formatShape(s)} and indices ${formatShape(is)}`);
  const m = is[q - 1];
  if (typeof m !== 'number') return ctx.fail(`the last dimension of indices ${formatShape(is)} must be static`);
  if (m < 1 || m > r - batch) ctx.fail(`index tuples of length ${m} do not fit data of rank ${r} with ${batch} batch dims (1..${r - batch})`);
  for (let j = 0; j < batch; j++) {
    if (!dimsMatch(s[j], is[j])) ctx.fail(`batch dimension ${j} differs: data ${formatShape(s)}, indices ${formatShape(is)}`);
  }
  return { batch, m };
}

function tupleValues(ctx: OpContext, data: Shape, ind: Tensor, { batch, m }: NDPlan): number[] {
  return indexValues(ctx, ind, (i) => data[batch + (i % m)] as number, (i) => `axis ${batch + (i % m)}`);
}

const gatherND = defineOp({
  name: 'GatherND',
  group: 'index',
  since: 13,
  doc: 'Gathers slices of data addressed by index tuples (the last axis of indices), after batch_dims shared leading axes.',
  inputs: [{ name: 'data', type: 'T' }, { name: 'indices', type: ['int64'] }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { batch_dims: { type: 'int', default: 0 } },
  infer: (ctx) => {
    const plan = ndPlan(ctx, ctx.int('batch_dims'));
    const s = ctx.inputs[0]!.shape;
    const is = ctx.inputs[1]!.shape;
    return [typeOf(ctx.inputs[0]!.dtype, [...is.slice(0, -1), ...s.slice(plan.batch + plan.m)])];
  },
  run: (ctx) => {
    const [x, ind] = ctx.inputs as Tensor[];
    const plan = ndPlan(ctx, ctx.int('batch_dims'));
    const { batch, m } = plan;
    const tuples = tupleValues(ctx, x.shape, ind, plan);
    const st = stridesOf(x.shape);
    const sliceSize = sizeOf(x.shape.slice(batch + m));
    const perBatch = sizeOf(ind.shape.slice(batch, -1));
    const batchStride = sizeOf(x.shape.slice(batch));
    const shape = [...ind.shape.slice(0, -1), ...x.shape.slice(batch + m)];
    return [
      remap(x, shape, (_, flat) => {
        const t = Math.floor(flat / sliceSize);
        let s = Math.floor(t / perBatch) * batchStride + (flat % sliceSize);
        for (let k = 0; k < m; k++) s += tuples[t * m + k] * st[batch + k];
        return s;
      }),
    ];
  },
});

// ------------------------------------------------------------------ scatter reductions

/** Combines update element `si` into output element `di`. */
type Reducer = (di: number, si: number) => void;

function nanAware(f: (a: number, b: number) => number): (a: number, b: number) => number {
  return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : f(a, b));
}

/**
 * The reduction for `dtype` between output storage `out` and update storage `upd`: int64/uint64
 * use bigints and wrap, other integers wrap like C, floats round to their dtype after each step.
 */
function reducer(dtype: DType, reduction: string, out: TypedArray, upd: TypedArray): Reducer {
  if (reduction === 'none') {
    const copy = elementCopier(dtype);
    const src = rawView(upd);
    const dst = rawView(out);
    return (di, si) => copy(src, si, dst, di);
  }
  if (dtype === 'int64' || dtype === 'uint64') {
    const ops: Record<string, (a: bigint, b: bigint) => bigint> = {
      add: (a, b) => a + b,
      mul: (a, b) => a * b,
      max: (a, b) => (a > b ? a : b),
      min: (a, b) => (a < b ? a : b),
    };
    const f = ops[reduction];
    const o = out as BigInt64Array;
    const u = upd as BigInt64Array;
    return (di, si) => {
      o[di] = wrapInt(dtype, f(o[di], u[si]));
    };
  }
  // 32-bit integer products can exceed 2^53; Math.imul keeps their low 32 bits exact.
  const ops: Record<string, (a: number, b: number) => number> = {
    add: (a, b) => a + b,
    mul: dtype === 'int32' || dtype === 'uint32' ? Math.imul : (a, b) => a * b,
    max: nanAware(Math.max),
    min: nanAware(Math.min),
  };
  const f = ops[reduction];
  return (di, si) => writeElement(dtype, out, di, f(readElement(dtype, out, di), readElement(dtype, upd, si)));
}

function checkUpdates(ctx: OpContext): void {
  const x = inputAt(ctx, 0);
  const u = inputAt(ctx, 2);
  if (u.dtype !== x.dtype) ctx.failDType(`updates have dtype '${u.dtype}' but data has '${x.dtype}'`);
}

// ------------------------------------------------------------------ ScatterElements

function scatterElementsAxis(ctx: OpContext): number {
  checkUpdates(ctx);
  const axis = elementsAxis(ctx, 'ScatterElements');
  const is = inputAt(ctx, 1).shape;
  const us = inputAt(ctx, 2).shape;
  if (us.length !== is.length || !us.every((d, j) => dimsMatch(d, is[j]))) ctx.fail(`updates ${formatShape(us)} must have the shape of indices ${formatShape(is)}`);
  return axis;
}

const scatterElements = defineOp({
  name: 'ScatterElements',
  group: 'index',
  since: 18,
  doc: 'A copy of data where out[indices[i][j]][j] (for axis 0; likewise other axes) takes updates[i][j], or combines with it by add/mul/max/min (applied in row-major order of updates).',
  inputs: [{ name: 'data', type: 'T' }, { name: 'indices', type: 'Tind' }, { name: 'updates', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES, Tind: IND_TYPES },
  attrs: { axis: { type: 'int', default: 0 }, reduction: { type: 'string', default: 'none', values: REDUCTIONS } },
  infer: (ctx) => {
    scatterElementsAxis(ctx);
    return [typeOf(ctx.inputs[0]!.dtype, ctx.inputs[0]!.shape)];
  },
  run: (ctx) => {
    const [x, ind, upd] = ctx.inputs as Tensor[];
    const axis = scatterElementsAxis(ctx);
    const d = x.shape[axis];
    const idx = indexValues(ctx, ind, () => d, () => `axis ${axis}`);
    const out = x.clone().withQuant(undefined);
    const st = stridesOf(x.shape);
    const f = reducer(x.dtype, ctx.str('reduction'), out.data as TypedArray, upd.data as TypedArray);
    const ist = stridesOf(ind.shape);
    for (let flat = 0; flat < ind.size; flat++) {
      let t = 0;
      for (let j = 0; j < ind.rank; j++) {
        const c = Math.floor(flat / ist[j]) % ind.shape[j];
        t += (j === axis ? idx[flat] : c) * st[j];
      }
      f(t, flat);
    }
    return [out];
  },
});

// ------------------------------------------------------------------ ScatterND

function scatterNDPlan(ctx: OpContext): NDPlan {
  checkUpdates(ctx);
  const plan = ndPlan(ctx, 0);
  const s = inputAt(ctx, 0).shape;
  const is = inputAt(ctx, 1).shape;
  const us = inputAt(ctx, 2).shape;
  const want = [...is.slice(0, -1), ...s.slice(plan.m)];
  if (us.length !== want.length || !us.every((d, j) => dimsMatch(d, want[j]))) ctx.fail(`updates ${formatShape(us)} must have shape ${formatShape(want)} (indices.shape[:-1] + data.shape[${plan.m}:])`);
  return plan;
}

const scatterND = defineOp({
  name: 'ScatterND',
  group: 'index',
  since: 18,
  doc: 'A copy of data where the slice addressed by each index tuple takes (or combines by add/mul/max/min with) the matching slice of updates, in row-major order.',
  inputs: [{ name: 'data', type: 'T' }, { name: 'indices', type: ['int64'] }, { name: 'updates', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { T: ALL_TYPES },
  attrs: { reduction: { type: 'string', default: 'none', values: REDUCTIONS } },
  infer: (ctx) => {
    scatterNDPlan(ctx);
    return [typeOf(ctx.inputs[0]!.dtype, ctx.inputs[0]!.shape)];
  },
  run: (ctx) => {
    const [x, ind, upd] = ctx.inputs as Tensor[];
    const plan = scatterNDPlan(ctx);
    const tuples = tupleValues(ctx, x.shape, ind, plan);
    const st = stridesOf(x.shape);
    const sliceSize = sizeOf(x.shape.slice(plan.m));
    const out = x.clone().withQuant(undefined);
    const f = reducer(x.dtype, ctx.str('reduction'), out.data as TypedArray, upd.data as TypedArray);
    const count = ind.size / plan.m;
    for (let t = 0; t < count; t++) {
      let base = 0;
      for (let k = 0; k < plan.m; k++) base += tuples[t * plan.m + k] * st[k];
      for (let s = 0; s < sliceSize; s++) f(base + s, t * sliceSize + s);
    }
    return [out];
  },
});

// ------------------------------------------------------------------ OneHot

const ONEHOT_VALUES: readonly DType[] = [...NUMERIC_TYPES, 'bool'];

function oneHotShape(ctx: OpContext): { axis: number; shape: Dim[] } {
  const is = inputAt(ctx, 0).shape;
  const r = is.length;
  const axis = ctx.int('axis');
  if (axis < -r - 1 || axis > r) ctx.fail(`axis ${axis} is out of range for indices of rank ${r} (valid: ${-r - 1}..${r})`);
  const a = axis < 0 ? axis + r + 1 : axis;
  const vs = inputAt(ctx, 2).shape;
  if (vs.length !== 1 || (typeof vs[0] === 'number' && vs[0] !== 2)) ctx.fail(`values must be 1-D with 2 elements [off, on], got shape ${formatShape(vs)}`);
  const ds = inputAt(ctx, 1).shape;
  if (ds.length > 1 || (ds.length === 1 && typeof ds[0] === 'number' && ds[0] !== 1)) ctx.fail(`depth must hold one element, got shape ${formatShape(ds)}`);
  const depthT = known(ctx, 1);
  let depth: Dim;
  if (depthT) {
    depth = Math.trunc(depthT.get(0));
    if (!(depth >= 0)) ctx.fail(`depth must be >= 0, got ${depthT.get(0)}`);
  } else depth = freshDim(ctx)();
  return { axis: a, shape: [...is.slice(0, a), depth, ...is.slice(a)] };
}

const oneHot = defineOp({
  name: 'OneHot',
  group: 'index',
  since: 11,
  doc: 'Inserts a depth-sized axis at axis holding values[1] (on) where the index (negative counts from depth) matches and values[0] (off) elsewhere; indices outside [-depth, depth-1] give all off. Non-integer indices and depth are truncated.',
  inputs: [{ name: 'indices', type: 'T1' }, { name: 'depth', type: 'T2' }, { name: 'values', type: 'T3' }],
  outputs: [{ name: 'output', type: 'T3' }],
  types: { T1: NUMERIC_TYPES, T2: NUMERIC_TYPES, T3: ONEHOT_VALUES },
  attrs: { axis: { type: 'int', default: -1 } },
  infer: (ctx) => [typeOf(ctx.inputs[2]!.dtype, oneHotShape(ctx).shape)],
  run: (ctx) => {
    const [ind, , values] = ctx.inputs as Tensor[];
    const { axis, shape } = oneHotShape(ctx);
    const out = shape as number[];
    const depth = out[axis];
    const inner = sizeOf(out.slice(axis + 1));
    const cls = ind.toNumbers().map((v) => {
      const c = Math.trunc(v);
      return c < 0 ? c + depth : c;
    });
    return [
      remap(values, out, (_, flat) => {
        const c = Math.floor(flat / inner) % depth;
        const i = Math.floor(flat / (inner * depth)) * inner + (flat % inner);
        return cls[i] === c ? 1 : 0;
      }),
    ];
  },
});

// ------------------------------------------------------------------ NonZero

function nonZeroCount(t: Tensor): number {
  let n = 0;
  for (let i = 0; i < t.size; i++) if (t.get(i) !== 0) n++;
  return n;
}

const nonZero = defineOp({
  name: 'NonZero',
  group: 'index',
  since: 13,
  doc: 'Coordinates of the non-zero elements (NaN counts as non-zero) as int64 [rank, count], in row-major order. A scalar is treated as 1-D (one coordinate row), as numpy does.',
  inputs: [{ name: 'X', type: 'T' }],
  outputs: [{ name: 'Y', type: ['int64'] }],
  types: { T: ALL_TYPES },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const c = ctx.constant(0);
    return [typeOf('int64', [Math.max(1, x.shape.length), c ? nonZeroCount(c) : ctx.unknownDim()])];
  },
  run: (ctx) => {
    const x = ctx.inputs[0]!;
    const rows = Math.max(1, x.rank);
    const shape = x.rank ? x.shape : [1];
    const n = nonZeroCount(x);
    const data = allocate('int64', rows * n);
    const st = stridesOf(shape);
    let k = 0;
    for (let i = 0; i < x.size; i++) {
      if (x.get(i) === 0) continue;
      for (let d = 0; d < rows; d++) data[d * n + k] = BigInt(Math.floor(i / st[d]) % shape[d]);
      k++;
    }
    return [new Tensor('int64', [rows, n], data)];
  },
});

/** Ops of this family. */
export const indexingOps: readonly OpSchema[] = [gather, gatherElements, gatherND, scatterElements, scatterND, oneHot, nonZero];
