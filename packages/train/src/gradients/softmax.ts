/**
 * Gradients of Softmax and LogSoftmax along their axis:
 * Softmax dx = y * (dy - sum(dy * y)); LogSoftmax dx = dy - exp(y) * sum(dy).
 */
import { floats, trainDType } from '../autodiff/array.js';
import { fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradContext, type GradientRule } from '../autodiff/registry.js';

/** Calls f(base, len, stride) for every lane along the node's axis. */
function forEachLane(ctx: GradContext, f: (base: number, len: number, stride: number) => void): void {
  const y = ctx.outputs[0];
  const rank = y.rank;
  const a = ctx.attrs.axis as number;
  const axis = a < 0 ? a + rank : a;
  const outer = y.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const len = y.shape[axis];
  const inner = y.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * len * inner + i, len, inner);
}

const softmax = defineGradient({
  op: 'Softmax',
  doc: 'y * (dy - sum(dy * y)) along the axis.',
  grad(ctx) {
    const y = floats(ctx.outputs[0]);
    const g = floats(ctx.gradOutputs[0]!);
    const dx = new Float64Array(y.length);
    forEachLane(ctx, (base, len, stride) => {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += g[base + k * stride] * y[base + k * stride];
      for (let k = 0; k < len; k++) {
        const i = base + k * stride;
        dx[i] = y[i] * (g[i] - dot);
      }
    });
    return [fromF64(trainDType(ctx.gradOutputs[0]!), ctx.outputs[0].shape, dx)];
  },
});

const logSoftmax = defineGradient({
  op: 'LogSoftmax',
  doc: 'dy - softmax(x) * sum(dy) along the axis (softmax = exp(y)).',
  grad(ctx) {
    const y = floats(ctx.outputs[0]);
    const g = floats(ctx.gradOutputs[0]!);
    const dx = new Float64Array(y.length);
    forEachLane(ctx, (base, len, stride) => {
      let sum = 0;
      for (let k = 0; k < len; k++) sum += g[base + k * stride];
      for (let k = 0; k < len; k++) {
        const i = base + k * stride;
        dx[i] = g[i] - Math.exp(y[i]) * sum;
      }
    });
    return [fromF64(trainDType(ctx.gradOutputs[0]!), ctx.outputs[0].shape, dx)];
  },
});

/** Gradient rules of this family. */
export const softmaxGradients: readonly GradientRule[] = [softmax, logSoftmax];
