/**
 * SqueezeNet 1.1 (Iandola et al., 2016, arXiv:1602.07360; v1.1 from the authors' release notes),
 * laid out and named as torchvision's `squeezenet1_1`: Fire modules (squeeze 1x1, expand 1x1 and
 * 3x3, concat), biased convs and no BatchNormalization, a conv classifier.
 */
import type { Graph, Value } from '@mo/ir';
import { Net } from '../layers.js';
import { resolveOptions, type ModelOptions } from '../options.js';

/** Options of {@link squeezeNet1_1}. */
export type SqueezeNetOptions = ModelOptions;

/** Fire(squeeze, expand1x1, expand3x3) at `features.i`. */
function fire(net: Net, x: Value, p: string, squeeze: number, e1: number, e3: number): Value {
  const s = net.act(net.conv(x, `${p}.squeeze`, { out: squeeze, kernel: 1, bias: true }), 'relu', `${p}.squeeze_activation`);
  const a = net.act(net.conv(s, `${p}.expand1x1`, { out: e1, kernel: 1, bias: true }), 'relu', `${p}.expand1x1_activation`);
  const b = net.act(net.conv(s, `${p}.expand3x3`, { out: e3, kernel: 3, bias: true }), 'relu', `${p}.expand3x3_activation`);
  return net.concat([a, b], `${p}.concat`);
}

/**
 * SqueezeNet 1.1 at 224x224: 1.24 M parameters, 352 M MACs.
 *
 * @example
 * ```ts
 * const g = squeezeNet1_1({ numClasses: 10 });
 * ```
 */
export function squeezeNet1_1(opts: SqueezeNetOptions = {}): Graph {
  const o = resolveOptions('squeezeNet1_1', opts, { resolution: 224, numClasses: 1000, inChannels: 3, minResolution: 32 });
  const net = new Net(o, 'squeezenet1_1', `SqueezeNet 1.1 at ${o.resolution}x${o.resolution}`);
  let x = net.act(net.conv(net.input(), 'features.0', { out: 64, kernel: 3, stride: 2, padding: 0, bias: true }), 'relu', 'features.1');
  x = net.maxPool(x, 'features.2', 3, 2, 0, true);
  x = fire(net, x, 'features.3', 16, 64, 64);
  x = fire(net, x, 'features.4', 16, 64, 64);
  x = net.maxPool(x, 'features.5', 3, 2, 0, true);
  x = fire(net, x, 'features.6', 32, 128, 128);
  x = fire(net, x, 'features.7', 32, 128, 128);
  x = net.maxPool(x, 'features.8', 3, 2, 0, true);
  x = fire(net, x, 'features.9', 48, 192, 192);
  x = fire(net, x, 'features.10', 48, 192, 192);
  x = fire(net, x, 'features.11', 64, 256, 256);
  x = fire(net, x, 'features.12', 64, 256, 256);
  x = net.act(net.conv(x, 'classifier.1', { out: o.numClasses, kernel: 1, bias: true }), 'relu', 'classifier.2');
  x = net.flatten(net.globalAveragePool(x, 'classifier.3'), 'flatten');
  return net.finish(x, {});
}
