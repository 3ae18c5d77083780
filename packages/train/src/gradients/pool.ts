/**
 * Gradients of the pools. MaxPool routes dY to the position the reference interpreter picked (its
 * Indices output, requested in the training forward), so ties and NaN follow the forward exactly.
 * AveragePool spreads dY evenly over the window's taps inside the input, with the forward's
 * divisor (count_include_pad, ceil_mode). GlobalAveragePool spreads dY over the plane.
 */
import type { Tensor } from '@mo/ir';
import { floats, trainDType } from '../autodiff/array.js';
import { fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradientRule } from '../autodiff/registry.js';
import { asNchw, fromNchw, windowOf, type Window3 } from './window.js';

/** Saved by MaxPool's training forward: the flat NCHW index of each output's maximum. */
interface MaxPoolSaved {
  readonly indices: BigInt64Array;
}

const maxPool = defineGradient({
  op: 'MaxPool',
  doc: 'dY goes to the input position of each window maximum (the Indices the reference computes); the Indices output takes no gradient.',
  forward(ctx) {
    const attrs: Record<string, (typeof ctx.node.attrs)[string]> = {};
    for (const [k, v] of Object.entries(ctx.node.attrs)) if (k !== 'storage_order') attrs[k] = v;
    const [y, indices] = ctx.run({ ...ctx.node, attrs, outputs: ['y', 'indices'] }, ctx.inputs);
    const outputs = ctx.node.outputs.length > 1 ? (ctx.attrs.storage_order === 1 ? ctx.run() : [y, indices]) : [y];
    return { outputs, saved: { indices: indices.data as BigInt64Array } satisfies MaxPoolSaved };
  },
  grad(ctx) {
    const x = ctx.inputs[0]!;
    const g = ctx.gradOutputs[0]!;
    const { indices } = ctx.saved as MaxPoolSaved;
    const gd = floats(g);
    const acc = new Float64Array(x.size);
    if (ctx.attrs.layout === 'NHWC') {
      const C = x.shape[x.rank - 1];
      const S = x.size / (x.shape[0] * C);
      for (let i = 0; i < gd.length; i++) {
        const j = Number(indices[i]);
        if (j < 0) continue;
        const s = j % S;
        const nc = (j - s) / S;
        const c = nc % C;
        const n = (nc - c) / C;
        acc[(n * S + s) * C + c] += gd[i];
      }
    } else {
      for (let i = 0; i < gd.length; i++) {
        const j = Number(indices[i]);
        if (j >= 0) acc[j] += gd[i];
      }
    }
    return [fromF64(trainDType(g), x.shape, acc)];
  },
});

/** Per axis and output position: the input positions of the taps inside the input, and the divisor factor. */
function axisTaps(w: Window3, axis: number, includePad: boolean): { taps: number[][]; counts: number[] } {
  const taps: number[][] = [];
  const counts: number[] = [];
  const inSize = w.inSize[axis];
  for (let o = 0; o < w.outSize[axis]; o++) {
    const list: number[] = [];
    let count = 0;
    for (let k = 0; k < w.kernel[axis]; k++) {
      const p = o * w.strides[axis] - w.padBegin[axis] + k * w.dilations[axis];
      if (p >= 0 && p < inSize) {
        list.push(p);
        count++;
      } else if (includePad && p < inSize + w.padEnd[axis]) count++;
    }
    taps.push(list);
    counts.push(count);
  }
  return { taps, counts };
}

const averagePool = defineGradient({
  op: 'AveragePool',
  doc: 'dY / divisor to every tap of the window inside the input (divisor as the forward: taps inside, plus padding taps with count_include_pad).',
  grad(ctx) {
    const x = asNchw(ctx, ctx.inputs[0]!);
    const g = asNchw(ctx, ctx.gradOutputs[0]!);
    const kernel = ctx.attrs.kernel_shape as readonly number[];
    const win = windowOf(ctx, x.shape.slice(2), g.shape.slice(2), kernel);
    const include = ctx.attrs.count_include_pad === 1;
    const [td, th, tw] = [0, 1, 2].map((a) => axisTaps(win, a, include));
    const [D, H, W] = win.inSize;
    const [OD, OH, OW] = win.outSize;
    const planes = x.shape[0] * x.shape[1];
    const gd = floats(g);
    const acc = new Float64Array(x.size);
    for (let p = 0; p < planes; p++) {
      const xBase = p * D * H * W;
      const yBase = p * OD * OH * OW;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const div = td.counts[od] * th.counts[oh] * tw.counts[ow];
            const v = gd[yBase + (od * OH + oh) * OW + ow] / div;
            for (const id of td.taps[od]) for (const ih of th.taps[oh]) {
              const row = xBase + (id * H + ih) * W;
              for (const iw of tw.taps[ow]) acc[row + iw] += v;
            }
          }
        }
      }
    }
    return [fromNchw(ctx, fromF64(trainDType(g), x.shape, acc))];
  },
});

const globalAveragePool = defineGradient({
  op: 'GlobalAveragePool',
  doc: 'dY / (number of spatial positions) to every position of the plane.',
  grad(ctx) {
    const x = asNchw(ctx, ctx.inputs[0]!);
    const g = asNchw(ctx, ctx.gradOutputs[0]!);
    const planes = x.shape[0] * x.shape[1];
    const S = x.size / planes;
    const gd = floats(g);
    const acc = new Float64Array(x.size);
    for (let p = 0; p < planes; p++) {
      const v = gd[p] / S;
      acc.fill(v, p * S, (p + 1) * S);
    }
    return [fromNchw(ctx, fromF64(trainDType(g), x.shape, acc))];
  },
});

/** Gradient rules of this family. */
export const poolGradients: readonly GradientRule[] = [maxPool, averagePool, globalAveragePool];
