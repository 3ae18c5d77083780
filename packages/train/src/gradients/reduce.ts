/**
 * Gradients of ReduceSum and ReduceMean: dY broadcast back over the reduced axes (divided by the
 * number of reduced elements for the mean). The axes input takes no gradient.
 */
import type { Tensor } from '@mo/ir';
import { floats, forEachBroadcast, trainDType } from '../autodiff/array.js';
import { fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradContext, type GradientRule } from '../autodiff/registry.js';

/** The axes a reduce node reduced, sorted, as the reference decides them. */
function reducedAxes(ctx: GradContext, rank: number): number[] {
  const axesT = ctx.inputs[1];
  const axes = axesT ? axesT.toNumbers() : [];
  if (axes.length === 0) return ctx.attrs.noop_with_empty_axes === 1 ? [] : Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

function reduceGrad(op: 'ReduceSum' | 'ReduceMean'): GradientRule {
  return defineGradient({
    op,
    doc: op === 'ReduceSum' ? 'dY broadcast over the reduced axes.' : 'dY / count broadcast over the reduced axes.',
    nonDifferentiable: [1],
    grad(ctx) {
      const x = ctx.inputs[0] as Tensor;
      const g = ctx.gradOutputs[0]!;
      const axes = reducedAxes(ctx, x.rank);
      const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const count = axes.reduce((p, a) => p * x.shape[a], 1);
      const scale = op === 'ReduceMean' ? 1 / count : 1;
      const gd = floats(g);
      const dx = new Float64Array(x.size);
      forEachBroadcast(x.shape, [keepShape], (o, offs) => {
        dx[o] = gd[offs[0]] * scale;
      });
      return [fromF64(trainDType(g), x.shape, dx)];
    },
  });
}

/** Gradient rules of this family. */
export const reduceGradients: readonly GradientRule[] = [reduceGrad('ReduceSum'), reduceGrad('ReduceMean')];
