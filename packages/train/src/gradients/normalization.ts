/**
 * Gradients of BatchNormalization and LayerNormalization.
 *
 * BatchNormalization in training mode (the node's training_mode=1, or a training-mode forward of
 * an inference-form node) normalizes with the batch statistics: the gradient flows through the
 * mean and variance, and the forward reports the new running statistics as state updates (ONNX
 * momentum semantics: running = running * momentum + batch * (1 - momentum)). In inference mode
 * the statistics are inputs and get gradients like any other input.
 */
import { UnsupportedOpError, type Tensor } from '@mo/ir';
import { floats, trainDType, unbroadcast } from '../autodiff/array.js';
import { fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradientRule } from '../autodiff/registry.js';

/** Saved by BatchNormalization's forward: whether batch statistics were used. */
interface BatchNormSaved {
  readonly batchStats: boolean;
}

const batchNormalization = defineGradient({
  op: 'BatchNormalization',
  doc: 'Training mode: dX through the batch mean and variance, dScale = sum(dY * xhat), dB = sum(dY); the running statistics are state (no gradient). Inference mode: gradients for X, scale, B, mean and var.',
  stateInputs: [3, 4],
  forward(ctx) {
    const graphTraining = ctx.attrs.training_mode === 1;
    if (graphTraining || !ctx.training) return { outputs: ctx.run(), saved: { batchStats: graphTraining } satisfies BatchNormSaved };
    const node = { ...ctx.node, attrs: { ...ctx.node.attrs, training_mode: 1 }, outputs: ['y', 'running_mean', 'running_var'] };
    const [y, mean, variance] = ctx.run(node, ctx.inputs);
    return {
      outputs: [y],
      saved: { batchStats: true } satisfies BatchNormSaved,
      stateUpdates: new Map([[3, mean], [4, variance]]),
    };
  },
  grad(ctx) {
    if (ctx.gradOutputs.slice(1).some(Boolean)) {
      throw new UnsupportedOpError('gradients through the running_mean/running_var outputs are not supported', { node: ctx.node.name, op: ctx.node.op });
    }
    const [x, scale, bias, inMean, inVar] = ctx.inputs as Tensor[];
    const g = ctx.gradOutputs[0]!;
    const { batchStats } = ctx.saved as BatchNormSaved;
    const eps = ctx.attrs.epsilon as number;
    const N = x.shape[0];
    const C = x.shape[1];
    const S = x.size / (N * C);
    const count = N * S;
    const xd = floats(x);
    const gd = floats(g);
    const dtype = trainDType(g);
    const dX = new Float64Array(ctx.needsGrad(0) ? x.size : 0);
    const dScale = new Float64Array(C);
    const dBias = new Float64Array(C);
    const dMean = new Float64Array(C);
    const dVar = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let mu: number;
      let v: number;
      if (batchStats) {
        let s = 0;
        for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) s += xd[(n * C + c) * S + k];
        mu = s / count;
        let q = 0;
        for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) q += (xd[(n * C + c) * S + k] - mu) ** 2;
        v = q / count;
      } else {
        mu = inMean.get(c);
        v = inVar.get(c);
      }
      const inv = 1 / Math.sqrt(v + eps);
      const gamma = scale.get(c);
      let sumG = 0;
      let sumGX = 0;
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < S; k++) {
          const i = (n * C + c) * S + k;
          sumG += gd[i];
          sumGX += gd[i] * (xd[i] - mu) * inv;
        }
      }
      dScale[c] = sumGX;
      dBias[c] = sumG;
      if (!batchStats) {
        dMean[c] = -gamma * inv * sumG;
        dVar[c] = -0.5 * gamma * inv * inv * sumGX;
      }
      if (dX.length) {
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < S; k++) {
            const i = (n * C + c) * S + k;
            if (batchStats) {
              const xhat = (xd[i] - mu) * inv;
              dX[i] = (gamma * inv * (count * gd[i] - sumG - xhat * sumGX)) / count;
            } else dX[i] = gamma * inv * gd[i];
          }
        }
      }
    }
    return [
      dX.length ? fromF64(dtype, x.shape, dX) : undefined,
      ctx.needsGrad(1) ? fromF64(trainDType(scale), scale.shape, dScale) : undefined,
      ctx.needsGrad(2) ? fromF64(trainDType(bias), bias.shape, dBias) : undefined,
      !batchStats && ctx.needsGrad(3) ? fromF64(trainDType(inMean), inMean.shape, dMean) : undefined,
      !batchStats && ctx.needsGrad(4) ? fromF64(trainDType(inVar), inVar.shape, dVar) : undefined,
    ];
  },
});

const layerNormalization = defineGradient({
  op: 'LayerNormalization',
  doc: 'Over the normalized axes [axis, rank): dX = inv * (g - mean(g) - xhat * mean(g * xhat)) with g = dY * Scale; dScale and dB sum over their broadcast dims. The Mean/InvStdDev outputs take no gradient.',
  grad(ctx) {
    if (ctx.gradOutputs.slice(1).some(Boolean)) {
      throw new UnsupportedOpError('gradients through the Mean/InvStdDev outputs are not supported', { node: ctx.node.name, op: ctx.node.op });
    }
    const [x, scale, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const g = ctx.gradOutputs[0]!;
    const rank = x.rank;
    const axis = (ctx.attrs.axis as number) < 0 ? (ctx.attrs.axis as number) + rank : (ctx.attrs.axis as number);
    const eps = ctx.attrs.epsilon as number;
    const inner = x.shape.slice(axis).reduce((a, b) => a * b, 1);
    const outer = x.size / inner;
    const xd = floats(x);
    const gd = floats(g);
    const dtype = trainDType(g);
    // Scale broadcast to X: index of the scale element used by each element of a row (scale
    // only spans the normalized axes or broadcasts over the others).
    const sd = floats(scale);
    const scaleAt = broadcastIndexer(scale.shape, x.shape);
    const xhat = new Float64Array(x.size);
    const dX = new Float64Array(ctx.needsGrad(0) ? x.size : 0);
    const gs = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * inner;
      let mu = 0;
      for (let k = 0; k < inner; k++) mu += xd[base + k];
      mu /= inner;
      let v = 0;
      for (let k = 0; k < inner; k++) v += (xd[base + k] - mu) ** 2;
      v /= inner;
      const inv = 1 / Math.sqrt(v + eps);
      let mg = 0;
      let mgx = 0;
      for (let k = 0; k < inner; k++) {
        const i = base + k;
        xhat[i] = (xd[i] - mu) * inv;
        gs[k] = gd[i] * sd[scaleAt(i)];
        mg += gs[k];
        mgx += gs[k] * xhat[i];
      }
      mg /= inner;
      mgx /= inner;
      if (dX.length) for (let k = 0; k < inner; k++) dX[base + k] = inv * (gs[k] - mg - xhat[base + k] * mgx);
    }
    let dScale: Tensor | undefined;
    if (ctx.needsGrad(1)) {
      const prod = new Float64Array(x.size);
      for (let i = 0; i < x.size; i++) prod[i] = gd[i] * xhat[i];
      dScale = unbroadcast(fromF64('float64', x.shape, prod), scale.shape);
      if (dtype === 'float32') dScale = fromF64('float32', scale.shape, dScale.data as Float64Array);
    }
    const dB = bias && ctx.needsGrad(2) ? unbroadcast(g, bias.shape) : undefined;
    return [dX.length ? fromF64(dtype, x.shape, dX) : undefined, dScale, dB];
  },
});

/** Maps a flat index of shape `to` to the flat index of a tensor of shape `from` broadcast to it. */
function broadcastIndexer(from: readonly number[], to: readonly number[]): (i: number) => number {
  const lead = to.length - from.length;
  const toStrides: number[] = [];
  let acc = 1;
  for (let k = to.length - 1; k >= 0; k--) {
    toStrides[k] = acc;
    acc *= to[k];
  }
  const fromStrides: number[] = [];
  acc = 1;
  for (let k = from.length - 1; k >= 0; k--) {
    fromStrides[k] = acc;
    acc *= from[k];
  }
  if (from.length === to.length && from.every((d, k) => d === to[k])) return (i) => i;
  return (i) => {
    let j = 0;
    for (let k = 0; k < from.length; k++) if (from[k] !== 1) j += (Math.floor(i / toStrides[lead + k]) % to[lead + k]) * fromStrides[k];
    return j;
  };
}

/** Gradient rules of this family. */
export const normalizationGradients: readonly GradientRule[] = [batchNormalization, layerNormalization];
