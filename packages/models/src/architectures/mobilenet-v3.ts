/**
 * MobileNetV3 Large and Small (Howard et al., 2019, arXiv:1905.02244, Tables 1 and 2), laid out
 * and named as torchvision's `mobilenet_v3_large`/`mobilenet_v3_small`: hard-swish, SE blocks with
 * a hard-sigmoid gate and makeDivisible(expanded / 4, 8) squeeze channels, BN epsilon 0.001.
 */
import type { Graph, Value } from '@mo/ir';
import { Net, type Activation } from '../layers.js';
import { makeDivisible, resolveOptions, widthOf, type WidthOptions } from '../options.js';

/** Options of {@link mobilenetV3Large} and {@link mobilenetV3Small}. */
export type MobileNetV3Options = WidthOptions;

/** A bneck row: input, kernel, expanded, output channels, SE, activation, stride. */
type Bneck = readonly [number, number, number, number, boolean, 'RE' | 'HS', number];

const LARGE: readonly Bneck[] = [
  [16, 3, 16, 16, false, 'RE', 1],
  [16, 3, 64, 24, false, 'RE', 2],
  [24, 3, 72, 24, false, 'RE', 1],
  [24, 5, 72, 40, true, 'RE', 2],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 3, 240, 80, false, 'HS', 2],
  [80, 3, 200, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 480, 112, true, 'HS', 1],
  [112, 3, 672, 112, true, 'HS', 1],
  [112, 5, 672, 160, true, 'HS', 2],
  [160, 5, 960, 160, true, 'HS', 1],
  [160, 5, 960, 160, true, 'HS', 1],
];

const SMALL: readonly Bneck[] = [
  [16, 3, 16, 16, true, 'RE', 2],
  [16, 3, 72, 24, false, 'RE', 2],
  [24, 3, 88, 24, false, 'RE', 1],
  [24, 5, 96, 40, true, 'HS', 2],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 120, 48, true, 'HS', 1],
  [48, 5, 144, 48, true, 'HS', 1],
  [48, 5, 288, 96, true, 'HS', 2],
  [96, 5, 576, 96, true, 'HS', 1],
  [96, 5, 576, 96, true, 'HS', 1],
];

const EPS = 1e-3;

/** torchvision's InvertedResidual of MobileNetV3, as `${p}.block.*`. */
function bneck(net: Net, x: Value, p: string, row: Bneck, ch: (c: number) => number): Value {
  const [, kernel, expRaw, outRaw, se, nl, stride] = row;
  const act: Activation = nl === 'HS' ? 'hardswish' : 'relu';
  const cin = net.channels(x);
  const exp = ch(expRaw);
  const out = ch(outRaw);
  let y = x;
  let i = 0;
  if (exp !== cin) y = net.convBnAct(y, `${p}.block.${i++}`, { out: exp, kernel: 1, act, eps: EPS });
  y = net.convBnAct(y, `${p}.block.${i++}`, { out: exp, kernel, stride, groups: exp, act, eps: EPS });
  if (se) y = net.squeezeExcitation(y, `${p}.block.${i++}`, makeDivisible(Math.floor(exp / 4), 8), 'hardsigmoid');
  y = net.convBnAct(y, `${p}.block.${i}`, { out, kernel: 1, act: 'none', eps: EPS });
  return stride === 1 && cin === out ? net.add(x, y, `${p}.add`) : y;
}

function build(model: string, graphName: string, rows: readonly Bneck[], lastChannel: number, opts: MobileNetV3Options): Graph {
  const o = resolveOptions(model, opts, { resolution: 224, numClasses: 1000, inChannels: 3, minResolution: 32 }, ['widthMultiplier']);
  const width = widthOf(model, opts);
  const ch = (c: number) => makeDivisible(c * width, 8);
  const net = new Net(o, graphName, `MobileNetV3 ${graphName.endsWith('large') ? 'Large' : 'Small'} ${width} at ${o.resolution}x${o.resolution}`);
  let x = net.convBnAct(net.input(), 'features.0', { out: ch(rows[0][0]), kernel: 3, stride: 2, act: 'hardswish', eps: EPS });
  rows.forEach((row, i) => (x = bneck(net, x, `features.${i + 1}`, row, ch)));
  x = net.convBnAct(x, `features.${rows.length + 1}`, { out: 6 * net.channels(x), kernel: 1, act: 'hardswish', eps: EPS });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  x = net.act(net.linear(x, 'classifier.0', ch(lastChannel)), 'hardswish', 'classifier.1');
  return net.finish(net.linear(x, 'classifier.3', o.numClasses), { widthMultiplier: width });
}

/**
 * MobileNetV3-Large at width 1.0 and 224x224: 5.48 M parameters, 217 M MACs (torchvision
 * `mobilenet_v3_large`, whose state_dict names it shares).
 *
 * @example
 * ```ts
 * const g = mobilenetV3Large({ widthMultiplier: 0.75 });
 * ```
 */
export function mobilenetV3Large(opts: MobileNetV3Options = {}): Graph {
  return build('mobilenetV3Large', 'mobilenet_v3_large', LARGE, 1280, opts);
}

/**
 * MobileNetV3-Small at width 1.0 and 224x224: 2.54 M parameters, 56 M MACs (torchvision
 * `mobilenet_v3_small`, whose state_dict names it shares).
 *
 * @example
 * ```ts
 * const g = mobilenetV3Small({ numClasses: 10, resolution: 96 });
 * ```
 */
export function mobilenetV3Small(opts: MobileNetV3Options = {}): Graph {
  return build('mobilenetV3Small', 'mobilenet_v3_small', SMALL, 1024, opts);
}
