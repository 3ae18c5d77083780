/**
 * Softmax, LogSoftmax and Hardmax (ONNX opset 13 semantics: one `axis`, default -1). Values are
 * computed in float64 with the lane maximum subtracted first (so large inputs do not overflow) and
 * rounded once to the output dtype.
 */
import { FLOAT_TYPES, type TypedArray } from '../core/dtype.js';
import { Tensor, writeElement, zeros } from '../core/tensor.js';
import { axisIn } from './axes.js';
import { laneGeometry, nanMax } from './lanes.js';
import { sameAs } from './output-types.js';
import { defineOp, type OpSchema, type RunContext } from './schema.js';

/**
 * Applies `f` to every 1-D lane along `axis`: f gets the lane's values (as float64) and returns the
 * lane's outputs.
 */
function mapLanes(ctx: RunContext, f: (xs: number[]) => number[]): Tensor {
  const x = ctx.inputs[0]!;
  const { outer, len, inner } = laneGeometry(x.shape, axisIn(ctx, ctx.int('axis'), x.rank));
  const out = zeros(x.dtype, x.shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      const ys = f(Array.from({ length: len }, (_, k) => x.get(at(k))));
      ys.forEach((y, k) => writeElement(x.dtype, out.data as TypedArray, at(k), y));
    }
  }
  return out;
}

function softmaxLane(xs: number[]): number[] {
  const m = nanMax(xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function logSoftmaxLane(xs: number[]): number[] {
  const m = nanMax(xs);
  const logSum = Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
  return xs.map((x) => x - m - logSum);
}

function hardmaxLane(xs: number[]): number[] {
  let best = 0;
  for (let k = 1; k < xs.length; k++) if (xs[k] > xs[best]) best = k;
  return xs.map((_, k) => (k === best ? 1 : 0));
}

function axisOp(name: string, doc: string, lane: (xs: number[]) => number[]): OpSchema {
  return defineOp({
    name,
    group: 'normalization',
    since: 13,
    doc,
    inputs: [{ name: 'input', type: 'T' }],
    outputs: [{ name: 'output', type: 'T' }],
    types: { T: FLOAT_TYPES },
    attrs: { axis: { type: 'int', default: -1, doc: 'axis the operation runs along (negative counts from the back)' } },
    infer(ctx) {
      axisIn(ctx, ctx.int('axis'), ctx.inputs[0]!.shape.length);
      return [sameAs(ctx)];
    },
    run: (ctx) => [mapLanes(ctx, lane)],
  });
}

/** Ops of this family. */
export const softmaxOps: readonly OpSchema[] = [
  axisOp('Softmax', 'exp(x - max) / sum(exp(x - max)) along `axis`.', softmaxLane),
  axisOp('LogSoftmax', 'x - max - log(sum(exp(x - max))) along `axis`.', logSoftmaxLane),
  axisOp('Hardmax', '1 at the first maximum along `axis`, 0 elsewhere.', hardmaxLane),
];
