/**
 * DFT and STFT (opset 17) lowered at import to matrix products with cosine/sine matrices built
 * from Range at run time (so frame and signal lengths may be run-time values; with constant
 * lengths the matrices fold into initializers). The angle uses (n * k mod N) in integers before
 * the float conversion, and the products run in float64 (cast back at the end): a float32 sum of
 * cancelling terms would leave errors of ~1e-6 where the transform is exactly 0.
 *
 *   forward: Re = xr C + xi S,  Im = xi C - xr S          (C = cos(2 pi n k / N), S = sin(...))
 *   inverse: Re = (xr C - xi S) / N,  Im = (xi C + xr S) / N
 */
import { normalizeAxis, tensor, type DType } from '@mo/ir';
import { reject } from './errors.js';
import { int64s, type RewriteCx, type WorkNode } from './rules.js';

interface DftSpec {
  base: string;
  /** Real signal (or real part), the transformed axis last. */
  re: string;
  /** Imaginary part, or undefined for a real signal. */
  im: string | undefined;
  /** Transform length (int64 scalar value name). */
  n: string;
  inverse: boolean;
  onesided: boolean;
  dtype: DType;
}

/** Transforms along the last axis; returns [re, im] with K = N or N/2 + 1 entries there. */
function dftLastAxis(cx: RewriteCx, s: DftSpec): [string, string] {
  const one = (op: string, inputs: string[], attrs: Record<string, unknown> = {}) => cx.emit(op, inputs, attrs as never)[0];
  const i64 = (v: number, k: string) => cx.constant(tensor('int64', BigInt(v), []), `${s.base}_${k}`);
  const f = (v: number, k: string) => cx.constant(tensor(s.dtype, v, []), `${s.base}_${k}`);
  const k = s.onesided ? one('Add', [one('Div', [s.n, i64(2, 'two')]), i64(1, 'one')]) : s.n;
  const nIdx = one('Range', [i64(0, 'zero'), s.n, i64(1, 'one')]);
  const kIdx = one('Range', [i64(0, 'zero'), k, i64(1, 'one')]);
  const nk = one('Mul', [one('Unsqueeze', [nIdx, cx.constant(int64s([1]), `${s.base}_ax1`)]), one('Unsqueeze', [kIdx, cx.constant(int64s([0]), `${s.base}_ax0`)])]);
  const nf = one('Cast', [s.n], { to: s.dtype });
  const theta = one('Mul', [one('Cast', [one('Mod', [nk, s.n])], { to: s.dtype }), one('Div', [f(2 * Math.PI, 'two_pi'), nf])]);
  const c = one('Cos', [theta]);
  const sn = one('Sin', [theta]);
  const mm = (a: string, b: string) => one('MatMul', [a, b]);
  let re = mm(s.re, c);
  let im = one('Neg', [mm(s.re, sn)]);
  if (s.inverse) im = one('Neg', [im]);
  if (s.im) {
    const ic = mm(s.im, c);
    const is = mm(s.im, sn);
    re = s.inverse ? one('Sub', [re, is]) : one('Add', [re, is]);
    im = one('Add', [im, ic]);
  }
  if (s.inverse) {
    re = one('Div', [re, nf]);
    im = one('Div', [im, nf]);
  }
  return [re, im];
}

/** Splits [..., 1|2] into real and imaginary parts (dropping the last axis). */
function complexParts(cx: RewriteCx, base: string, x: string, channels: number): [string, string | undefined] {
  const idx = (v: number) => cx.constant(tensor('int64', BigInt(v), []), `${base}_c${v}`);
  const [re] = cx.emit('Gather', [x, idx(0)], { axis: -1 });
  const im = channels === 2 ? cx.emit('Gather', [x, idx(1)], { axis: -1 })[0] : undefined;
  return [re, im];
}

/** [re, im] (same shape, float64) -> [..., 2] of `dtype`. */
function joinComplex(cx: RewriteCx, base: string, re: string, im: string, out: string, dtype: DType): void {
  const last = cx.constant(int64s([-1]), `${base}_last`);
  const [r] = cx.emit('Unsqueeze', [re, last]);
  const [i] = cx.emit('Unsqueeze', [im, last]);
  if (dtype === 'float64') cx.emit('Concat', [r, i], { axis: -1 }, [out]);
  else cx.emit('Cast', [cx.emit('Concat', [r, i], { axis: -1 })[0]], { to: dtype }, [out]);
}

/** A value as float64 (the precision the transform is computed in). */
function wide(cx: RewriteCx, v: string, dtype: DType): string {
  return dtype === 'float64' ? v : cx.emit('Cast', [v], { to: 'float64' })[0];
}

export function lowerDft(n: WorkNode, cx: RewriteCx): void {
  const base = n.name || 'dft';
  const x = n.inputs[0];
  const t = cx.typeOf(x);
  if (!t) reject('DFT needs the input type');
  const rank = t.shape.length;
  const channels = t.shape[rank - 1];
  if (channels !== 1 && channels !== 2) reject(`DFT input must end in a static dimension of 1 (real) or 2 (complex), got [${t.shape.join(',')}]`);
  const axis = normalizeAxis((n.attrs.axis as number | undefined) ?? 1, rank);
  if (axis === rank - 1) reject('DFT axis cannot be the last (real/imaginary) dimension');
  const inverse = !!n.attrs.inverse;
  const onesided = !!n.attrs.onesided;
  if (onesided && channels === 2) reject('onesided DFT needs a real input');
  if (onesided && inverse) reject('onesided inverse DFT is not supported');
  const dim = t.shape[axis];
  if (n.inputs[1]) {
    const len = cx.valueOf(n.inputs[1]);
    if (!len || len.get(0) !== dim) reject('DFT with a dft_length other than the signal length is not supported');
  }
  const [re0, im0] = complexParts(cx, base, x, channels);
  // Move the transformed axis last (rank - 1 dims remain after dropping the complex axis).
  const r = rank - 1;
  const perm = [...Array(r).keys()].filter((d) => d !== axis).concat([axis]);
  const inv = perm.map((_, d) => perm.indexOf(d));
  const moveLast = (v: string) => (axis === r - 1 ? v : cx.emit('Transpose', [v], { perm })[0]);
  const moveBack = (v: string) => (axis === r - 1 ? v : cx.emit('Transpose', [v], { perm: inv })[0]);
  const len = typeof dim === 'number' ? cx.constant(tensor('int64', BigInt(dim), []), `${base}_n`) : cx.emit('Gather', [cx.emit('Shape', [x])[0], cx.constant(tensor('int64', BigInt(axis), []), `${base}_axis`)], { axis: 0 })[0];
  const [re, im] = dftLastAxis(cx, { base, re: wide(cx, moveLast(re0), t.dtype), im: im0 && wide(cx, moveLast(im0), t.dtype), n: len, inverse, onesided, dtype: 'float64' });
  joinComplex(cx, base, moveBack(re), moveBack(im), n.outputs[0], t.dtype);
}

/**
 * STFT: frames of frame_length every frame_step samples (a Gather with an index grid), times the
 * window, then the DFT of each frame.
 */
export function lowerStft(n: WorkNode, cx: RewriteCx): void {
  const base = n.name || 'stft';
  const [signal, step, window, frameLength] = n.inputs;
  const t = cx.typeOf(signal);
  if (!t || t.shape.length !== 3) reject('STFT needs a signal of rank 3 [batch, length, 1|2]');
  const channels = t.shape[2];
  if (channels !== 1 && channels !== 2) reject('STFT signal must end in a static dimension of 1 or 2');
  const onesided = ((n.attrs.onesided as number | undefined) ?? 1) !== 0;
  if (onesided && channels === 2) reject('onesided STFT needs a real signal');
  const one = (op: string, inputs: string[], attrs: Record<string, unknown> = {}) => cx.emit(op, inputs, attrs as never)[0];
  const i64 = (v: number, k: string) => cx.constant(tensor('int64', BigInt(v), []), `${base}_${k}`);
  const scalarI64 = (v: string) => one('Cast', [one('Reshape', [v, cx.constant(int64s([]), `${base}_scalar`)])], { to: 'int64' });
  let fl: string;
  if (frameLength) fl = scalarI64(frameLength);
  else if (window) fl = one('Gather', [one('Shape', [window]), i64(0, 'zero')], { axis: 0 });
  else return reject('STFT needs frame_length or a window');
  const hop = scalarI64(step);
  const length = typeof t.shape[1] === 'number' ? i64(t.shape[1], 'length') : one('Gather', [one('Shape', [signal]), i64(1, 'one')], { axis: 0 });
  const frames = one('Add', [one('Div', [one('Sub', [length, fl]), hop]), i64(1, 'one')]);
  const starts = one('Mul', [one('Range', [i64(0, 'zero'), frames, i64(1, 'one')]), hop]);
  const offsets = one('Range', [i64(0, 'zero'), fl, i64(1, 'one')]);
  const grid = one('Add', [one('Unsqueeze', [starts, cx.constant(int64s([1]), `${base}_ax1`)]), one('Unsqueeze', [offsets, cx.constant(int64s([0]), `${base}_ax0`)])]);
  let framed = one('Gather', [signal, grid], { axis: 1 }); // [batch, frames, fl, c]
  if (window) framed = one('Mul', [framed, one('Unsqueeze', [window, cx.constant(int64s([1]), `${base}_wax`)])]);
  const [re, im] = complexParts(cx, base, framed, channels);
  const [yr, yi] = dftLastAxis(cx, { base, re: wide(cx, re, t.dtype), im: im && wide(cx, im, t.dtype), n: fl, inverse: false, onesided, dtype: 'float64' });
  joinComplex(cx, base, yr, yi, n.outputs[0], t.dtype);
}
