/**
 * A small CNN for 28x28 grayscale images (MNIST, Fashion-MNIST): conv3x3-BN-ReLU blocks with 2x2
 * max pooling between them, global average pooling and a linear classifier.
 */
import { ArgumentError, type Graph } from '@mo/ir';
import { Net } from '../layers.js';
import { resolveOptions, type ModelOptions } from '../options.js';

/** Options of {@link smallCnn}. */
export interface SmallCnnOptions extends ModelOptions {
  /** Output channels of each conv block (default [32, 64, 128]); a 2x2 max pool follows every block but the last. */
  channels?: readonly number[];
}

/**
 * A small CNN: 28x28x1 in, 10 classes out; about 94 K parameters and 7.5 M MACs by default.
 * Names: block `i` is `features.i.{0,1}` (conv/BN), pool `features.i.pool`, classifier `classifier`.
 *
 * @example
 * ```ts
 * const g = smallCnn({ channels: [16, 32], batch: 64 });
 * ```
 */
export function smallCnn(opts: SmallCnnOptions = {}): Graph {
  const channels = opts.channels ?? [32, 64, 128];
  if (!Array.isArray(channels) || channels.length === 0 || !channels.every((c) => Number.isInteger(c) && c >= 1)) {
    throw new ArgumentError(`option 'channels' of smallCnn must be a non-empty array of integers >= 1, got ${JSON.stringify(channels)}`);
  }
  const o = resolveOptions('smallCnn', opts, { resolution: 28, numClasses: 10, inChannels: 1, minResolution: 2 ** (channels.length - 1) }, ['channels']);
  const net = new Net(o, 'small_cnn', `Small CNN [${channels.join(', ')}] at ${o.resolution}x${o.resolution}`);
  let x = net.input();
  channels.forEach((c, i) => {
    x = net.convBnAct(x, `features.${i}`, { out: c, kernel: 3, act: 'relu' });
    if (i < channels.length - 1) x = net.maxPool(x, `features.${i}.pool`, 2, 2);
  });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'classifier', o.numClasses), { channels: channels.join(',') });
}
