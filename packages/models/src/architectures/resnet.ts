/**
 * ResNet-18 (He et al., 2016, arXiv:1512.03385, Table 1), laid out and named as torchvision's
 * `resnet18`: BasicBlocks with 1x1 projection shortcuts where the shape changes.
 */
import type { Graph, Value } from '@mo/ir';
import { Net } from '../layers.js';
import { resolveOptions, type ModelOptions } from '../options.js';

/** Options of {@link resNet18}. */
export type ResNetOptions = ModelOptions;

/** A BasicBlock: conv3x3-BN-ReLU, conv3x3-BN, plus the (projected) input, ReLU. */
function basicBlock(net: Net, x: Value, p: string, out: number, stride: number): Value {
  let y = net.act(net.batchNorm(net.conv(x, `${p}.conv1`, { out, kernel: 3, stride }), `${p}.bn1`), 'relu', `${p}.relu1`);
  y = net.batchNorm(net.conv(y, `${p}.conv2`, { out, kernel: 3 }), `${p}.bn2`);
  let shortcut = x;
  if (stride !== 1 || net.channels(x) !== out) {
    shortcut = net.batchNorm(net.conv(x, `${p}.downsample.0`, { out, kernel: 1, stride }), `${p}.downsample.1`);
  }
  return net.act(net.add(y, shortcut, `${p}.add`), 'relu', `${p}.relu2`);
}

/**
 * ResNet-18 at 224x224: 11.69 M parameters, 1.81 G MACs.
 *
 * @example
 * ```ts
 * const g = resNet18({ numClasses: 100, resolution: 64 });
 * ```
 */
export function resNet18(opts: ResNetOptions = {}): Graph {
  const o = resolveOptions('resNet18', opts, { resolution: 224, numClasses: 1000, inChannels: 3, minResolution: 32 });
  const net = new Net(o, 'resnet18', `ResNet-18 at ${o.resolution}x${o.resolution}`);
  let x = net.batchNorm(net.conv(net.input(), 'conv1', { out: 64, kernel: 7, stride: 2 }), 'bn1');
  x = net.maxPool(net.act(x, 'relu', 'relu'), 'maxpool', 3, 2, 1);
  [64, 128, 256, 512].forEach((c, i) => {
    for (let j = 0; j < 2; j++) x = basicBlock(net, x, `layer${i + 1}.${j}`, c, i > 0 && j === 0 ? 2 : 1);
  });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'fc', o.numClasses), {});
}
