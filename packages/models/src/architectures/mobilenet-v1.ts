/**
 * MobileNetV1 (Howard et al., 2017, arXiv:1704.04861, Table 1): a 3x3 stem and 13 depthwise
 * separable blocks, global average pooling and a linear classifier. The width multiplier alpha
 * scales every layer as `floor(channels * alpha)`, as the Keras reference does.
 */
import type { Graph } from '@mo/ir';
import { Net } from '../layers.js';
import { resolveOptions, widthOf, type WidthOptions } from '../options.js';

/** Options of {@link mobilenetV1}. */
export type MobileNetV1Options = WidthOptions;

/** [output channels, stride] of the 13 depthwise separable blocks (paper, Table 1). */
const BLOCKS: readonly (readonly [number, number])[] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

/**
 * MobileNetV1 at width `alpha` (default 1.0) and 224x224: 4.23 M parameters, 569 M MACs.
 *
 * Names: `features.0.{0,1}` is the stem conv/BN; block `i` (1..13) is `features.i.{0,1}` (depthwise
 * conv/BN) and `features.i.{3,4}` (pointwise conv/BN); the classifier is `classifier.1`.
 *
 * @example
 * ```ts
 * const g = mobilenetV1({ widthMultiplier: 0.5, resolution: 160 });
 * ```
 */
export function mobilenetV1(opts: MobileNetV1Options = {}): Graph {
  const o = resolveOptions('mobilenetV1', opts, { resolution: 224, numClasses: 1000, inChannels: 3, minResolution: 32 }, ['widthMultiplier']);
  const alpha = widthOf('mobilenetV1', opts);
  const ch = (c: number) => Math.max(1, Math.floor(c * alpha));
  const net = new Net(o, 'mobilenet_v1', `MobileNetV1 ${alpha} at ${o.resolution}x${o.resolution}`);
  let x = net.convBnAct(net.input(), 'features.0', { out: ch(32), kernel: 3, stride: 2, act: 'relu', eps: 1e-3 });
  BLOCKS.forEach(([c, stride], i) => {
    const p = `features.${i + 1}`;
    const cin = net.channels(x);
    x = net.batchNorm(net.conv(x, `${p}.0`, { out: cin, kernel: 3, stride, groups: cin }), `${p}.1`, 1e-3);
    x = net.act(x, 'relu', `${p}.2`);
    x = net.batchNorm(net.conv(x, `${p}.3`, { out: ch(c), kernel: 1 }), `${p}.4`, 1e-3);
    x = net.act(x, 'relu', `${p}.5`);
  });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'classifier.1', o.numClasses), { widthMultiplier: alpha });
}
