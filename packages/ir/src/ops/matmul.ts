/**
 * Matrix products: MatMul (numpy.matmul semantics) and Gemm. The references accumulate floats in
 * float64 and round once to the output dtype; integer MatMul accumulates exactly in bigint and
 * wraps to the output width like the C kernels do.
 */
import { FLOAT_TYPES, INT_TYPES, isFloat, type DType, type TypedArray } from '../core/dtype.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, stridesOf, type Dim, type Shape, type StaticShape } from '../core/shape.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import type { TensorType } from '../graph/types.js';
import { FUSED_ACTIVATION_ATTRS, fusedActivationFn } from './fused-activation.js';
import { staticShapeOf, type Fail, type OpContext } from './context.js';
import { wrapInt, writeInt } from './integers.js';
import { floatRounder } from './rounding.js';
import { defineOp, type InferContext, type OpSchema, type RunContext } from './schema.js';

const MATMUL_TYPES: readonly DType[] = [...FLOAT_TYPES, 'int32', 'int64', 'uint32', 'uint64'];

// ------------------------------------------------------------------ shared shape logic

/**
 * Output shape of numpy.matmul on `a` and `b` (symbolic dims allowed): a 1-D `a` is promoted to
 * [1, K] and a 1-D `b` to [K, 1], batch dims broadcast, and the promoted dims are removed again.
 */
export function matmulShape(a: Shape, b: Shape, fail: Fail, names: [string, string] = ['A', 'B']): Dim[] {
  if (a.length === 0 || b.length === 0) {
    fail(`${names[0]} ${formatShape(a)} and ${names[1]} ${formatShape(b)}: matrix product needs inputs of rank >= 1`);
  }
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    fail(`inner dimensions differ: ${names[0]} ${formatShape(a)} has K=${k1} but ${names[1]} ${formatShape(b)} has K=${k2}`);
  }
  let batch: Dim[];
  try {
    batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  } catch {
    return fail(`batch dimensions of ${names[0]} ${formatShape(a)} and ${names[1]} ${formatShape(b)} do not broadcast`);
  }
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

/** Index plan of one (static) matrix product; see `matmulPlan`. */
export interface MatmulPlan {
  /** Final output shape (promoted 1-D dims removed). */
  readonly outShape: number[];
  /** Broadcast batch shape. */
  readonly batchShape: number[];
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** Flat offset of the A matrix (M x K, row-major) used by each batch entry. */
  readonly aBase: number[];
  /** Flat offset of the B matrix (K x N, row-major) used by each batch entry. */
  readonly bBase: number[];
  /** A's shape after 1-D promotion ([..., M, K]). */
  readonly aShape: number[];
  /** B's shape after 1-D promotion ([..., K, N]). */
  readonly bShape: number[];
}

/**
 * Plans a numpy.matmul of static shapes: output element (batch t, row m, column n) sits at flat
 * index (t*M + m)*N + n and reads A[aBase[t] + m*K + k] and B[bBase[t] + k*N + n].
 */
export function matmulPlan(a: StaticShape, b: StaticShape, fail: Fail, names: [string, string] = ['A', 'B']): MatmulPlan {
  const outShape = matmulShape(a, b, fail, names) as number[];
  const aShape = a.length === 1 ? [1, a[0]] : [...a];
  const bShape = b.length === 1 ? [b[0], 1] : [...b];
  const M = aShape[aShape.length - 2];
  const K = aShape[aShape.length - 1];
  const N = bShape[bShape.length - 1];
  const batchShape = broadcastShapes([aShape.slice(0, -2), bShape.slice(0, -2)]) as number[];
  return {
    outShape,
    batchShape,
    M,
    K,
    N,
    aBase: batchOffsets(aShape.slice(0, -2), batchShape, M * K),
    bBase: batchOffsets(bShape.slice(0, -2), batchShape, K * N),
    aShape,
    bShape,
  };
}

/** For each entry of the broadcast batch, the flat offset of the matching input matrix. */
function batchOffsets(batchIn: number[], batchOut: number[], matrixSize: number): number[] {
  const strides = broadcastStrides(batchIn, batchOut);
  const count = sizeOf(batchOut);
  const out = new Array<number>(count);
  for (let t = 0; t < count; t++) {
    let rem = t;
    let off = 0;
    for (let d = batchOut.length - 1; d >= 0; d--) {
      off += (rem % batchOut[d]) * strides[d];
      rem = Math.floor(rem / batchOut[d]);
    }
    out[t] = off * matrixSize;
  }
  return out;
}

/** Both inputs must share a dtype (the schema's type constraint T). */
function sameDType(ctx: OpContext, a: { dtype: DType }, b: { dtype: DType }, names: string): DType {
  if (a.dtype !== b.dtype) ctx.failDType(`${names} must share one dtype, got '${a.dtype}' and '${b.dtype}'`);
  return a.dtype;
}

/** The fused activation of a node (validates its params early). */
function activationOf(ctx: OpContext): (x: number) => number {
  return fusedActivationFn(ctx.str('activation'), ctx.floats('activation_params'));
}

// ------------------------------------------------------------------ MatMul

/** Writes a wrapped integer result; the activation runs on the number value, exactness kept when it is the identity. */
function writeActivated(dtype: DType, data: TypedArray, i: number, v: bigint, act: (x: number) => number): void {
  const n = Number(v);
  const r = act(n);
  // A changed value converts as writeElement would: truncated toward zero (non-finite -> 0), wrapped.
  writeInt(dtype, data, i, r === n ? v : BigInt(Number.isFinite(r) ? Math.trunc(r) : 0));
}

function runMatMul(ctx: RunContext): Tensor[] {
  const [a, b] = ctx.inputs as Tensor[];
  const dtype = sameDType(ctx, a, b, 'MatMul inputs A and B');
  const act = activationOf(ctx);
  const p = matmulPlan(a.shape, b.shape, ctx.fail);
  const out = zeros(dtype, p.outShape);
  const od = out.data as TypedArray;
  const batch = p.aBase.length;
  if (!isFloat(dtype)) {
    const av = Array.from({ length: a.size }, (_, i) => a.getBig(i));
    const bv = Array.from({ length: b.size }, (_, i) => b.getBig(i));
    for (let t = 0; t < batch; t++) {
      for (let m = 0; m < p.M; m++) {
        for (let n = 0; n < p.N; n++) {
          let acc = 0n;
          for (let k = 0; k < p.K; k++) acc += av[p.aBase[t] + m * p.K + k] * bv[p.bBase[t] + k * p.N + n];
          writeActivated(dtype, od, (t * p.M + m) * p.N + n, wrapInt(dtype, acc), act);
        }
      }
    }
    return [out];
  }
  const round = floatRounder(dtype);
  const av = a.toNumbers();
  const bv = b.toNumbers();
  for (let t = 0; t < batch; t++) {
    for (let m = 0; m < p.M; m++) {
      for (let n = 0; n < p.N; n++) {
        let acc = 0;
        for (let k = 0; k < p.K; k++) acc += av[p.aBase[t] + m * p.K + k] * bv[p.bBase[t] + k * p.N + n];
        // Round to the output dtype first so that fused == MatMul followed by the activation op.
        writeElement(dtype, od, (t * p.M + m) * p.N + n, act(round(acc)));
      }
    }
  }
  return [out];
}

/** K of a matmul from A's shape (static). */
function innerDim(ctx: InferContext, i: number, transposed = false): number {
  const s = staticShapeOf(ctx, i);
  if (s.length === 1) return s[0];
  return transposed ? s[s.length - 2] : s[s.length - 1];
}

/** Multiply-accumulates of a matmul-like op: output elements times K. */
export function matmulMacs(ctx: InferContext, outputs: readonly TensorType[], aIndex = 0, transA = false): number {
  const out = outputs[0].shape;
  if (!out.every((d) => typeof d === 'number')) ctx.fail(`macs need a static output shape, got ${formatShape(out)}`);
  return sizeOf(out as number[]) * innerDim(ctx, aIndex, transA);
}

const matmul = defineOp({
  name: 'MatMul',
  group: 'matmul',
  since: 13,
  doc: 'Matrix product with numpy.matmul semantics: 1-D operands are promoted (and the promoted dim removed), batch dims broadcast. Floats accumulate in float64 and round once to the output dtype; integers wrap to the output width. Optional fused activation.',
  inputs: [
    { name: 'A', type: 'T' },
    { name: 'B', type: 'T' },
  ],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: MATMUL_TYPES },
  attrs: { ...FUSED_ACTIVATION_ATTRS },
  infer(ctx) {
    const [a, b] = ctx.inputs as TensorType[];
    const dtype = sameDType(ctx, a, b, 'MatMul inputs A and B');
    activationOf(ctx);
    return [{ dtype, shape: matmulShape(a.shape, b.shape, ctx.fail) }];
  },
  run: runMatMul,
  macs: (ctx, outputs) => matmulMacs(ctx, outputs),
});

// ------------------------------------------------------------------ Gemm

/** Checks that C ([], [N], [1,N], [M,1], [M,N], ...) broadcasts unidirectionally to [M, N]. */
function checkGemmBias(fail: Fail, c: Shape, M: Dim, N: Dim, what = 'C'): void {
  if (c.length > 2) fail(`${what} ${formatShape(c)} has rank ${c.length}; it must broadcast to [M, N] = [${M},${N}]`);
  const target = [M, N].slice(2 - c.length);
  c.forEach((d, i) => {
    const t = target[i];
    if (typeof d === 'number' && typeof t === 'number' && d !== 1 && d !== t) {
      fail(`${what} ${formatShape(c)} does not broadcast to [M, N] = [${M},${N}]`);
    }
  });
}

/** M, K, N of a Gemm-style product with transpose flags (symbolic dims allowed). */
export function gemmDims(fail: Fail, a: Shape, b: Shape, transA: boolean, transB: boolean, names: [string, string] = ['A', 'B']): { M: Dim; K: Dim; N: Dim } {
  if (a.length !== 2) fail(`${names[0]} ${formatShape(a)} must have rank 2`);
  if (b.length !== 2) fail(`${names[1]} ${formatShape(b)} must have rank 2`);
  const [M, K] = transA ? [a[1], a[0]] : [a[0], a[1]];
  const [K2, N] = transB ? [b[1], b[0]] : [b[0], b[1]];
  if (typeof K === 'number' && typeof K2 === 'number' && K !== K2) {
    fail(`inner dimensions differ: ${names[0]} ${formatShape(a)}${transA ? ' (transposed)' : ''} has K=${K} but ${names[1]} ${formatShape(b)}${transB ? ' (transposed)' : ''} has K=${K2}`);
  }
  return { M, K, N };
}

/** Reads element (m, n) of a tensor broadcast unidirectionally to [M, N]. */
export function biasIndex(c: StaticShape, m: number, n: number): number {
  if (c.length === 0) return 0;
  if (c.length === 1) return c[0] === 1 ? 0 : n;
  return (c[0] === 1 ? 0 : m) * c[1] + (c[1] === 1 ? 0 : n);
}

const gemm = defineOp({
  name: 'Gemm',
  group: 'matmul',
  since: 13,
  doc: "General matrix multiply Y = alpha * A' * B' + beta * C, with A' = transpose(A) if transA and B' = transpose(B) if transB; A and B are 2-D, the optional C broadcasts unidirectionally to [M, N]. Accumulates in float64, rounds once to the output dtype. Optional fused activation.",
  inputs: [
    { name: 'A', type: 'T' },
    { name: 'B', type: 'T' },
    { name: 'C', type: 'T', optional: true },
  ],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: FLOAT_TYPES },
  attrs: {
    alpha: { type: 'float', default: 1, doc: 'multiplier of A * B' },
    beta: { type: 'float', default: 1, doc: 'multiplier of C' },
    transA: { type: 'int', default: 0, values: [0, 1], doc: 'transpose A first' },
    transB: { type: 'int', default: 0, values: [0, 1], doc: 'transpose B first' },
    ...FUSED_ACTIVATION_ATTRS,
  },
  infer(ctx) {
    const [a, b, c] = ctx.inputs;
    const dtype = sameDType(ctx, a!, b!, 'Gemm inputs A and B');
    if (c) sameDType(ctx, a!, c, 'Gemm inputs A and C');
    activationOf(ctx);
    const { M, N } = gemmDims(ctx.fail, a!.shape, b!.shape, ctx.int('transA') === 1, ctx.int('transB') === 1);
    if (c) checkGemmBias(ctx.fail, c.shape, M, N);
    return [{ dtype, shape: [M, N] }];
  },
  run(ctx) {
    const [a, b, c] = ctx.inputs;
    const dtype = sameDType(ctx, a!, b!, 'Gemm inputs A and B');
    if (c) sameDType(ctx, a!, c, 'Gemm inputs A and C');
    const act = activationOf(ctx);
    const transA = ctx.int('transA') === 1;
    const transB = ctx.int('transB') === 1;
    const { M, K, N } = gemmDims(ctx.fail, a!.shape, b!.shape, transA, transB) as { M: number; K: number; N: number };
    if (c) checkGemmBias(ctx.fail, c.shape, M, N);
    const alpha = ctx.float('alpha');
    const beta = ctx.float('beta');
    const av = a!.toNumbers();
    const bv = b!.toNumbers();
    const cv = c?.toNumbers();
    const round = floatRounder(dtype);
    const out = zeros(dtype, [M, N]);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += av[transA ? k * M + m : m * K + k] * bv[transB ? n * K + k : k * N + n];
        let y = alpha * acc;
        if (cv) y += beta * cv[biasIndex(c!.shape, m, n)];
        writeElement(dtype, out.data as TypedArray, m * N + n, act(round(y)));
      }
    }
    return [out];
  },
  macs(ctx, outputs) {
    return matmulMacs(ctx, outputs, 0, ctx.int('transA') === 1);
  },
});

// ------------------------------------------------------------------ Einsum

/** One parsed einsum term: letters, with at most one ellipsis (its position in `labels`). */
interface EinsumTerm {
  readonly labels: string[];
  readonly ellipsisAt: number;
}

/** A parsed equation; `output` undefined in implicit mode. */
interface EinsumSpec {
  readonly inputs: EinsumTerm[];
  readonly output: EinsumTerm | undefined;
}

function parseTerm(ctx: OpContext, term: string, equation: string): EinsumTerm {
  const labels: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; i++) {
    const ch = term[i];
    if (/[a-zA-Z]/.test(ch)) labels.push(ch);
    else if (term.startsWith('...', i) && ellipsisAt < 0) {
      ellipsisAt = labels.length;
      i += 2;
    } else {
      ctx.failAttr(`equation '${equation}': term '${term}' may only hold letters and one '...'`);
    }
  }
  return { labels, ellipsisAt };
}

function parseEquation(ctx: OpContext, count: number): EinsumSpec {
  const equation = ctx.str('equation');
  const eq = equation.replace(/\s+/g, '');
  const parts = eq.split('->');
  if (parts.length > 2) ctx.failAttr(`equation '${equation}' has more than one '->'`);
  const inputs = parts[0].split(',').map((t) => parseTerm(ctx, t, equation));
  if (inputs.length !== count) ctx.fail(`equation '${equation}' has ${inputs.length} input terms but the node has ${count} inputs`);
  const output = parts.length === 2 ? parseTerm(ctx, parts[1], equation) : undefined;
  return { inputs, output };
}

/** Label names of ellipsis dims (right-aligned over `count` broadcast dims). */
const ellipsisLabel = (k: number): string => `...${k}`;

/**
 * Resolves every label's size and the output labels. Letters must agree in size across inputs
 * (symbolic sizes yield to numbers); ellipsis dims broadcast like numpy.
 */
function einsumLayout(ctx: OpContext, spec: EinsumSpec, shapes: readonly Shape[]): { inputLabels: string[][]; sizes: Map<string, Dim>; outLabels: string[] } {
  const equation = ctx.str('equation');
  const ellipsisShapes: Dim[][] = [];
  const inputLabels = spec.inputs.map((term, i) => {
    const shape = shapes[i];
    const e = shape.length - term.labels.length;
    if (term.ellipsisAt < 0 ? e !== 0 : e < 0) {
      ctx.fail(`equation '${equation}': term ${i} names ${term.labels.length} dims${term.ellipsisAt >= 0 ? ' plus an ellipsis' : ''} but input ${i} has shape ${formatShape(shape)}`);
    }
    if (term.ellipsisAt < 0) return [...term.labels];
    ellipsisShapes.push(shape.slice(term.ellipsisAt, term.ellipsisAt + e));
    return [...term.labels.slice(0, term.ellipsisAt), ...Array.from({ length: e }, (_, k) => `@${i}:${k}`), ...term.labels.slice(term.ellipsisAt)];
  });
  let ellipsis: Dim[];
  try {
    ellipsis = broadcastShapes(ellipsisShapes);
  } catch {
    return ctx.fail(`equation '${equation}': the dims covered by '...' do not broadcast (${ellipsisShapes.map(formatShape).join(' and ')})`);
  }
  const E = ellipsis.length;
  // Rename each input's ellipsis dims to the shared right-aligned ellipsis labels.
  inputLabels.forEach((labels, i) => {
    const own = labels.filter((l) => l.startsWith(`@${i}:`)).length;
    let k = 0;
    labels.forEach((l, j) => {
      if (l.startsWith('@')) labels[j] = ellipsisLabel(E - own + k++);
    });
  });
  const sizes = new Map<string, Dim>();
  ellipsis.forEach((d, k) => sizes.set(ellipsisLabel(k), d));
  inputLabels.forEach((labels, i) => {
    labels.forEach((l, j) => {
      const d = shapes[i][j];
      if (l.startsWith('...')) return;
      // Sizes of one letter must agree; like numpy, a size-1 dim broadcasts and symbols yield to numbers.
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1 || (typeof prev === 'string' && typeof d === 'number' && d !== 1)) sizes.set(l, d);
      else if (typeof d === 'number' && typeof prev === 'number' && d !== prev && d !== 1) {
        ctx.fail(`equation '${equation}': label '${l}' has size ${prev} in one place and ${d} in input ${i}`);
      }
    });
  });
  let outLabels: string[];
  if (spec.output) {
    const out = spec.output;
    outLabels = [...out.labels.slice(0, Math.max(out.ellipsisAt, 0)), ...(out.ellipsisAt >= 0 ? Array.from({ length: E }, (_, k) => ellipsisLabel(k)) : []), ...out.labels.slice(Math.max(out.ellipsisAt, 0))];
    if (out.ellipsisAt < 0 && E > 0) ctx.fail(`equation '${equation}': the inputs broadcast over '...' so the output term must contain '...'`);
    const seen = new Set<string>();
    for (const l of out.labels) {
      if (seen.has(l)) ctx.fail(`equation '${equation}': output label '${l}' appears twice`);
      seen.add(l);
      if (!sizes.has(l)) ctx.fail(`equation '${equation}': output label '${l}' does not appear in any input`);
    }
  } else {
    // Implicit mode (numpy): ellipsis dims, then the letters that appear exactly once, sorted.
    const counts = new Map<string, number>();
    for (const t of spec.inputs) for (const l of t.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort();
    outLabels = [...Array.from({ length: E }, (_, k) => ellipsisLabel(k)), ...once];
  }
  return { inputLabels, sizes, outLabels };
}

function runEinsum(ctx: RunContext): Tensor[] {
  const inputs = ctx.inputs as Tensor[];
  const dtype = inputs[0].dtype;
  for (const t of inputs) sameDType(ctx, inputs[0], t, 'Einsum inputs');
  const spec = parseEquation(ctx, inputs.length);
  const { inputLabels, sizes, outLabels } = einsumLayout(ctx, spec, inputs.map((t) => t.shape));
  const summed = [...sizes.keys()].filter((l) => !outLabels.includes(l));
  const loop = [...outLabels, ...summed];
  const dims = loop.map((l) => sizes.get(l) as number);
  const pos = new Map(loop.map((l, k) => [l, k]));
  // For each input dim: the loop position it follows, or -1 when it is a broadcast size-1 dim.
  const plans = inputs.map((t, i) => {
    const strides = stridesOf(t.shape);
    return inputLabels[i].map((l, j) => ({ at: t.shape[j] === 1 && (sizes.get(l) as number) !== 1 ? -1 : pos.get(l)!, stride: strides[j] }));
  });
  const outShape = outLabels.map((l) => sizes.get(l) as number);
  const out = zeros(dtype, outShape);
  const od = out.data as TypedArray;
  const outSize = sizeOf(outShape);
  const innerSize = sizeOf(summed.map((l) => sizes.get(l) as number));
  const float = isFloat(dtype);
  const values = inputs.map((t) => (float ? t.toNumbers() : Array.from({ length: t.size }, (_, i) => t.getBig(i))));
  const idx = new Array<number>(loop.length).fill(0);
  const round = floatRounder(dtype);
  for (let o = 0; o < outSize; o++) {
    let facc = 0;
    let bacc = 0n;
    for (let s = 0; s < innerSize; s++) {
      // loop index = (o, s) in row-major order over output labels then summed labels
      let rem = s;
      for (let k = loop.length - 1; k >= outLabels.length; k--) {
        idx[k] = rem % dims[k];
        rem = Math.floor(rem / dims[k]);
      }
      let fprod = 1;
      let bprod = 1n;
      for (let i = 0; i < inputs.length; i++) {
        let off = 0;
        for (const { at, stride } of plans[i]) if (at >= 0) off += idx[at] * stride;
        if (float) fprod *= values[i][off] as number;
        else bprod *= values[i][off] as bigint;
      }
      if (float) facc += fprod;
      else bacc += bprod;
    }
    if (float) writeElement(dtype, od, o, round(facc));
    else writeInt(dtype, od, o, bacc);
    // advance the output part of the loop index
    for (let k = outLabels.length - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return [out];
}

const einsum = defineOp({
  name: 'Einsum',
  group: 'matmul',
  since: 12,
  doc: "Einstein summation (numpy.einsum semantics): `equation` like 'ij,jk->ik', with '...' for broadcast dims, repeated letters in one term for diagonals, and implicit output (ellipsis dims, then letters that appear once, sorted) without '->'. Floats accumulate in float64 and round once; integers wrap to the dtype's width.",
  inputs: [{ name: 'Inputs', type: 'T', variadic: true }],
  outputs: [{ name: 'Output', type: 'T' }],
  types: { T: [...FLOAT_TYPES, ...INT_TYPES] },
  attrs: { equation: { type: 'string', required: true, doc: "e.g. 'bij,bjk->bik'" } },
  infer(ctx) {
    const ins = ctx.inputs as TensorType[];
    for (const t of ins) sameDType(ctx, ins[0], t, 'Einsum inputs');
    const spec = parseEquation(ctx, ins.length);
    const { sizes, outLabels } = einsumLayout(ctx, spec, ins.map((t) => t.shape));
    return [{ dtype: ins[0].dtype, shape: outLabels.map((l) => sizes.get(l)!) }];
  },
  run: runEinsum,
  macs(ctx) {
    const ins = ctx.inputs as TensorType[];
    const { sizes } = einsumLayout(ctx, parseEquation(ctx, ins.length), ins.map((t) => t.shape));
    const all = [...sizes.values()];
    if (!all.every((d) => typeof d === 'number')) ctx.fail('macs need static shapes');
    return sizeOf(all as number[]);
  },
});

/** Ops of this family. */
export const matmulOps: readonly OpSchema[] = [matmul, gemm, einsum];
