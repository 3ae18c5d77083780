/**
 * Gradient-check cases as data: one single-node graph per case, built in float64. Differentiable
 * inputs are random (kept away from the op's kinks); `fixed` inputs are constants (shapes, axes,
 * indices, conditions, clipping bounds). Every op with a gradient rule needs at least one case
 * (test/gradients/gradcheck.test.ts fails otherwise).
 */
import { Tensor, tensor, type Attrs } from '@mo/ir';

/** A random differentiable input. */
export interface RandomInput {
  readonly shape: readonly number[];
  readonly low?: number;
  readonly high?: number;
}

/** A constant input (not checked). */
export interface FixedInput {
  readonly fixed: Tensor;
}

export interface GradCase {
  readonly name: string;
  readonly op: string;
  readonly attrs?: Attrs;
  /** Node inputs in order; null for an absent optional input. */
  readonly inputs: readonly (RandomInput | FixedInput | null)[];
  /** Number of node outputs (default 1). */
  readonly outputs?: number;
  /** Outputs the loss projects (default: all). */
  readonly seedOutputs?: readonly number[];
  /** Input values kept away from these points (kinks). */
  readonly avoid?: readonly number[];
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Finite-difference stencil (default 3 points). */
  readonly stencil?: 3 | 5;
}

const r = (shape: readonly number[], low = -1, high = 1): RandomInput => ({ shape, low, high });
const ints = (values: readonly number[]): FixedInput => ({ fixed: tensor('int64', values.map(BigInt), [values.length]) });
const f64 = (value: number): FixedInput => ({ fixed: tensor('float64', value, []) });
const bools = (values: readonly number[], shape: readonly number[]): FixedInput => ({ fixed: tensor('bool', values, shape) });

/** Cases for the activations and unary math. */
const unary: GradCase[] = [
  { name: 'Relu', op: 'Relu', inputs: [r([3, 4])], avoid: [0] },
  { name: 'Relu 4-D', op: 'Relu', inputs: [r([2, 2, 3, 3])], avoid: [0] },
  { name: 'LeakyRelu alpha 0.1', op: 'LeakyRelu', attrs: { alpha: 0.1 }, inputs: [r([3, 4])], avoid: [0] },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: [r([3, 4], -4, 4)] },
  { name: 'Tanh', op: 'Tanh', inputs: [r([2, 5], -3, 3)] },
  { name: 'HardSwish', op: 'HardSwish', inputs: [r([4, 5], -5, 5)], avoid: [-3, 3] },
  { name: 'HardSigmoid default', op: 'HardSigmoid', inputs: [r([4, 5], -4, 4)], avoid: [-2.5, 2.5] },
  { name: 'HardSigmoid 1/6', op: 'HardSigmoid', attrs: { alpha: 1 / 6, beta: 0.5 }, inputs: [r([4, 5], -5, 5)], avoid: [-3, 3] },
  { name: 'Gelu exact', op: 'Gelu', inputs: [r([3, 5], -4, 4)] },
  { name: 'Gelu tanh', op: 'Gelu', attrs: { approximate: 'tanh' }, inputs: [r([3, 5], -4, 4)] },
  { name: 'Clip [-0.5, 0.5]', op: 'Clip', inputs: [r([3, 4]), f64(-0.5), f64(0.5)], avoid: [-0.5, 0.5] },
  { name: 'Clip min only', op: 'Clip', inputs: [r([3, 4]), f64(0.1), null], avoid: [0.1] },
  { name: 'Clip ReLU6', op: 'Clip', inputs: [r([3, 4], -2, 8), f64(0), f64(6)], avoid: [0, 6] },
  { name: 'Neg', op: 'Neg', inputs: [r([3, 4])] },
  { name: 'Abs', op: 'Abs', inputs: [r([3, 4])], avoid: [0] },
  { name: 'Sqrt', op: 'Sqrt', inputs: [r([3, 4], 0.2, 3)] },
  { name: 'Exp', op: 'Exp', inputs: [r([3, 4], -2, 2)] },
  { name: 'Log', op: 'Log', inputs: [r([3, 4], 0.2, 3)] },
  { name: 'Reciprocal', op: 'Reciprocal', inputs: [r([3, 4], 0.5, 2)] },
  { name: 'Erf', op: 'Erf', inputs: [r([3, 4], -2, 2)] },
  { name: 'Identity', op: 'Identity', inputs: [r([2, 3])] },
  { name: 'Dropout inference', op: 'Dropout', inputs: [r([3, 4])] },
  { name: 'Dropout training (seeded mask)', op: 'Dropout', attrs: { seed: 7 }, inputs: [r([4, 5]), f64(0.3), { fixed: tensor('bool', true, []) }], outputs: 2, seedOutputs: [0] },
];

/** Broadcasting binary ops. */
const binary: GradCase[] = [
  { name: 'Add same shape', op: 'Add', inputs: [r([3, 4]), r([3, 4])] },
  { name: 'Add broadcast [2,3,4] + [3,1]', op: 'Add', inputs: [r([2, 3, 4]), r([3, 1])] },
  { name: 'Add fused Relu', op: 'Add', attrs: { activation: 'Relu' }, inputs: [r([3, 4]), r([4])] },
  { name: 'Add fused Clip(0, 1)', op: 'Add', attrs: { activation: 'Clip', activation_params: [0, 1] }, inputs: [r([3, 4]), r([1, 4])] },
  { name: 'Sub broadcast [4] - [2,4]', op: 'Sub', inputs: [r([4]), r([2, 4])] },
  { name: 'Mul scalar * [3,4]', op: 'Mul', inputs: [r([]), r([3, 4])] },
  { name: 'Mul broadcast [2,1,3] * [4,1]', op: 'Mul', inputs: [r([2, 1, 3]), r([4, 1])] },
  { name: 'Div broadcast', op: 'Div', inputs: [r([2, 3, 4]), r([4], 0.5, 2)] },
  { name: 'Div both ways', op: 'Div', inputs: [r([3, 1], 0.5, 2), r([1, 4], 0.5, 2)] },
  { name: 'Pow', op: 'Pow', inputs: [r([3, 4], 0.5, 2), r([3, 4], -1, 2)] },
  { name: 'Pow broadcast exponent', op: 'Pow', inputs: [r([3, 4], 0.5, 2), r([4], 0.5, 3)] },
  { name: 'Where broadcast', op: 'Where', inputs: [bools([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], [3, 4]), r([3, 4]), r([4])] },
];

/** Matrix products. */
const matmul: GradCase[] = [
  { name: 'MatMul 2-D', op: 'MatMul', inputs: [r([3, 4]), r([4, 5])] },
  { name: 'MatMul batched, B broadcast', op: 'MatMul', inputs: [r([2, 3, 4]), r([4, 5])] },
  { name: 'MatMul batch broadcast [2,1,3,4] x [3,4,2]', op: 'MatMul', inputs: [r([2, 1, 3, 4]), r([3, 4, 2])] },
  { name: 'MatMul 1-D x 2-D', op: 'MatMul', inputs: [r([4]), r([4, 3])] },
  { name: 'MatMul 2-D x 1-D', op: 'MatMul', inputs: [r([3, 4]), r([4])] },
  { name: 'MatMul fused Tanh', op: 'MatMul', attrs: { activation: 'Tanh' }, inputs: [r([2, 3]), r([3, 4])] },
  { name: 'Gemm with C [N]', op: 'Gemm', inputs: [r([3, 4]), r([4, 5]), r([5])] },
  { name: 'Gemm transA transB alpha beta', op: 'Gemm', attrs: { transA: 1, transB: 1, alpha: 0.7, beta: 1.3 }, inputs: [r([4, 3]), r([5, 4]), r([3, 5])] },
  { name: 'Gemm transB (Linear), C [M,1]', op: 'Gemm', attrs: { transB: 1 }, inputs: [r([3, 4]), r([5, 4]), r([3, 1])] },
  { name: 'Gemm scalar C', op: 'Gemm', attrs: { transA: 1 }, inputs: [r([4, 3]), r([4, 5]), r([])] },
  { name: 'Gemm no C, fused Sigmoid', op: 'Gemm', attrs: { activation: 'Sigmoid' }, inputs: [r([2, 3]), r([3, 4])] },
  { name: 'Gemm fused HardSigmoid', op: 'Gemm', attrs: { transB: 1, activation: 'HardSigmoid', activation_params: [0.2, 0.5] }, inputs: [r([2, 3]), r([4, 3]), r([4])] },
];

/** Convolutions. */
const conv: GradCase[] = [
  { name: 'Conv 3x3 pads 1 with bias', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [r([2, 3, 5, 5]), r([4, 3, 3, 3]), r([4])] },
  { name: 'Conv stride 2, no pads, no bias', op: 'Conv', attrs: { strides: [2, 2] }, inputs: [r([1, 2, 7, 7]), r([3, 2, 3, 3])] },
  { name: 'Conv groups 2', op: 'Conv', attrs: { group: 2, pads: [1, 1, 1, 1] }, inputs: [r([1, 4, 5, 5]), r([6, 2, 3, 3]), r([6])] },
  { name: 'Conv depthwise stride 2', op: 'Conv', attrs: { group: 3, pads: [1, 1, 1, 1], strides: [2, 2] }, inputs: [r([2, 3, 6, 6]), r([3, 1, 3, 3]), r([3])] },
  { name: 'Conv dilations 2', op: 'Conv', attrs: { dilations: [2, 2], pads: [2, 2, 2, 2] }, inputs: [r([1, 2, 6, 6]), r([2, 2, 3, 3])] },
  { name: 'Conv asymmetric pads, strides [1,2]', op: 'Conv', attrs: { pads: [0, 1, 2, 0], strides: [1, 2] }, inputs: [r([1, 2, 5, 6]), r([2, 2, 3, 2])] },
  { name: 'Conv SAME_UPPER stride 2', op: 'Conv', attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, inputs: [r([1, 2, 5, 6]), r([2, 2, 3, 3])] },
  { name: 'Conv SAME_LOWER', op: 'Conv', attrs: { auto_pad: 'SAME_LOWER', kernel_shape: [2, 2] }, inputs: [r([1, 2, 4, 4]), r([2, 2, 2, 2])] },
  { name: 'Conv VALID', op: 'Conv', attrs: { auto_pad: 'VALID', strides: [2, 1] }, inputs: [r([1, 1, 6, 5]), r([2, 1, 3, 3]), r([2])] },
  { name: 'Conv 1x1', op: 'Conv', inputs: [r([2, 3, 3, 3]), r([5, 3, 1, 1]), r([5])] },
  { name: 'Conv 1-D', op: 'Conv', attrs: { pads: [1, 1], strides: [2] }, inputs: [r([2, 3, 8]), r([2, 3, 3]), r([2])] },
  { name: 'Conv 3-D', op: 'Conv', attrs: { pads: [1, 0, 1, 0, 1, 0] }, inputs: [r([1, 2, 3, 4, 4]), r([2, 2, 2, 2, 2])] },
  { name: 'Conv NHWC', op: 'Conv', attrs: { layout: 'NHWC', pads: [1, 1, 1, 1], strides: [2, 2] }, inputs: [r([2, 5, 5, 3]), r([4, 3, 3, 3]), r([4])] },
  { name: 'Conv fused Relu', op: 'Conv', attrs: { activation: 'Relu', pads: [1, 1, 1, 1] }, inputs: [r([1, 2, 4, 4]), r([3, 2, 3, 3]), r([3])] },
  { name: 'Conv fused Clip(0, 0.5), depthwise', op: 'Conv', attrs: { activation: 'Clip', activation_params: [0, 0.5], group: 2, pads: [1, 1, 1, 1] }, inputs: [r([1, 2, 4, 4]), r([2, 1, 3, 3]), r([2])] },
  { name: 'Conv fused HardSwish', op: 'Conv', attrs: { activation: 'HardSwish' }, inputs: [r([1, 2, 4, 4]), r([2, 2, 3, 3])] },
  { name: 'Conv fused Tanh', op: 'Conv', attrs: { activation: 'Tanh', strides: [2, 2] }, inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])] },
];

/** Pools. */
const pool: GradCase[] = [
  { name: 'MaxPool 2x2 stride 2', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2] }, inputs: [r([2, 2, 4, 4])] },
  { name: 'MaxPool 3x3 stride 1 pads 1', op: 'MaxPool', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, inputs: [r([1, 2, 4, 4])] },
  { name: 'MaxPool ceil_mode', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, inputs: [r([1, 1, 5, 5])] },
  { name: 'MaxPool dilations', op: 'MaxPool', attrs: { kernel_shape: [2, 2], dilations: [2, 2] }, inputs: [r([1, 2, 5, 5])] },
  { name: 'MaxPool NHWC', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2], layout: 'NHWC' }, inputs: [r([2, 4, 4, 3])] },
  { name: 'MaxPool with Indices output', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [1, 1] }, inputs: [r([1, 2, 3, 3])], outputs: 2, seedOutputs: [0] },
  { name: 'MaxPool 1-D', op: 'MaxPool', attrs: { kernel_shape: [3], strides: [2] }, inputs: [r([2, 2, 7])] },
  { name: 'AveragePool 2x2 stride 2', op: 'AveragePool', attrs: { kernel_shape: [2, 2], strides: [2, 2] }, inputs: [r([2, 2, 4, 4])] },
  { name: 'AveragePool pads, exclude pad', op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [r([1, 2, 5, 5])] },
  { name: 'AveragePool pads, include pad', op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, inputs: [r([1, 2, 5, 5])] },
  { name: 'AveragePool ceil_mode include pad', op: 'AveragePool', attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 0, 1, 0], ceil_mode: 1, count_include_pad: 1 }, inputs: [r([1, 1, 6, 5])] },
  { name: 'AveragePool SAME_UPPER', op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, inputs: [r([1, 1, 5, 6])] },
  { name: 'AveragePool NHWC', op: 'AveragePool', attrs: { kernel_shape: [2, 2], strides: [2, 2], layout: 'NHWC' }, inputs: [r([1, 4, 4, 3])] },
  { name: 'AveragePool 1-D', op: 'AveragePool', attrs: { kernel_shape: [3], strides: [1], pads: [1, 1] }, inputs: [r([2, 2, 6])] },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: [r([2, 3, 4, 4])] },
  { name: 'GlobalAveragePool NHWC', op: 'GlobalAveragePool', attrs: { layout: 'NHWC' }, inputs: [r([2, 3, 3, 4])] },
];

/** Normalizations and softmax. */
const norm: GradCase[] = [
  { name: 'BatchNormalization inference (all inputs)', op: 'BatchNormalization', inputs: [r([2, 3, 3, 3]), r([3]), r([3]), r([3]), r([3], 0.5, 2)] },
  { name: 'BatchNormalization training_mode=1', op: 'BatchNormalization', attrs: { training_mode: 1, epsilon: 1e-3 }, inputs: [r([3, 2, 3, 3]), r([2]), r([2]), r([2]), r([2], 0.5, 2)], outputs: 3, seedOutputs: [0] },
  { name: 'BatchNormalization training, [N, C] input', op: 'BatchNormalization', attrs: { training_mode: 1 }, inputs: [r([5, 3]), r([3]), r([3]), r([3]), r([3], 0.5, 2)], outputs: 3, seedOutputs: [0] },
  { name: 'LayerNormalization last axis', op: 'LayerNormalization', inputs: [r([2, 3, 4]), r([4]), r([4])], eps: 1e-2, stencil: 5 },
  { name: 'LayerNormalization axis 1, no bias', op: 'LayerNormalization', attrs: { axis: 1 }, inputs: [r([2, 3, 4]), r([3, 4])], eps: 1e-2, stencil: 5 },
  { name: 'LayerNormalization broadcast scale', op: 'LayerNormalization', attrs: { axis: -2, epsilon: 1e-2 }, inputs: [r([2, 3, 4]), r([1, 4]), r([3, 1])], eps: 1e-2, stencil: 5 },
  { name: 'Softmax last axis', op: 'Softmax', inputs: [r([3, 5], -3, 3)] },
  { name: 'Softmax axis 1 of 3-D', op: 'Softmax', attrs: { axis: 1 }, inputs: [r([2, 3, 4], -3, 3)] },
  { name: 'LogSoftmax last axis', op: 'LogSoftmax', inputs: [r([3, 5], -3, 3)] },
  { name: 'LogSoftmax axis 0', op: 'LogSoftmax', attrs: { axis: 0 }, inputs: [r([3, 4], -3, 3)] },
];

/** Reductions, movement and indexing. */
const movement: GradCase[] = [
  { name: 'ReduceMean axes [1] keepdims', op: 'ReduceMean', inputs: [r([2, 3, 4]), ints([1])] },
  { name: 'ReduceMean axes [-1, 0] no keepdims', op: 'ReduceMean', attrs: { keepdims: 0 }, inputs: [r([2, 3, 4]), ints([-1, 0])] },
  { name: 'ReduceMean all axes', op: 'ReduceMean', inputs: [r([2, 3])] },
  { name: 'ReduceSum axes [2, 3] (spatial)', op: 'ReduceSum', inputs: [r([2, 2, 3, 3]), ints([2, 3])] },
  { name: 'ReduceSum all, no keepdims', op: 'ReduceSum', attrs: { keepdims: 0 }, inputs: [r([3, 4])] },
  { name: 'ReduceSum noop_with_empty_axes', op: 'ReduceSum', attrs: { noop_with_empty_axes: 1 }, inputs: [r([3, 4])] },
  { name: 'Flatten axis 1', op: 'Flatten', inputs: [r([2, 3, 2, 2])] },
  { name: 'Flatten axis 2', op: 'Flatten', attrs: { axis: 2 }, inputs: [r([2, 3, 2, 2])] },
  { name: 'Reshape [-1, 6]', op: 'Reshape', inputs: [r([2, 3, 4]), ints([-1, 6])] },
  { name: 'Squeeze', op: 'Squeeze', inputs: [r([2, 1, 3]), ints([1])] },
  { name: 'Unsqueeze', op: 'Unsqueeze', inputs: [r([2, 3]), ints([0, 3])] },
  { name: 'Transpose default (reverse)', op: 'Transpose', inputs: [r([2, 3, 4])] },
  { name: 'Transpose perm [0,2,1,3]', op: 'Transpose', attrs: { perm: [0, 2, 1, 3] }, inputs: [r([2, 3, 4, 2])] },
  { name: 'Concat axis 1 (three inputs)', op: 'Concat', attrs: { axis: 1 }, inputs: [r([2, 1, 3]), r([2, 2, 3]), r([2, 3, 3])] },
  { name: 'Concat axis -1', op: 'Concat', attrs: { axis: -1 }, inputs: [r([2, 3]), r([2, 2])] },
  { name: 'Split sizes [2, 3] axis 1', op: 'Split', attrs: { axis: 1 }, inputs: [r([2, 5, 2]), ints([2, 3])], outputs: 2 },
  { name: 'Split equal, one output unused', op: 'Split', attrs: { axis: 0 }, inputs: [r([6, 2])], outputs: 3, seedOutputs: [0, 2] },
  { name: 'Slice starts/ends/axes', op: 'Slice', inputs: [r([4, 5]), ints([1, 0]), ints([3, 4]), ints([0, 1])] },
  { name: 'Slice negative step, clamped end', op: 'Slice', inputs: [r([3, 6]), ints([-1]), ints([-100]), ints([1]), ints([-2])] },
  { name: 'Slice step 2', op: 'Slice', inputs: [r([2, 7, 3]), ints([1]), ints([100]), ints([1]), ints([2])] },
  { name: 'Gather axis 0, repeated indices (embedding)', op: 'Gather', inputs: [r([5, 3]), { fixed: tensor('int64', [1n, 4n, 1n, 0n, 1n, 3n], [2, 3]) }] },
  { name: 'Gather axis 1, negative index', op: 'Gather', attrs: { axis: 1 }, inputs: [r([2, 4, 3]), { fixed: tensor('int32', [-1, 0], [2]) }] },
  { name: 'Pad constant', op: 'Pad', inputs: [r([2, 3]), ints([1, 0, 2, 1])] },
  { name: 'Pad reflect', op: 'Pad', attrs: { mode: 'reflect' }, inputs: [r([1, 4]), ints([0, 2, 0, 1])] },
  { name: 'Pad edge', op: 'Pad', attrs: { mode: 'edge' }, inputs: [r([3, 2]), ints([2, 1, 1, 2])] },
  { name: 'Expand', op: 'Expand', inputs: [r([3, 1]), ints([2, 3, 4])] },
  { name: 'Tile', op: 'Tile', inputs: [r([2, 3]), ints([2, 2])] },
];

/** Every case. */
export const GRAD_CASES: readonly GradCase[] = [...unary, ...binary, ...matmul, ...conv, ...pool, ...norm, ...movement];
