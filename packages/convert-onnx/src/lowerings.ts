/**
 * Import lowerings of ONNX ops that have no IR op of their own: each emits IR nodes that compute
 * the same outputs (HOUSE-STYLE: composite ONNX ops are lowered at import).
 */
import { Tensor, findSchema, tensor, type DType } from '@mo/ir';
import { dtypeFromOnnx } from './dtypes.js';
import { reject } from './errors.js';
import { dtypeOf, int64s, type RewriteCx, type WorkNode } from './rules.js';

/** Constant -> an initializer named like the Constant's output. */
export function lowerConstant(n: WorkNode, cx: RewriteCx): void {
  const a = n.attrs;
  let t: Tensor | undefined;
  if (a.value instanceof Tensor) t = a.value;
  else if (typeof a.value_float === 'number') t = tensor('float32', a.value_float, []);
  else if (Array.isArray(a.value_floats)) t = tensor('float32', a.value_floats as number[], [(a.value_floats as number[]).length]);
  else if (typeof a.value_int === 'number') t = tensor('int64', BigInt(Math.trunc(a.value_int)), []);
  else if (Array.isArray(a.value_ints)) {
    const v = a.value_ints as number[];
    t = tensor('int64', v.map((x) => BigInt(Math.trunc(x))), [v.length]);
  } else if (a.value_string !== undefined || a.value_strings !== undefined) reject('string constants are not supported');
  else if (n.attrTypes.sparse_value !== undefined || 'sparse_value' in n.attrs) reject('sparse constants are not supported');
  if (!t) reject('Constant has no value attribute');
  cx.define!(n.outputs[0], t);
}

/** Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0. */
export function lowerShrink(n: WorkNode, cx: RewriteCx): void {
  const x = n.inputs[0];
  const dtype = dtypeOf(cx, x) ?? 'float32';
  const bias = typeof n.attrs.bias === 'number' ? n.attrs.bias : 0;
  const lambd = typeof n.attrs.lambd === 'number' ? n.attrs.lambd : 0.5;
  const c = (v: number, k: string) => cx.constant(tensor(dtype, v, []), `${n.name || 'shrink'}_${k}`);
  const [lo] = cx.emit('Less', [x, c(-lambd, 'neg_lambd')]);
  const [hi] = cx.emit('Greater', [x, c(lambd, 'lambd')]);
  const [plus] = cx.emit('Add', [x, c(bias, 'bias')]);
  const [minus] = cx.emit('Sub', [x, c(bias, 'bias')]);
  const [inner] = cx.emit('Where', [hi, minus, c(0, 'zero')]);
  cx.emit('Where', [lo, plus, inner], {}, [n.outputs[0]]);
}

/**
 * Upsample (deprecated in 10) is Resize with asymmetric coordinates and floor rounding for
 * 'nearest'. Opset 1 gave height/width scales as attributes, 7-8 a scales attribute, 9 an input.
 */
export function lowerUpsample(n: WorkNode, cx: RewriteCx): void {
  let scales = n.inputs[1];
  if (!scales) {
    let values = n.attrs.scales as number[] | undefined;
    if (!values && typeof n.attrs.height_scale === 'number' && typeof n.attrs.width_scale === 'number') {
      values = [1, 1, n.attrs.height_scale, n.attrs.width_scale];
    }
    if (!values) reject('Upsample needs scales');
    scales = cx.constant(tensor('float32', values, [values.length]), `${n.name || 'upsample'}_scales`);
  }
  const raw = (n.attrs.mode as string | undefined) ?? 'nearest';
  const mode = raw === 'bilinear' ? 'linear' : raw;
  if (mode !== 'nearest' && mode !== 'linear') reject(`Upsample mode '${raw}' is not supported`);
  const attrs: Record<string, string> = { mode, coordinate_transformation_mode: 'asymmetric' };
  if (mode === 'nearest') attrs.nearest_mode = 'floor';
  cx.emit('Resize', [n.inputs[0], '', scales], attrs, [n.outputs[0]]);
}

/** Scatter (deprecated in 11) is ScatterElements without a reduction. */
export function lowerScatter(n: WorkNode, cx: RewriteCx): void {
  cx.emit('ScatterElements', n.inputs, n.attrs.axis === undefined ? {} : { axis: n.attrs.axis }, [n.outputs[0]]);
}

/**
 * If. With a condition known at load time the taken branch is inlined. Otherwise both branches are
 * inlined and each output becomes Where(cond, then, else), provided both branches give it the same
 * dtype and static shape (branches must be free of side effects, as ONNX graphs are).
 */
export function lowerIf(n: WorkNode, cx: RewriteCx): void {
  const then = n.graphs.then_branch;
  const otherwise = n.graphs.else_branch;
  if (!then || !otherwise) reject('If needs then_branch and else_branch');
  const cond = cx.valueOf(n.inputs[0]);
  if (cond && cond.size !== 1) reject(`If condition must have one element, got ${cond.size}`);
  if (cond) return copyOutputs(n, cx, cx.inline!(cond.get(0) ? then : otherwise));
  const a = cx.inline!(then);
  const b = cx.inline!(otherwise);
  if (a.length !== n.outputs.length || b.length !== n.outputs.length) reject('If branches must have as many outputs as the node');
  n.outputs.forEach((o, k) => {
    if (!o) return;
    const ta = cx.typeOf(a[k]);
    const tb = cx.typeOf(b[k]);
    const same = ta && tb && ta.dtype === tb.dtype && ta.shape.length === tb.shape.length && ta.shape.every((d, j) => typeof d === 'number' && d === tb.shape[j]);
    if (!same) reject('If with a condition known only at run time needs both branches to give each output the same dtype and static shape');
    cx.emit('Where', [n.inputs[0], a[k], b[k]], {}, [o]);
  });
}

function copyOutputs(n: WorkNode, cx: RewriteCx, values: readonly string[]): void {
  if (values.length !== n.outputs.length) reject(`If branch has ${values.length} outputs where the node has ${n.outputs.length}`);
  n.outputs.forEach((o, k) => o && cx.emit('Identity', [values[k]], {}, [o]));
}

// ------------------------------------------------------------------ losses

/**
 * NegativeLogLikelihoodLoss: loss = -input[n, target, d...] (* weight[target]), 0 where target ==
 * ignore_index; reduction 'none', 'sum', or 'mean' (divided by the summed weights of the samples
 * that count, or the plain mean without weights and ignore_index).
 */
function nllLoss(cx: RewriteCx, base: string, x: string, target: string, weight: string | undefined, attrs: Record<string, unknown>, out: string): void {
  const reduction = (attrs.reduction as string | undefined) ?? 'mean';
  if (!['none', 'sum', 'mean'].includes(reduction)) reject(`reduction '${reduction}' is not one of 'none', 'sum', 'mean'`);
  const xd = dtypeOf(cx, x) ?? 'float32';
  const td = dtypeOf(cx, target) ?? 'int64';
  const c = (dtype: DType, v: number, k: string) => cx.constant(tensor(dtype, v, []), `${base}_${k}`);
  let t = target;
  let ignored: string | undefined;
  if (typeof attrs.ignore_index === 'number') {
    [ignored] = cx.emit('Equal', [target, c(td, attrs.ignore_index, 'ignore_index')]);
    [t] = cx.emit('Where', [ignored, c(td, 0, 'zero_index'), target]);
  }
  const axis1 = cx.constant(tensor('int64', [1n], [1]), `${base}_axis1`);
  const [idx] = cx.emit('Unsqueeze', [t, axis1]);
  const [picked] = cx.emit('GatherElements', [x, idx], { axis: 1 });
  const [squeezed] = cx.emit('Squeeze', [picked, axis1]);
  let [loss] = cx.emit('Neg', [squeezed]);
  let w: string | undefined;
  if (weight) [w] = cx.emit('Gather', [weight, t], { axis: 0 });
  if (ignored) [w] = cx.emit('Where', [ignored, c(xd, 0, 'zero'), w ?? c(xd, 1, 'one')]);
  if (w) [loss] = cx.emit('Mul', [loss, w]);
  if (reduction === 'none') cx.emit('Identity', [loss], {}, [out]);
  else if (reduction === 'sum') cx.emit('ReduceSum', [loss], { keepdims: 0 }, [out]);
  else if (w) {
    const [num] = cx.emit('ReduceSum', [loss], { keepdims: 0 });
    const [den] = cx.emit('ReduceSum', [w], { keepdims: 0 });
    cx.emit('Div', [num, den], {}, [out]);
  } else cx.emit('ReduceMean', [loss], { keepdims: 0 }, [out]);
}

export function lowerNegativeLogLikelihoodLoss(n: WorkNode, cx: RewriteCx): void {
  nllLoss(cx, n.name || 'nll', n.inputs[0], n.inputs[1], n.inputs[2] || undefined, n.attrs, n.outputs[0]);
}

/** SoftmaxCrossEntropyLoss: LogSoftmax over the class axis (1), then the NLL loss. */
export function lowerSoftmaxCrossEntropyLoss(n: WorkNode, cx: RewriteCx): void {
  const [logProb] = cx.emit('LogSoftmax', [n.inputs[0]], { axis: 1 }, n.outputs[1] ? [n.outputs[1]] : 1);
  nllLoss(cx, n.name || 'sce', logProb, n.inputs[1], n.inputs[2] || undefined, n.attrs, n.outputs[0]);
}

// ------------------------------------------------------------------ windows

/**
 * Generalized cosine windows (opset 17): w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) for
 * n < size, N = size (periodic, the default) or size - 1 (symmetric).
 */
export function cosineWindow(a: readonly [number, number, number]): (n: WorkNode, cx: RewriteCx) => void {
  return (n, cx) => {
    const base = n.name || n.op;
    const periodic = (n.attrs.periodic ?? 1) !== 0;
    const code = (n.attrs.output_datatype as number | undefined) ?? 1;
    const c = (v: number, k: string) => cx.constant(tensor('float32', v, []), `${base}_${k}`);
    const [size] = cx.emit('Cast', [n.inputs[0]], { to: 'float32' });
    const [count] = periodic ? [size] : cx.emit('Sub', [size, c(1, 'one')]);
    const [idx] = cx.emit('Range', [c(0, 'start'), size, c(1, 'step')]);
    const [step] = cx.emit('Div', [c(2 * Math.PI, 'two_pi'), count]);
    const [angle] = cx.emit('Mul', [idx, step]);
    const [cos1] = cx.emit('Cos', [angle]);
    const [term1] = cx.emit('Mul', [cos1, c(a[1], 'a1')]);
    let [w] = cx.emit('Sub', [c(a[0], 'a0'), term1]);
    if (a[2]) {
      const [angle2] = cx.emit('Mul', [angle, c(2, 'two')]);
      const [cos2] = cx.emit('Cos', [angle2]);
      const [term2] = cx.emit('Mul', [cos2, c(a[2], 'a2')]);
      [w] = cx.emit('Add', [w, term2]);
    }
    const to = dtypeFromOnnx(code);
    cx.emit(to === 'float32' ? 'Identity' : 'Cast', [w], to === 'float32' ? {} : { to }, [n.outputs[0]]);
  };
}

// ------------------------------------------------------------------ Compress, MaxUnpool

/** Compress: Gather of the indices where the condition holds (NonZero), on the flattened input without an axis. */
export function lowerCompress(n: WorkNode, cx: RewriteCx): void {
  if (findSchema('Compress')) {
    cx.emit('Compress', n.inputs, n.attrs.axis === undefined ? {} : { axis: n.attrs.axis }, [n.outputs[0]]);
    return;
  }
  const base = n.name || 'compress';
  const [nz] = cx.emit('NonZero', [n.inputs[1]]);
  const [idx] = cx.emit('Squeeze', [nz, cx.constant(int64s([0]), `${base}_axes`)]);
  const hasAxis = typeof n.attrs.axis === 'number';
  const [data] = hasAxis ? [n.inputs[0]] : cx.emit('Reshape', [n.inputs[0], cx.constant(int64s([-1]), `${base}_flat`)]);
  cx.emit('Gather', [data, idx], { axis: hasAxis ? (n.attrs.axis as number) : 0 }, [n.outputs[0]]);
}

/**
 * MaxUnpool: X scattered at the flat indices I (MaxPool's Indices count over the whole tensor)
 * into zeros of the shape the attributes imply; an explicit output_shape pads that at the end
 * (indices stay relative to the implied shape, as the ONNX reference does). Needs static X dims.
 */
export function lowerMaxUnpool(n: WorkNode, cx: RewriteCx): void {
  const base = n.name || 'maxunpool';
  const [x, indices, outShape] = n.inputs;
  const xt = cx.typeOf(x);
  if (!xt || !xt.shape.every((d) => typeof d === 'number')) reject('MaxUnpool needs a static input shape');
  const dims = xt.shape as number[];
  const k = n.attrs.kernel_shape as number[];
  const r = dims.length - 2;
  const strides = (n.attrs.strides as number[] | undefined) ?? new Array(r).fill(1);
  const pads = (n.attrs.pads as number[] | undefined) ?? new Array(2 * r).fill(0);
  const implied = [dims[0], dims[1], ...dims.slice(2).map((d, i) => (d - 1) * strides[i] + k[i] - pads[i] - pads[i + r])];
  const shape = cx.constant(int64s(implied), `${base}_shape`);
  const flat = cx.constant(int64s([-1]), `${base}_flat`);
  const [zeros] = cx.emit('ConstantOfShape', [shape], { value: tensor(xt.dtype, [0], [1]) });
  const [zflat] = cx.emit('Reshape', [zeros, flat]);
  const [iflat] = cx.emit('Reshape', [indices, flat]);
  const [xflat] = cx.emit('Reshape', [x, flat]);
  const [scattered] = cx.emit('ScatterElements', [zflat, iflat, xflat], { axis: 0 });
  if (!outShape) {
    cx.emit('Reshape', [scattered, shape], {}, [n.outputs[0]]);
    return;
  }
  const [y] = cx.emit('Reshape', [scattered, shape]);
  const [extra] = cx.emit('Sub', [outShape, shape]);
  const [padding] = cx.emit('Concat', [cx.constant(int64s(new Array(dims.length).fill(0)), `${base}_begin`), extra], { axis: 0 });
  cx.emit('Pad', [y, padding], {}, [n.outputs[0]]);
}
