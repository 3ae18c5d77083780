// The two Fashion-MNIST fixture architectures of `npm run train:fmnist`.
// - cnn: a plain CNN, conv3x3(32)-maxpool2-BN-ReLU, conv3x3(64)-maxpool2-BN-ReLU, flatten,
//   Linear(3136 -> 128)-ReLU, Linear(128 -> 10); 420 K parameters, 4.3 M MACs per image.
// - mobilenetv2: @mo/models mobilenetV2Mini (MobileNetV2 for 28x28: ReLU6, inverted residuals,
//   BatchNorm) at width 1 with a stride-2 stem (28x28 -> 14x14 -> 7x7 -> 4x4), which costs a
//   quarter of the stride-1 stem's compute.
import { GraphBuilder, Tensor } from '@mo/ir';
import { mobilenetV2Mini } from '@mo/models';
import { Rng } from '@mo/train';

/** He-uniform (Kaiming, fan-in) initialization from a seeded generator, as PyTorch's default conv/linear scale. */
function heUniform(rng, shape, fanIn) {
  const n = shape.reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(6 / fanIn);
  return new Tensor('float32', shape, Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * bound));
}

const fill = (shape, v) => new Tensor('float32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v));

export function plainCnn({ seed = 0, channels = [32, 64], hidden = 128 } = {}) {
  const rng = new Rng(seed);
  const b = new GraphBuilder('fmnist_cnn');
  let x = b.input('input', 'float32', ['batch', 1, 28, 28]);
  let c = 1;
  let size = 28;
  channels.forEach((m, i) => {
    const p = `features.${i}`;
    const w = b.initializer(`${p}.conv.weight`, heUniform(rng, [m, c, 3, 3], c * 9));
    x = b.conv(x, w, undefined, { pads: [1, 1, 1, 1] });
    // pooling first: max pooling commutes with ReLU, and BatchNorm and ReLU then see 4x fewer values
    x = b.maxPool(x, { kernel_shape: [2, 2], strides: [2, 2] });
    x = b.batchNorm(x, b.initializer(`${p}.bn.weight`, fill([m], 1)), b.initializer(`${p}.bn.bias`, fill([m], 0)), b.initializer(`${p}.bn.running_mean`, fill([m], 0)), b.initializer(`${p}.bn.running_var`, fill([m], 1)), { epsilon: 1e-5, momentum: 0.9 });
    x = b.relu(x);
    c = m;
    size /= 2;
  });
  x = b.flatten(x, 1);
  const f = c * size * size;
  x = b.relu(b.gemm(x, b.initializer('fc1.weight', heUniform(rng, [hidden, f], f)), b.initializer('fc1.bias', fill([hidden], 0)), { transB: 1 }));
  x = b.gemm(x, b.initializer('fc2.weight', heUniform(rng, [10, hidden], hidden)), b.initializer('fc2.bias', fill([10], 0)), { transB: 1 });
  b.output(x, 'logits');
  return b.build();
}

export function mobilenetV2Fmnist({ seed = 0, width = 1, stemStride = 2 } = {}) {
  return mobilenetV2Mini({ widthMultiplier: width, stemStride, seed });
}

export const FMNIST_MODELS = {
  cnn: { build: plainCnn, description: 'plain CNN: [conv3x3 32, maxpool 2, BN, ReLU], [conv3x3 64, maxpool 2, BN, ReLU], Linear 3136->128, ReLU, Linear 128->10' },
  mobilenetv2: { build: mobilenetV2Fmnist, description: 'MobileNetV2 for 28x28 (@mo/models mobilenetV2Mini({ stemStride: 2 }), width 1): 16-channel 3x3 stride-2 stem, inverted residual stages t/c/n/s 1/16/1/1, 6/24/2/2, 6/32/3/2, 6/64/2/1, 6/96/1/1, 1x1 conv to 512, global average pool, Linear 512->10; ReLU6, BatchNorm' },
};
