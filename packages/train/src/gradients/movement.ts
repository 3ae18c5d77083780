/**
 * Gradients of movement and indexing ops. Reshape-like ops reshape dY; Transpose permutes it back;
 * the others (Concat, Split, Slice, Gather, Pad, Expand, Tile) scatter-add dY along the index map
 * that the reference interpreter computes for the node (see autodiff/ops.ts), so every attribute
 * combination the op supports is covered exactly (negative and clamped slice bounds, steps,
 * repeated gather indices, reflect padding). Shape, axes and index inputs take no gradient.
 */
import { Tensor, tensor } from '@mo/ir';
import { invertPermutation, permute } from '../autodiff/array.js';
import { reshapeGrad, scatterGrad } from '../autodiff/ops.js';
import { defineGradient, type GradientRule } from '../autodiff/registry.js';

function reshapeLike(op: string, nonDifferentiable: readonly number[] = []): GradientRule {
  return defineGradient({
    op,
    doc: 'dY reshaped to the input shape.',
    nonDifferentiable,
    grad: (ctx) => [reshapeGrad(ctx.gradOutputs[0]!, ctx.inputs[0]!.shape)],
  });
}

const transpose = defineGradient({
  op: 'Transpose',
  doc: 'dY transposed by the inverse permutation.',
  grad(ctx) {
    const rank = ctx.inputs[0]!.rank;
    const perm = (ctx.attrs.perm as readonly number[] | undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    return [permute(ctx.gradOutputs[0]!, invertPermutation(perm))];
  },
});

function scatter(op: string, doc: string, nonDifferentiable: readonly number[], replace?: (inputs: readonly (Tensor | undefined)[]) => Record<number, Tensor>): GradientRule {
  return defineGradient({
    op,
    doc,
    nonDifferentiable,
    grad(ctx) {
      const diff = ctx.inputs.map((_, i) => i).filter((i) => !nonDifferentiable.includes(i) && ctx.inputs[i]);
      return scatterGrad(ctx, diff, replace?.(ctx.inputs));
    },
  });
}

const concat = scatter('Concat', 'Each input gets its slice of dY.', []);
const split = scatter('Split', 'dY of the outputs joined back (zeros for outputs without gradient).', [1]);
const slice = scatter('Slice', 'dY scattered into zeros at the sliced positions.', [1, 2, 3, 4]);
const gather = scatter('Gather', 'dY scatter-added at the gathered indices (repeated indices accumulate).', [1]);
const expand = scatter('Expand', 'dY summed over the expanded dimensions.', [1]);
const tile = scatter('Tile', 'dY summed over the tiles.', [1]);
// Padding positions read the fill value -1 in the index map, so they send nothing back.
const pad = scatter('Pad', 'dY of the positions that come from the input (reflected and edge positions accumulate); pads, constant_value and axes take no gradient.', [1, 2, 3], () => ({
  2: tensor('int32', -1, []),
}));

/** Gradient rules of this family. */
export const movementGradients: readonly GradientRule[] = [
  reshapeLike('Reshape', [1]),
  reshapeLike('Flatten'),
  reshapeLike('Squeeze', [1]),
  reshapeLike('Unsqueeze', [1]),
  transpose,
  concat,
  split,
  slice,
  gather,
  expand,
  tile,
  pad,
];
