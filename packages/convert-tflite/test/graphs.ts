/** Small builder graphs exercising one export rule each (NCHW like the rest of mo). */
import { GraphBuilder, Tensor, type Graph } from '@mo/ir';
import { seeded } from './helpers/data.js';

const w = (shape: number[], seed: number, scale = 0.5) => new Tensor('float32', shape, seeded(shape.reduce((a, b) => a * b, 1), seed, scale));

export interface Case {
  readonly name: string;
  readonly build: () => Graph;
}

function convNet(name: string, f: (b: GraphBuilder, x: ReturnType<GraphBuilder['input']>) => ReturnType<GraphBuilder['input']>, inShape = [1, 4, 9, 9]): Case {
  return {
    name,
    build: () => {
      const b = new GraphBuilder(name);
      const x = b.input('x', 'float32', inShape);
      b.output(f(b, x), 'y');
      return b.build();
    },
  };
}

export const CASES: readonly Case[] = [
  convNet('conv3x3-same-relu6', (b, x) => b.conv(x, w([6, 4, 3, 3], 2), w([6], 3), { pads: [1, 1, 1, 1], activation: 'Clip', activation_params: [0, 6] })),
  convNet('conv3x3-stride2-torchpad', (b, x) => b.conv(x, w([5, 4, 3, 3], 4), w([5], 5), { strides: [2, 2], pads: [1, 1, 1, 1] })),
  convNet('conv5x5-dilated-relu', (b, x) => b.conv(x, w([3, 4, 3, 3], 6), undefined, { dilations: [2, 2], pads: [2, 2, 2, 2], activation: 'Relu' })),
  convNet('conv-asym-pads-hardswish', (b, x) => b.conv(x, w([4, 4, 2, 3], 7), w([4], 8), { pads: [0, 1, 1, 0], activation: 'HardSwish' })),
  convNet('depthwise-stride2-sigmoid', (b, x) => b.conv(x, w([4, 1, 3, 3], 9), w([4], 10), { group: 4, strides: [2, 2], pads: [1, 1, 1, 1], activation: 'Sigmoid' })),
  convNet('depthwise-multiplier2-tanh', (b, x) => b.conv(x, w([8, 1, 3, 3], 11), w([8], 12), { group: 4, pads: [1, 1, 1, 1], activation: 'Tanh' })),
  convNet('conv-clip-general-leaky', (b, x) => b.leakyRelu(b.conv(x, w([4, 4, 1, 1], 13), w([4], 14), { activation: 'Clip', activation_params: [-0.5, 0.7] }), 0.1)),
  convNet('grouped-conv-g2-relu', (b, x) => b.conv(x, w([6, 2, 3, 3], 30), w([6], 31), { group: 2, pads: [1, 1, 1, 1], activation: 'Relu' })),
  convNet('maxpool-ceil-avgpool-same', (b, x) => b.averagePool(b.maxPool(x, { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })),
  convNet('maxpool-pads-avgpool-include-pad', (b, x) => b.averagePool(b.maxPool(x, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), { kernel_shape: [2, 2], pads: [1, 1, 0, 0], count_include_pad: 1 })),
  convNet('concat-split-slice', (b, x) => {
    const [p, q] = b.split(x, [1, 3], 1);
    const c = b.concat([q, b.relu(p), q], 1);
    return b.slice(c, [1, 7], [6, 0], [1, 2], [2, -2]);
  }),
  convNet('pad-reduce-softmax', (b, x) => {
    const p = b.pad(x, [0, 0, 1, 2, 0, 0, 2, 1], { value: 0.5 });
    const m = b.reduceMean(p, [2, 3], false);
    const s = b.reduceSum(b.op1('Mul', [m, m]), [1], true);
    return b.softmax(b.op1('Sub', [m, s]), -1);
  }),
  convNet('resize-bilinear-nearest', (b, x) => {
    const u = b.resize(x, { scales: [1, 1, 2, 2], mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
    return b.resize(u, { scales: [1, 1, 0.5, 0.5], mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  }, [1, 3, 5, 6]),
  convNet('hardsigmoid-div-max-min', (b, x) => {
    const h = b.hardSigmoid(x, 0.25, 0.4);
    const d = b.op1('Div', [h, b.op1('Add', [b.op1('Max', [x, b.scalar(0.1)]), b.scalar(2)])]);
    return b.op1('Min', [d, b.scalar(0.3)]);
  }),
  {
    name: 'mlp-gemm-matmul',
    build: () => {
      const b = new GraphBuilder('mlp');
      const x = b.input('x', 'float32', [2, 6]);
      const h = b.gemm(x, w([6, 5], 20), w([5], 21), { activation: 'Relu' });
      const k = b.gemm(h, w([4, 5], 22), w([1, 4], 23), { transB: 1, alpha: 0.5, beta: 2 });
      const m = b.matmul(k, w([4, 3], 24));
      b.output(b.op1('Tanh', [m]), 'y');
      return b.build();
    },
  },
  {
    name: 'batch-matmul-transpose-gather',
    build: () => {
      const b = new GraphBuilder('bmm');
      const x = b.input('x', 'float32', [2, 3, 4]);
      const y = b.input('z', 'float32', [2, 4, 5]);
      const m = b.matmul(x, y);
      const t = b.transpose(m, [0, 2, 1]);
      const g = b.gather(t, b.constant(new Tensor('int64', [2], BigInt64Array.of(4n, -2n))), 1);
      b.output(b.reshape(g, [2, -1]), 'y');
      return b.build();
    },
  },
];
